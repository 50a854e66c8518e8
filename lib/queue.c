/*
 * queue.c - the bounded queue: a ring of void * with two ends, each
 * behind its own mutex, with a condition variable for each kind of
 * waiter.
 *
 * Invariants:
 *  1. out.pos <= in.pos <= out.pos + cap, as published (release) by each
 *     end; the items queued are those at positions [out.pos, in.pos).
 *  2. A slot's item is written before its seq (release), and seq ==
 *     pos + 1 exactly while the item at pos is ready to be taken.
 *  3. closed goes from 0 to 1 once, under in.mu, after every accepted
 *     put has published its item; no put succeeds after it.
 *  4. A thread asleep on an end's cv is counted in that end's waiters,
 *     and was counted while it held both ends' mutexes: whoever changes
 *     the other end afterwards sees the count and signals.
 *  5. Unfinished work = items accepted - finished >= 0 (see accepted()).
 *  6. On a bound queue, in.pos - finished <= cap: a put takes room only
 *     where both the ring and the unfinished bound leave it; a producer
 *     asleep for room also held join_mu when it counted itself, so a
 *     task_done that finishes an item afterwards sees the count and
 *     signals (finish_one()).
 *  7. Capacity 0 (rendezvous) is a ring of one slot whose item is only
 *     offered: its putter is still inside its put, which returns 0 only
 *     once out.pos has passed the item.  Consumers take it only while
 *     the queue is open; otherwise its putter withdraws it (pops it
 *     itself, under out.mu, in.mu and join_mu, uncounting it from
 *     in.ops and counting it in withdrawn) before it returns, and the
 *     item is the caller's again.  So on capacity 0 the items accepted
 *     are out.pos - withdrawn, and an offered item counts in the size
 *     and in puts exactly while it is in the ring.
 *  8. Capacity 0: a putter waiting for its item to be taken is counted
 *     in handoff_waiters and sleeps on `taken`; every take, every
 *     withdrawal, close, and a consumer that stops waiting wake them.
 *     A consumer waiting in a get (watching or asleep) is counted in
 *     getters, which try_put needs to be non-zero to offer at all.
 *  9. A select waiting on this queue is linked on item_sels (for a get)
 *     or room_sels (for a put), linked and unlinked only under both
 *     ends' mutexes (and join_mu too on a bound queue, for room), so
 *     either mutex keeps a list still.  It looked at the queue after it
 *     was linked, and everyone who makes an item (or room) available,
 *     or closes, fires every select on the matching list afterwards:
 *     no select sleeps through its chance.  A select waiting for a get
 *     on a capacity 0 queue counts in getters, as a consumer in a get.
 *
 * Design.  The two-lock queue of Michael and Scott ("Simple, Fast, and
 * Practical Non-Blocking and Blocking Concurrent Queue Algorithms",
 * PODC 1996): producers serialise on in.mu and consumers on out.mu, so a
 * producer and a consumer never wait for each other's lock.  The ring's
 * slots carry per-slot sequence numbers as in Dmitry Vyukov's bounded
 * MPMC queue, so a consumer finds its next item ready by looking at that
 * slot alone: the only cache line a put and a get share is the slot's.
 * The producers keep out.pos as last loaded (`seen`) and reload it only
 * when that copy says the ring is full.
 *
 * The done sentinel is not stored in the ring: it is the state "closed
 * and empty", which every consumer observes, forever, after the last
 * real item, as a sentinel re-posted by each consumer would be, without
 * its slot: closing can never wait or fail.
 *
 * Wake-ups (invariant 4): the hot path needs no fence and no atomic
 * read-modify-write beyond the mutex's own.  One item wakes one waiter;
 * a batch wakes as many as it made progress possible for; close and the
 * end of unfinished work wake everybody.  How long a waiter watches the
 * queue before it sleeps is the waiting policy's business (wait.c).
 *
 * Lock order: note_mu (only workq_pollfd takes others under it), then
 * out.mu, then in.mu, then join_mu.  A producer that must take out.mu
 * drops in.mu first; its busy count keeps the queue alive meanwhile.
 * task_done, which finishes under join_mu, drops it before it takes
 * in.mu to wake a producer.
 *
 * Capacity 0.  A rendezvous is the ring at capacity 1 plus a second
 * wait on the producers' side: a put places its item as a put at
 * capacity 1 would, then sleeps on `taken` under out.mu, where a take
 * is decided, until a consumer took it or it must be withdrawn
 * (invariants 7 and 8).  The queues of capacity 1 and more pay one
 * predictable branch on `rendezvous` in a put and one in a get.
 *
 * Cancellation.  Only the condvar waits are cancellation points.  Each
 * is wrapped in a cleanup handler that undoes the thread's waiter and
 * busy counts, passes on any wake-up it may have consumed, and unlocks;
 * a putter cancelled while its item is offered withdraws it first.
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "workq-internal.h"

/* Padding between groups of fields that different threads write, so
 * that no two groups share a cache line (64 bytes on the machines we
 * measure; 128 keeps the adjacent-line prefetcher out as well). */
#define LINE 128

/*
 * One end of the ring.  Every field is guarded by the end's own mu,
 * marked (e); (e,a) fields are written under mu with atomic stores
 * because the other end, or a spinner, reads them without it.
 */
struct end {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* (e) this end's sleepers wait here */
	size_t idx;                 /* (e) pos % cap: the next slot */
	size_t seen;                /* (e) the other end's pos, last loaded */
	size_t busy;                /* (e,a) calls of this end inside, which
	                             *     destroy must not pull the rug from;
	                             *     waiters read both ends' counts */
	unsigned long long ops;     /* (e) items put (in) or got (out) */
	unsigned long long waits;   /* (e) calls that slept at least once */
	struct workq__watch watch;  /* (e) how its waiters wait: wait.c */
	int cpu;                    /* (e,a) where its last waiter ran when
	                             *     it began or ended a wait; -1: not
	                             *     known.  The other end reads it */
	/* On a line of its own, away from mu: the other end, task_done
	 * and spinners read it without taking mu. */
	/* cppcheck-suppress unusedStructMember */
	char pad_pos[LINE];
	size_t pos;                 /* (e,a) items that ever passed this end */
};

/* One slot of the ring: an item and the producers' pos just after it
 * was put (0: never used). */
struct slot {
	size_t seq;                 /* (in.mu, a) read by consumers */
	void *item;                 /* (in.mu) before seq is, then (out.mu) */
};

/*
 * (c) fields are constant after workq_create; (a) ones are only
 * accessed atomically.  See each group for its lock.
 */
struct workq {
	struct end in;              /* producers */
	char pad_in[LINE];
	struct end out;             /* consumers */
	char pad_out[LINE];

	/* Read by both ends on every call; written rarely. */
	size_t cap;                 /* (c) most items queued at once; 1 for
	                             *     a rendezvous queue (capacity 0) */
	int bound;                  /* (c) unfinished items count against
	                             *     cap too (invariant 6) */
	int rendezvous;             /* (c) created with capacity 0 */
	/* Here, not with the cold fields: every get reads it, and only a
	 * rendezvous queue ever writes it. */
	size_t handoff_waiters;     /* (out.mu) putters asleep on taken */
	struct slot *slots;         /* (c) the ring, cap entries; see the top
	                             *     and workq_create() */
	int closed;                 /* (in.mu, a) set once by close/discard */
	/* Each sleeper count changes only under its end's mutex, and goes
	 * up only under both ends' mutexes, so the other end reads it
	 * under its own mutex (atomically) and never misses a sleeper. */
	size_t in_waiters;          /* (in.mu, a) producers asleep on in.cv */
	size_t out_waiters;         /* (out.mu, a) consumers asleep on out.cv */
	size_t in_woken;            /* (in.mu, a) of those, signalled and not */
	size_t out_woken;           /* (out.mu, a)     yet up: idle_sleepers() */
	int note_open;              /* (both ends' mu, a) a descriptor exists */
	/* Selects waiting on the queue (invariant 9); NULL when none, which
	 * is all a put or a get reads of them. */
	struct workq__sel_link *item_sels; /* (both ends' mu to write, a) */
	struct workq__sel_link *room_sels; /* (both ends' mu, and join_mu
	                                    *     if bound, to write, a) */
	int room_open;              /* (both ends' mu and join_mu, a) the
	                             *     room descriptor exists */
	size_t high_water;          /* (in.mu) largest size seen by a put;
	                             *     read by every put, rarely written */
	char pad_shared[LINE];

	/* Cold: the rest of the life cycle and the counters. */
	size_t pools;               /* (in.mu) attached, not yet joined */
	size_t producers;           /* (in.mu) registered, not yet done */
	unsigned long long discarded; /* (out.mu) handed back by discard */
	pthread_mutex_t join_mu;
	pthread_cond_t all_done;    /* (join_mu) joiners sleep here */
	size_t join_waiters;        /* (join_mu) joiners asleep */
	size_t join_busy;           /* (join_mu) joins inside */
	/* Unfinished items are accepted minus finished (see
	 * unfinished_locked()): a put costs nothing more, and task_done and
	 * join meet under join_mu, which also orders the work done before
	 * task_done before join's return. */
	size_t finished;            /* (join_mu, a) task_done calls and
	                             *     discards; bound queues' producers
	                             *     read it (bound_room_locked()) */
	/* Capacity 0 only (invariants 7 and 8). */
	size_t withdrawn;           /* (join_mu, also out.mu and in.mu held
	                             *     to write) items taken back */
	pthread_cond_t taken;       /* (out.mu) putters wait for the take;
	                             *     handoff_waiters counts them */
	size_t getters;             /* (out.mu, a) consumers waiting in a
	                             *     get; read by try_put under in.mu */
	pthread_mutex_t note_mu;
	struct workq__notifier note; /* (note_mu) workq_pollfd's descriptor */
	pthread_mutex_t room_mu;    /* a leaf: nothing is taken under it */
	struct workq__notifier room; /* (room_mu) workq_pollfd_room's */
	void *block;                /* (c) what alloc returned; see
	                             *     workq_create_attr() */
	void (*release)(void *ptr, void *ctx); /* (c) frees block */
	void *alloc_ctx;            /* (c) release's ctx */
};

/* How a call behaves when it would have to wait. */
enum wait_mode {
	WAIT_NEVER,     /* try_*: EAGAIN */
	WAIT_LIMITED,   /* timed_*: ETIMEDOUT once the deadline passes */
	WAIT_FOREVER
};

/* The sentinel's storage: only its address is used. */
char workq_done_sentinel;

/* ------------------------------------------------------------------ */
/* Atomics                                                             */
/* ------------------------------------------------------------------ */

static size_t load_acquire(const size_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static size_t load_relaxed(const size_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_release(size_t *p, size_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int is_closed(const workq_t *q)
{
	if (!__atomic_load_n(&q->closed, __ATOMIC_ACQUIRE))
		return 0;
	workq__happens_after(&q->closed);
	return 1;
}

/* For the store-then-load handshake of the descriptor's transitions. */
static void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* A call enters or leaves an end: counted in busy.  Called with e->mu
 * held. */
static void enter(struct end *e)
{
	__atomic_store_n(&e->busy, e->busy + 1, __ATOMIC_RELAXED);
}

static void leave(struct end *e)
{
	__atomic_store_n(&e->busy, e->busy - 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* What each end waits for                                             */
/* ------------------------------------------------------------------ */

/*
 * `room` cut down to what a bound queue's unfinished bound leaves: cap
 * less the items accepted (in.pos, exact under in.mu) and not finished.
 * Without join_mu, finished may lag, which only understates the room;
 * the last look before a sleep holds join_mu (producer_may_proceed()).
 * Called with in.mu held, so no put is half done and finished <= in.pos
 * (see accepted()).
 */
static size_t bound_room_locked(const workq_t *q, size_t room)
{
	size_t finished, unfinished;

	if (!q->bound)
		return room;
	finished = load_acquire(&q->finished);
	unfinished = finished < q->in.pos ? q->in.pos - finished : 0;
	if (unfinished >= q->cap)
		return 0;
	return q->cap - unfinished < room ? q->cap - unfinished : room;
}

/*
 * Free slots, at least `want` of them if the producers' copy of out.pos
 * is stale enough to hide them, within a bound queue's unfinished bound.
 * Called with in.mu held.
 */
static size_t room_locked(workq_t *q, size_t want)
{
	size_t used = q->in.pos - q->in.seen;

	if (q->cap - used < want) {
		q->in.seen = load_acquire(&q->out.pos);
		workq__happens_after(&q->out.pos);
		used = q->in.pos - q->in.seen;
	}
	return bound_room_locked(q, q->cap - used);
}

/*
 * The number of items ever accepted, from in.pos and out.pos as loaded.
 * A put stores its slots' sequence numbers before in.pos, so consumers
 * can take items a moment before in.pos counts them: out.pos is then
 * ahead (by at most cap), and counts them instead.  Callers load out.pos
 * first (see unfinished_locked()).
 */
static size_t accepted(const workq_t *q, size_t in, size_t out)
{
	return out != in && out - in <= q->cap ? out : in;
}

/* Is the item at consumers' position `pos` in the ring yet? */
static int slot_ready(const workq_t *q, size_t idx, size_t pos)
{
	return __atomic_load_n(&q->slots[idx].seq, __ATOMIC_ACQUIRE) ==
	       pos + 1;
}

/*
 * Queued items, at least `want` of them if they are there (fewer means
 * that many are all there is).  Called with out.mu held.  Beyond those
 * already counted in out.seen it looks at the slots themselves, never at
 * in.pos, which the producers rewrite on every put.
 */
static size_t items_locked(workq_t *q, size_t want)
{
	size_t n = q->out.seen - q->out.pos;   /* seen never lags pos */
	size_t idx;

	if (n >= want)
		return n;
	idx = q->out.idx + n;
	if (idx >= q->cap)
		idx -= q->cap;
	while (n < want && n < q->cap && slot_ready(q, idx, q->out.pos + n)) {
		n++;
		if (++idx == q->cap)
			idx = 0;
	}
	q->out.seen = q->out.pos + n;
	return n;
}

/* Without any lock: has a bound queue room under its unfinished bound?
 * finished is loaded first, so in.pos can only have grown since, which
 * understates the room; finished ahead of in.pos (a put half done) is
 * room, or soon will be. */
static int bound_room_fresh(const workq_t *q)
{
	size_t finished, in;

	if (!q->bound)
		return 1;
	finished = load_acquire(&q->finished);
	in = load_relaxed(&q->in.pos);
	return finished >= in || in - finished < q->cap;
}

/* Without any lock: is it worth a producer's (or a consumer's) taking
 * the lock again?  Used by spinners and by the last check before a
 * sleep. */
static int room_fresh(const void *arg)
{
	const workq_t *q = arg;

	return (load_relaxed(&q->in.pos) - load_acquire(&q->out.pos) < q->cap &&
	        bound_room_fresh(q)) ||
	       is_closed(q);
}

static int item_fresh(const void *arg)
{
	const workq_t *q = arg;
	size_t pos = load_relaxed(&q->out.pos);

	return slot_ready(q, pos % q->cap, pos) || is_closed(q);
}

/* ------------------------------------------------------------------ */
/* Waking                                                              */
/* ------------------------------------------------------------------ */

/* The first select linked on a list (invariant 9), or NULL. */
static struct workq__sel_link *sels(struct workq__sel_link *const *list)
{
	return __atomic_load_n(list, __ATOMIC_RELAXED);
}

/* Fires the selects from l on, but `except` (a select registering
 * itself: its own gets cannot take its own put).  Called with either
 * end's mutex held: the list stands still. */
static void fire_sels(struct workq__sel_link *l,
                      const struct workq__selector *except)
{
	for (; l != NULL; l = l->next)
		if (l->sel != except)
			workq__select_fire(l->sel);
}

/*
 * Wakes up to `k` of the `waiters` sleeping on end e's cv that no signal
 * is on its way to yet, for k items (or slots) just made available, and
 * notes when, for the waiting policy.  A sleeper already signalled will
 * take what is there when it runs.  Called with e->mu held.
 */
static void wake_locked(struct end *e, size_t waiters, size_t *woken,
                        size_t k)
{
	size_t idle = waiters > *woken ? waiters - *woken : 0;

	if (idle == 0 || k == 0)
		return;
	workq__watch_signalled(&e->watch);
	if (k >= idle && idle > 1) {
		__atomic_store_n(woken, waiters, __ATOMIC_RELAXED);
		workq__broadcast(&e->cv);
		return;
	}
	if (k > idle)
		k = idle;
	__atomic_store_n(woken, *woken + k, __ATOMIC_RELAXED);
	while (k-- > 0)
		workq__signal(&e->cv);
}

/* Wakes every sleeper of end e.  Called with e->mu held. */
static void wake_all_locked(struct end *e, size_t waiters, size_t *woken)
{
	if (waiters == 0)
		return;
	__atomic_store_n(woken, waiters, __ATOMIC_RELAXED);
	workq__broadcast(&e->cv);
}

/*
 * Without the sleepers' mutex: is one of them asleep with no signal on
 * its way, so that the caller must take that mutex and signal?  Called
 * by the other end under its own mutex, after publishing.  A sleeper
 * counted itself under both mutexes, so the caller sees it (or it saw
 * what the caller published); one that is up uncounts woken before
 * waiters (release), so a caller that loads the new waiters (acquire)
 * loads the new woken too.  Other stale values only overstate waiters
 * or understate woken, which costs a spare signal, never a lost one.
 */
static int idle_sleepers(const size_t *waiters, const size_t *woken)
{
	size_t w = load_acquire(waiters);

	return w > load_relaxed(woken);
}

/*
 * Brings workq_pollfd's descriptor in line with the queue: readable while
 * an item is queued or the queue is closed.  Called with no end's mutex
 * held, after a change, by whoever saw note_open; the last caller reads
 * the last state, so the descriptor ends right, and each caller returns
 * only once its own change is reflected.
 */
static void notify(workq_t *q)
{
	size_t head, tail;
	int state;

	/* The descriptor's read and write are cancellation points: a
	 * cancel acted on here would leave note_mu locked, and a put or get
	 * that is no cancellation point would become one. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	workq__lock(&q->note_mu);
	head = load_acquire(&q->out.pos);
	tail = load_acquire(&q->in.pos);
	workq__notifier_set(&q->note,
	                    accepted(q, tail, head) != head || is_closed(q));
	workq__unlock(&q->note_mu);
	pthread_setcancelstate(state, NULL);
}

/*
 * Would a put find room now: in the ring, under a bound queue's
 * unfinished bound, and at capacity 0 with a consumer waiting?  From
 * atomics only (see notify_room()).
 */
static int room_now(const workq_t *q)
{
	size_t head = load_acquire(&q->out.pos);
	size_t tail = load_acquire(&q->in.pos);

	if (accepted(q, tail, head) - head >= q->cap || !bound_room_fresh(q))
		return 0;
	return !q->rendezvous || load_relaxed(&q->getters) > 0;
}

/*
 * Brings workq_pollfd_room's descriptor in line with the queue: readable
 * while a put would find room, or the queue is closed.  Once room_open
 * is set, whoever changes what room_now() reads calls it afterwards:
 * puts and gets (through poke_*_locked()), task_done on a bound queue,
 * consumers that start or stop waiting at capacity 0, and close.  Each
 * change is made under in.mu, out.mu or join_mu, all three of which
 * workq_pollfd_room() holds to set room_open, so a change made before
 * is seen by its own call, and one made after sees room_open.  room_mu
 * is a leaf, so it may be called with any of the queue's mutexes held;
 * as in notify(), the last caller reads the last state.
 */
static void notify_room(workq_t *q)
{
	int state;

	if (!__atomic_load_n(&q->room_open, __ATOMIC_ACQUIRE))
		return;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	workq__lock(&q->room_mu);
	workq__notifier_set(&q->room, is_closed(q) || room_now(q));
	workq__unlock(&q->room_mu);
	pthread_setcancelstate(state, NULL);
}

/*
 * Only a put into a queue that was empty can make the descriptor
 * readable, and only a get that took the last item can make it not so,
 * so only those call notify(): an event loop's queue would otherwise
 * take note_mu on every call.  Each end stores its pos, fences, then
 * loads the other's: of a put and a get that race across the empty
 * state at least one sees the other, calls notify(), and reads the
 * state they left.  Called after the end's release store of its pos.
 */
static int put_may_raise(workq_t *q, size_t k)
{
	full_fence();
	return q->in.pos - load_acquire(&q->out.pos) <= k;
}

static int get_may_lower(workq_t *q)
{
	full_fence();
	return load_acquire(&q->in.pos) == q->out.pos;
}

/*
 * After a producer published k items, wakes as many sleeping consumers
 * (and the descriptor).  Called with in.mu held; returns with it held.
 * Drops in.mu while it takes out.mu (see the lock order); the caller's
 * busy count keeps the queue alive meanwhile.  Costs two loads when
 * nobody sleeps.
 */
static void poke_consumers_locked(workq_t *q, size_t k)
{
	int note = __atomic_load_n(&q->note_open, __ATOMIC_RELAXED) &&
	           put_may_raise(q, k);
	int sleepers = idle_sleepers(&q->out_waiters, &q->out_woken);

	fire_sels(sels(&q->item_sels), NULL);
	notify_room(q);
	if (!sleepers && !note)
		return;
	workq__unlock(&q->in.mu);
	if (sleepers) {
		workq__lock(&q->out.mu);
		wake_locked(&q->out, q->out_waiters, &q->out_woken, k);
		workq__unlock(&q->out.mu);
	}
	if (note)
		notify(q);
	workq__lock(&q->in.mu);
}

/* After a consumer freed k slots, likewise.  Called with out.mu held;
 * in.mu may nest inside it. */
static void poke_producers_locked(workq_t *q, size_t k)
{
	int note = __atomic_load_n(&q->note_open, __ATOMIC_RELAXED) &&
	           get_may_lower(q);

	fire_sels(sels(&q->room_sels), NULL);
	notify_room(q);
	if (idle_sleepers(&q->in_waiters, &q->in_woken)) {
		workq__lock(&q->in.mu);
		wake_locked(&q->in, q->in_waiters, &q->in_woken, k);
		workq__unlock(&q->in.mu);
	}
	if (note) {
		workq__unlock(&q->out.mu);
		notify(q);
		workq__lock(&q->out.mu);
	}
	/* Capacity 0: the take is its putter's success.  A broadcast, as a
	 * putter whose item was taken may not be up yet when the next one
	 * sleeps there too.  (0 on every other queue.) */
	if (q->handoff_waiters > 0)
		workq__broadcast(&q->taken);
}

/* ------------------------------------------------------------------ */
/* Sleeping                                                            */
/* ------------------------------------------------------------------ */

/* What a cancelled waiter must undo; see wait_on(). */
struct waiter {
	workq_t *q;
	pthread_mutex_t *mu;
	size_t *count;
	size_t *woken;                  /* NULL: not counted */
	size_t *busy;
	void (*pass_on)(workq_t *q);    /* NULL: nothing to hand on */
};

/* POSIX lets a cancelled waiter have consumed a signal meant for another
 * sleeper; these hand one on for whatever the queue can now offer.  A
 * spare wake-up costs only a re-check.  Called with the end's mu held. */
static void pass_on_room(workq_t *q)
{
	if (room_fresh(q))
		wake_locked(&q->in, q->in_waiters, &q->in_woken, 1);
}

static void pass_on_item(workq_t *q)
{
	if (item_fresh(q))
		wake_locked(&q->out, q->out_waiters, &q->out_woken, 1);
}

/*
 * Capacity 0: a consumer starts or stops waiting in a get (invariant 8).
 * A try_put whose item waits for a taker gives up once none is left, so
 * the last one to go wakes it.  Called with out.mu held.
 */
static void getter_waits(workq_t *q, const struct workq__selector *self)
{
	__atomic_store_n(&q->getters, q->getters + 1, __ATOMIC_RELAXED);
	/* A select's try_put can offer now, and an event loop's. */
	fire_sels(sels(&q->room_sels), self);
	notify_room(q);
}

static void getter_leaves(workq_t *q)
{
	__atomic_store_n(&q->getters, q->getters - 1, __ATOMIC_RELAXED);
	notify_room(q);
	if (q->getters == 0 && q->handoff_waiters > 0)
		workq__broadcast(&q->taken);
}

/* A waiting consumer of a rendezvous queue, cancelled. */
static void pass_on_getter(workq_t *q)
{
	pass_on_item(q);
	getter_leaves(q);
}

/*
 * A sleeper that is up again, for whatever reason, is no longer counted;
 * if a signal was on its way to one of its end's sleepers, it counts as
 * that one (a spare signal costs only a look, a missing one a sleeper's
 * wait).  Called with w->mu held.
 */
static void uncount(struct waiter *w)
{
	if (w->woken != NULL && *w->woken > 0)
		__atomic_store_n(w->woken, *w->woken - 1, __ATOMIC_RELAXED);
	/* After woken: see idle_sleepers(). */
	__atomic_store_n(w->count, *w->count - 1, __ATOMIC_RELEASE);
}

/* Runs when a thread is cancelled inside wait_on(): the condvar wait has
 * re-acquired the mutex. */
static void wait_cancelled(void *arg)
{
	struct waiter *w = arg;

	uncount(w);
	__atomic_store_n(w->busy, *w->busy - 1, __ATOMIC_RELAXED);
	if (w->pass_on != NULL)
		w->pass_on(w->q);
	workq__unlock(w->mu);
}

/*
 * Sleeps once on cv, already counted in *w->count, until woken,
 * cancelled, or the deadline (NULL: none) passes; uncounts.  Returns 0
 * or ETIMEDOUT.  Called with w->mu held, and with *w->busy counting the
 * caller.
 */
static int wait_on(struct waiter *w, pthread_cond_t *cv,
                   const struct timespec *deadline)
{
	int err;

	pthread_cleanup_push(wait_cancelled, w);
	err = workq__wait(cv, w->mu, deadline);
	pthread_cleanup_pop(0);
	uncount(w);
	return err;
}

/*
 * A producer's last look before sleeping, with both mutexes held (see
 * the top comment), and on a bound queue join_mu too, so that a
 * task_done sees the count or the producer sees its item finished
 * (invariant 6).  Returns 0 if it is now counted in in_waiters and must
 * sleep, 1 if it must not.  Called with in.mu held; returns with it
 * held, having dropped it to take out.mu first.
 */
static int producer_may_proceed(workq_t *q)
{
	int ready;

	workq__unlock(&q->in.mu);
	workq__lock(&q->out.mu);
	workq__lock(&q->in.mu);
	if (q->bound)
		workq__lock(&q->join_mu);
	ready = q->closed || (q->in.pos - q->out.pos < q->cap &&
	                      bound_room_locked(q, 1) > 0);
	if (!ready)
		__atomic_store_n(&q->in_waiters, q->in_waiters + 1,
		                 __ATOMIC_RELAXED);
	if (q->bound)
		workq__unlock(&q->join_mu);
	workq__unlock(&q->out.mu);
	return ready;
}

/* A consumer's counterpart.  Called with out.mu held. */
static int consumer_may_proceed(workq_t *q)
{
	int ready;

	workq__lock(&q->in.mu);
	ready = q->closed || q->in.pos != q->out.pos;
	if (!ready)
		__atomic_store_n(&q->out_waiters, q->out_waiters + 1,
		                 __ATOMIC_RELAXED);
	workq__unlock(&q->in.mu);
	return ready;
}

/* The zero interval means "do not wait at all", not "sleep until a
 * deadline that has already passed". */
static int is_zero(const struct timespec *ts)
{
	return ts != NULL && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/*
 * How a waiter of end e may watch, for how long (*budget), and how many
 * times it yields if it yields (*yields), asked of the waiting policy at
 * `start` with the threads inside q's calls and `uncounted` more (a
 * select, which is in no busy count while it watches).  Called with
 * e->mu held.
 */
static enum workq__watch_how plan_watch_locked(workq_t *q, struct end *e,
                                               size_t uncounted,
                                               long long start,
                                               long long *budget,
                                               int *yields)
{
	struct end *other = e == &q->in ? &q->out : &q->in;
	size_t threads = uncounted + load_relaxed(&q->in.busy) +
	                 load_relaxed(&q->out.busy);
	int waking = load_relaxed(e == &q->in ? &q->out_woken : &q->in_woken) >
	             0;

	return workq__watch_budget(&e->watch, threads,
	                           load_relaxed(&other->busy), waking, &e->cpu,
	                           &other->cpu, start, budget, yields);
}

/*
 * Called with e->mu held, when a call of end e first finds it must wait
 * (at `start`): watches for ready() as the waiting policy allows, with
 * e->mu dropped.  Returns 1 if it watched (the caller looks again), 0 if
 * the policy says to sleep at once.  *seen is when it saw ready(), 0 if
 * its budget ran out first, or -1 if it saw it but the policy learns
 * nothing from such a watch (workq__watch_teaches()).
 */
static int watch_locked(workq_t *q, struct end *e,
                        int (*ready)(const void *), long long start,
                        long long *seen)
{
	long long budget;
	int yields;
	enum workq__watch_how how = plan_watch_locked(q, e, 0, start, &budget,
	                                              &yields);

	if (how == WATCH_NONE)
		return 0;
	workq__unlock(&e->mu);
	/* The budget runs from now: reading the CPU count (once a second)
	 * is no part of the watch. */
	if (!workq__watch(&e->watch, how, q, ready, workq__now_ns(), budget,
	                  yields))
		*seen = 0;
	else
		*seen = workq__watch_teaches(how) ? workq__now_ns() : -1;
	workq__lock(&e->mu);
	return 1;
}

/* What a call's wait went through, for the waiting policy to learn
 * from (learn_locked()) once the call has done what it waited to do:
 * the other end waits for that, not for the policy's bookkeeping.  The
 * caller sets start to 0; the rest is set when the wait begins
 * (account_begin()).  On the calling thread's stack: no lock guards it,
 * and every field is (t), the calling thread's own. */
struct wait_account {
	long long start;        /* when it first had to wait; 0: never */
	int asleep;             /* it slept at least once */
	long long mark;         /* workq__sleep_mark() before the sleep */
	long long up;           /* when it was up from its last sleep */
	long long signalled;    /* its end's last signal, as of then */
	long long cpu;          /* the CPU time its sleeps took; -1: not
	                         *     known (workq__sleep_cost()) */
	long long seen;         /* see watch_locked(); -1: nothing seen */
};

static void account_begin(struct wait_account *a)
{
	a->start = workq__now_ns();
	a->asleep = 0;
	a->mark = -1;
	a->up = 0;
	a->signalled = 0;
	a->cpu = -1;
	a->seen = -1;
}

/* A wait that slept notes when it was up, and its waker's signal: the
 * wake-up's cost ends there, not when the call has done its work.
 * Called with e->mu held. */
static void account_up(struct wait_account *a, const struct end *e)
{
	if (a->start == 0 || !a->asleep)
		return;
	a->up = workq__now_ns();
	a->signalled = e->watch.signalled;
	a->cpu = workq__sleep_cost(a->mark);
}

/*
 * Called with e->mu held, after a call of end e that waited (a->start
 * set) has done its work: tells the policy how long the wait lasted
 * until what it waited for was there: for a sleeper, until its waker
 * signalled; for a watcher, until it saw it (`seen`; 0: its budget ran
 * out, which is a failure whatever the next look found).  A wait that
 * neither slept nor watched (another thread was the end's spinner, or a
 * lock was slow) says nothing of spinning.  A sleeper's figures were
 * taken when it was up (account_up()).
 */
static void learn_waited_locked(struct end *e, const struct wait_account *a)
{
	workq__watch_note_cpu(&e->cpu, workq__now_ns());
	if (a->asleep && a->signalled >= a->start && a->signalled <= a->up)
		workq__watch_learn(&e->watch, a->signalled - a->start,
		                   a->up - a->signalled, a->cpu);
	else if (a->seen == 0)
		workq__watch_learn(&e->watch, -1, -1, -1);
	else if (a->seen > 0)
		workq__watch_learn(&e->watch, a->seen - a->start, -1, -1);
}

/* learn_waited_locked() for a call that waited; the others have nothing
 * to teach, and pay one branch. */
static inline void learn_locked(struct end *e, const struct wait_account *a)
{
	if (a->start != 0)
		learn_waited_locked(e, a);
}

/*
 * Waits until there is room, as `mode` allows: watches first as the
 * waiting policy says (wait.c), then sleeps.  Counts the call in
 * in.waits when it first sleeps (*slept, the caller's, makes that once
 * per call).  Returns 0 with room, WORKQ_CLOSED when closed (closed wins:
 * a closed queue never accepts), else EAGAIN or ETIMEDOUT.  Notes what
 * the wait went through in *a (a->start 0 from the caller), which
 * the caller passes to learn_locked() once it has put.  Called with
 * in.mu held.
 */
static int await_room(workq_t *q, int *slept, enum wait_mode mode,
                      const struct timespec *deadline,
                      struct wait_account *a)
{
	struct waiter w = { q, &q->in.mu, &q->in_waiters, &q->in_woken,
		            &q->in.busy, pass_on_room };
	int err;

	for (;;) {
		if (q->closed) {
			err = WORKQ_CLOSED;
			break;
		}
		if (room_locked(q, 1) > 0) {
			err = 0;
			break;
		}
		if (mode == WAIT_NEVER)
			return EAGAIN;
		if (a->start == 0) {
			account_begin(a);
			if (watch_locked(q, &q->in, room_fresh, a->start,
			                 &a->seen))
				continue;
		}
		if (!*slept) {
			*slept = 1;
			q->in.waits++;
		}
		if (producer_may_proceed(q))
			continue;
		if (!a->asleep) {
			a->asleep = 1;
			a->mark = workq__sleep_mark();
		}
		if (wait_on(&w, &q->in.cv, deadline) == ETIMEDOUT &&
		    !q->closed && room_locked(q, 1) == 0) {
			err = ETIMEDOUT;
			break;
		}
	}
	account_up(a, &q->in);
	return err;
}

/*
 * Waits until an item is queued, as `mode` allows; the consumers'
 * counterpart of await_room().  Returns 0 with an item, WORKQ_CLOSED when
 * closed and drained (items queued before close are still handed out),
 * else EAGAIN or ETIMEDOUT; or ECANCELED, before any look at the queue
 * that stop(arg) (where not NULL) said yes to.  Called with out.mu held.
 */
static int await_item(workq_t *q, int *slept, enum wait_mode mode,
                      const struct timespec *deadline,
                      struct wait_account *a, int (*stop)(void *),
                      void *arg)
{
	struct waiter w = { q, &q->out.mu, &q->out_waiters, &q->out_woken,
		            &q->out.busy, pass_on_item };
	int err;

	for (;;) {
		if (stop != NULL && stop(arg)) {
			/* A wake-up meant for an item may have come here. */
			pass_on_item(q);
			err = ECANCELED;
			break;
		}
		if (items_locked(q, 1) > 0) {
			/* Capacity 0: once closed, an offered item is its
			 * putter's again (invariant 7). */
			err = q->rendezvous && is_closed(q) ? WORKQ_CLOSED : 0;
			break;
		}
		/* Closing publishes every accepted item first: once closed
		 * is seen, one more look at the slots is the last word. */
		if (is_closed(q)) {
			err = items_locked(q, 1) > 0 && !q->rendezvous ?
			      0 : WORKQ_CLOSED;
			break;
		}
		if (mode == WAIT_NEVER)
			return EAGAIN;
		if (a->start == 0) {
			account_begin(a);
			if (q->rendezvous) {
				getter_waits(q, NULL);
				w.pass_on = pass_on_getter;
			}
			if (watch_locked(q, &q->out, item_fresh, a->start,
			                 &a->seen))
				continue;
		}
		if (!*slept) {
			*slept = 1;
			q->out.waits++;
		}
		if (consumer_may_proceed(q))
			continue;
		if (!a->asleep) {
			a->asleep = 1;
			a->mark = workq__sleep_mark();
		}
		if (wait_on(&w, &q->out.cv, deadline) == ETIMEDOUT &&
		    items_locked(q, 1) == 0 && !is_closed(q)) {
			err = ETIMEDOUT;
			break;
		}
	}
	account_up(a, &q->out);
	if (a->start != 0 && q->rendezvous)
		getter_leaves(q);
	return err;
}

/* ------------------------------------------------------------------ */
/* The ring                                                            */
/* ------------------------------------------------------------------ */

/*
 * Copies items[0..k) into the ring and publishes them (which also makes
 * them unfinished: see `finished`).  Called with in.mu held and room
 * for k.
 */
static void push_locked(workq_t *q, void *const *items, size_t k)
{
	size_t i, idx, len;

	/* Items first, then their sequence numbers, so that one annotation
	 * per call covers them all. */
	for (i = 0, idx = q->in.idx; i < k; i++) {
		q->slots[idx].item = items[i];
		if (++idx == q->cap)
			idx = 0;
	}
	workq__happens_before(&q->in.pos);
	for (i = 0; i < k; i++) {
		__atomic_store_n(&q->slots[q->in.idx].seq, q->in.pos + i + 1,
		                 __ATOMIC_RELEASE);
		if (++q->in.idx == q->cap)
			q->in.idx = 0;
	}
	store_release(&q->in.pos, q->in.pos + k);
	q->in.ops += k;
	/* in.seen may be stale, which only overstates the size: look
	 * again before believing a new high. */
	len = q->in.pos - q->in.seen;
	if (len > q->high_water) {
		q->in.seen = load_acquire(&q->out.pos);
		len = q->in.pos - q->in.seen;
		if (len > q->high_water)
			q->high_water = len;
	}
}

/* Moves the k oldest items into items[] and publishes the free slots.
 * Called with out.mu held and at least k items queued. */
static void pop_locked(workq_t *q, void **items, size_t k)
{
	size_t i;

	workq__happens_after(&q->in.pos);       /* see push_locked() */
	for (i = 0; i < k; i++) {
		items[i] = q->slots[q->out.idx].item;
		if (++q->out.idx == q->cap)
			q->out.idx = 0;
	}
	workq__happens_before(&q->out.pos);
	store_release(&q->out.pos, q->out.pos + k);
}

/*
 * Accepted items not yet finished.  Called with join_mu held.  Counted
 * by accepted(), not by in.pos alone: task_done calls for items taken
 * just before in.pos counts them must not catch finished up with it.
 * out.pos is loaded first: consumers are never more than a batch (at
 * most cap) ahead of in.pos, so an in.pos loaded after it is at most cap
 * behind it, which accepted() needs.
 */
static size_t unfinished_locked(const workq_t *q)
{
	size_t out = load_acquire(&q->out.pos);

	/* Capacity 0: accepted means taken (invariant 7); withdrawals
	 * move out.pos and withdrawn together under join_mu. */
	if (q->rendezvous)
		return out - q->withdrawn - q->finished;
	return accepted(q, load_acquire(&q->in.pos), out) - q->finished;
}

/*
 * Marks one item finished, unless none is unfinished (task_done may have
 * been called ahead); wakes the joiners when none is left, and on a
 * bound queue a producer asleep for the room it made.  Returns 1 if it
 * marked one, else 0.  Callers may hold out.mu, not in.mu.
 */
static int finish_one(workq_t *q)
{
	int marked = 0;
	int sleepers = 0;
	int selects = 0;

	workq__lock(&q->join_mu);
	if (unfinished_locked(q) > 0) {
		store_release(&q->finished, q->finished + 1);
		marked = 1;
		if (unfinished_locked(q) == 0 && q->join_waiters > 0)
			workq__broadcast(&q->all_done);
		/* A producer counts itself under join_mu (invariant 6). */
		sleepers = q->bound &&
		           idle_sleepers(&q->in_waiters, &q->in_woken);
		selects = q->bound && sels(&q->room_sels) != NULL;
	}
	workq__unlock(&q->join_mu);
	if (marked && q->bound)
		notify_room(q);
	if (sleepers || selects) {
		/* in.mu comes before join_mu: dropped first, see the top. */
		workq__lock(&q->in.mu);
		wake_locked(&q->in, q->in_waiters, &q->in_woken, 1);
		fire_sels(sels(&q->room_sels), NULL);
		workq__unlock(&q->in.mu);
	}
	return marked;
}

/*
 * Closes the queue.  Called with in.mu held: every put that got in has
 * published its item.  Wakes the producers; returns 1 if it closed it
 * (the caller must then call closed_wake_consumers() once in.mu is
 * dropped), 0 if it was closed already.
 */
static int close_in_locked(workq_t *q)
{
	if (q->closed)
		return 0;
	workq__happens_before(&q->closed);
	__atomic_store_n(&q->closed, 1, __ATOMIC_RELEASE);
	wake_all_locked(&q->in, q->in_waiters, &q->in_woken);
	fire_sels(sels(&q->room_sels), NULL);
	fire_sels(sels(&q->item_sels), NULL);
	notify_room(q);
	return 1;
}

static void closed_wake_consumers(workq_t *q)
{
	workq__lock(&q->out.mu);
	wake_all_locked(&q->out, q->out_waiters, &q->out_woken);
	/* Capacity 0: putters whose items are offered withdraw them. */
	if (q->rendezvous && q->handoff_waiters > 0)
		workq__broadcast(&q->taken);
	workq__unlock(&q->out.mu);
	if (__atomic_load_n(&q->note_open, __ATOMIC_ACQUIRE))
		notify(q);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

static int end_init(struct end *e, int policy)
{
	int err = workq__mutex_init(&e->mu);

	if (err != 0)
		return err;
	err = workq__cond_init(&e->cv);
	if (err != 0) {
		pthread_mutex_destroy(&e->mu);
		return err;
	}
	e->pos = e->idx = e->seen = e->busy = 0;
	e->ops = e->waits = 0;
	e->cpu = -1;
	workq__watch_init(&e->watch, policy);
	return 0;
}

static void end_destroy(struct end *e)
{
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
}

/* The rest of workq_create_attr, once the memory is there. */
static int init(workq_t *q, size_t capacity, const workq_attr_t *a)
{
	size_t i;
	int err = end_init(&q->in, a->spin);

	if (err != 0)
		return err;
	err = end_init(&q->out, a->spin);
	if (err != 0)
		goto fail_out;
	err = pthread_mutex_init(&q->join_mu, NULL);
	if (err != 0)
		goto fail_join_mu;
	err = workq__cond_init(&q->all_done);
	if (err != 0)
		goto fail_all_done;
	err = workq__mutex_init(&q->note_mu);
	if (err != 0)
		goto fail_note_mu;
	err = workq__cond_init(&q->taken);
	if (err != 0)
		goto fail_taken;
	err = pthread_mutex_init(&q->room_mu, NULL);
	if (err != 0)
		goto fail_room_mu;
	/* Capacity 0 is a ring of one slot whose item is only offered. */
	q->rendezvous = capacity == 0;
	q->cap = capacity == 0 ? 1 : capacity;
	q->bound = a->bound_unfinished;
	for (i = 0; i < q->cap; i++)
		q->slots[i].seq = 0;
	q->closed = 0;
	q->in_waiters = q->out_waiters = q->join_waiters = 0;
	q->in_woken = q->out_woken = 0;
	q->note_open = 0;
	q->item_sels = q->room_sels = NULL;
	q->room_open = 0;
	q->finished = q->withdrawn = 0;
	q->handoff_waiters = q->getters = 0;
	q->pools = q->producers = q->high_water = 0;
	q->discarded = 0;
	q->join_busy = 0;
	workq__notifier_init(&q->note);
	workq__notifier_init(&q->room);
	return 0;

fail_room_mu:
	pthread_cond_destroy(&q->taken);
fail_taken:
	pthread_mutex_destroy(&q->note_mu);
fail_note_mu:
	pthread_cond_destroy(&q->all_done);
fail_all_done:
	pthread_mutex_destroy(&q->join_mu);
fail_join_mu:
	end_destroy(&q->out);
fail_out:
	end_destroy(&q->in);
	return err;
}

/* Where the ring starts: the first LINE boundary after the queue. */
static size_t ring_offset(void)
{
	return (sizeof(struct workq) + LINE - 1) / LINE * LINE;
}

/*
 * The queue starts at the first LINE boundary of its block, and the ring
 * at the first one after the queue, so that the padding in struct workq
 * puts each group of fields on the same cache lines whatever address
 * malloc returns, and no slot straddles two lines (a slot's item and its
 * seq are read together).
 */
int workq_create(workq_t **qp, size_t capacity)
{
	return workq_create_attr(qp, capacity, NULL);
}

int workq_create_attr(workq_t **qp, size_t capacity,
                      const workq_attr_t *attr)
{
	workq_attr_t defaults;
	const workq_attr_t *a = attr;
	workq_t *q;
	char *block;
	int saved_errno = errno;
	int err;

	if (a == NULL) {
		workq__attr_init(&defaults);
		a = &defaults;
	}
	/* Capacity 0 is a rendezvous, but a bound queue needs room for an
	 * item: only that can bound the items not finished. */
	if (qp == NULL || (capacity == 0 && a->bound_unfinished) ||
	    capacity > PTRDIFF_MAX / sizeof(void *) - 1)
		return EINVAL;
	/* No object may exceed PTRDIFF_MAX bytes; do not even ask for one. */
	if (capacity > (PTRDIFF_MAX - ring_offset() - LINE) /
	               sizeof(struct slot))
		return ENOMEM;
	block = a->alloc(LINE - 1 + ring_offset() +
	                 (capacity == 0 ? 1 : capacity) * sizeof(struct slot),
	                 a->alloc_ctx);
	errno = saved_errno;    /* the API never sets errno */
	if (block == NULL)
		return ENOMEM;
	q = (workq_t *)(void *)(block + (LINE - (uintptr_t)block % LINE) % LINE);
	q->block = block;
	q->release = a->release;
	q->alloc_ctx = a->alloc_ctx;
	q->slots = (struct slot *)(void *)((char *)q + ring_offset());
	err = init(q, capacity, a);
	errno = saved_errno;    /* nor does sysconf, for init, on failure */
	if (err != 0) {
		a->release(block, a->alloc_ctx);
		return err;
	}
	*qp = q;
	return 0;
}

int workq_destroy(workq_t *q)
{
	int busy;

	if (q == NULL)
		return EINVAL;
	workq__lock(&q->out.mu);
	workq__lock(&q->in.mu);
	workq__lock(&q->join_mu);
	busy = q->in.busy > 0 || q->out.busy > 0 || q->join_busy > 0 ||
	       q->pools > 0;
	workq__unlock(&q->join_mu);
	workq__unlock(&q->in.mu);
	workq__unlock(&q->out.mu);
	if (busy)
		return EBUSY;
	workq__notifier_close(&q->note);
	workq__notifier_close(&q->room);
	pthread_mutex_destroy(&q->room_mu);
	pthread_cond_destroy(&q->taken);
	pthread_mutex_destroy(&q->note_mu);
	pthread_cond_destroy(&q->all_done);
	pthread_mutex_destroy(&q->join_mu);
	end_destroy(&q->out);
	end_destroy(&q->in);
	/* The block holds q: the call's operands are read before it. */
	q->release(q->block, q->alloc_ctx);
	return 0;
}

void workq__pool_attach(workq_t *q)
{
	workq__lock(&q->in.mu);
	q->pools++;
	workq__unlock(&q->in.mu);
}

void workq__pool_detach(workq_t *q)
{
	workq__lock(&q->in.mu);
	q->pools--;
	workq__unlock(&q->in.mu);
}

/* ------------------------------------------------------------------ */
/* Putting                                                             */
/* ------------------------------------------------------------------ */

/*
 * Capacity 0: takes back the item offered at position pos unless a
 * consumer took it (invariant 7): pops it as a get would, but as an item
 * that was never accepted, so that puts == gets + discarded + size and
 * the unfinished count hold at every moment either lock shows.  Returns
 * 1 if it took it back, 0 if it had been taken.  Called with out.mu
 * held; returns with it held.
 */
static int withdraw_locked(workq_t *q, size_t pos)
{
	void *item;

	if (q->out.pos != pos)
		return 0;
	workq__lock(&q->in.mu);
	workq__lock(&q->join_mu);
	(void)items_locked(q, 1);       /* it is there: its putter is here */
	pop_locked(q, &item, 1);
	q->withdrawn++;
	q->in.ops--;
	workq__unlock(&q->join_mu);
	workq__unlock(&q->in.mu);
	/* The slot is free, and the descriptor may have to go quiet. */
	poke_producers_locked(q, 1);
	return 1;
}

/* A putter whose item is offered at pos, for its cleanup handler. */
struct offer {
	workq_t *q;
	size_t pos;
};

/* Runs when a putter is cancelled while its item is offered: the
 * condvar wait has re-acquired out.mu.  Unless a consumer took the item
 * meanwhile (then it was delivered, exactly once), it is withdrawn, so
 * that no consumer receives an item whose put did not return 0. */
static void offer_cancelled(void *arg)
{
	struct offer *o = arg;
	workq_t *q = o->q;

	q->handoff_waiters--;
	(void)withdraw_locked(q, o->pos);
	workq__lock(&q->in.mu);
	leave(&q->in);
	workq__unlock(&q->in.mu);
	workq__unlock(&q->out.mu);
}

/* Sleeps once on `taken` (a cancellation point: see offer_cancelled()).
 * Returns 0 or ETIMEDOUT.  Called with out.mu held. */
static int sleep_for_take(struct offer *o, const struct timespec *deadline)
{
	int err;

	pthread_cleanup_push(offer_cancelled, o);
	err = workq__wait(&o->q->taken, &o->q->out.mu, deadline);
	pthread_cleanup_pop(0);
	return err;
}

/*
 * Capacity 0: waits until a consumer took the item offered at pos (0),
 * else withdraws it and returns WORKQ_CLOSED once the queue is closed,
 * ETIMEDOUT once the deadline passed, or, for mode WAIT_NEVER, EAGAIN
 * once no consumer is left waiting in a get: a try_put offers only to a
 * consumer already waiting, which takes the item at once unless it
 * leaves first.  The decision is made under out.mu, as a take is, so a
 * put and a get never disagree on it.  It sleeps at once, on `taken`,
 * rather than through the waiting policy: a consumer that is there takes
 * the item within its own watch, and one that is not will take long.
 * Called with out.mu held, and with in.busy counting the caller.
 */
static int await_taken_locked(workq_t *q, size_t pos, enum wait_mode mode,
                              const struct timespec *deadline)
{
	struct offer o = { q, pos };
	/* A zero timeout is a try: it waits for its consumer, not for a
	 * deadline that has passed already. */
	const struct timespec *const dl = mode == WAIT_NEVER ? NULL : deadline;
	int timed_out = 0;
	int err;

	for (;;) {
		if (q->out.pos != pos)
			return 0;
		if (is_closed(q)) {
			err = WORKQ_CLOSED;
			break;
		}
		if (mode == WAIT_NEVER && q->getters == 0) {
			err = EAGAIN;
			break;
		}
		if (timed_out) {
			err = ETIMEDOUT;
			break;
		}
		q->handoff_waiters++;
		timed_out = sleep_for_take(&o, dl) == ETIMEDOUT;
		q->handoff_waiters--;
	}
	(void)withdraw_locked(q, pos);
	return err;
}

/*
 * Capacity 0: puts *item in the free slot, then waits with in.mu
 * dropped until it was taken (see await_taken_locked()).  A try_put
 * (mode WAIT_NEVER) offers only while a consumer waits in a get.
 * Called with in.mu held and the slot free; returns with in.mu held.
 */
static int offer_locked(workq_t *q, void *const *item, enum wait_mode mode,
                        const struct timespec *deadline)
{
	size_t pos = q->in.pos;
	int cancel = PTHREAD_CANCEL_ENABLE;
	int err;

	if (mode == WAIT_NEVER && load_relaxed(&q->getters) == 0)
		return EAGAIN;
	/* try_put is no cancellation point, even while it waits for the
	 * consumer it offered to. */
	if (mode == WAIT_NEVER)
		(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	push_locked(q, item, 1);
	poke_consumers_locked(q, 1);
	workq__unlock(&q->in.mu);
	workq__lock(&q->out.mu);
	err = await_taken_locked(q, pos, mode, deadline);
	workq__unlock(&q->out.mu);
	if (mode == WAIT_NEVER)
		(void)pthread_setcancelstate(cancel, &cancel);
	workq__lock(&q->in.mu);
	return err;
}

/* A zero timeout makes a timed call a try; its code is still the timed
 * one. */
static int timed_code(int err, enum wait_mode mode)
{
	return err == EAGAIN && mode == WAIT_LIMITED ? ETIMEDOUT : err;
}

/* Puts item and wakes a consumer for it.  Called with in.mu held and
 * room for it, on a queue of capacity 1 or more. */
static void give_locked(workq_t *q, void *item)
{
	push_locked(q, &item, 1);
	poke_consumers_locked(q, 1);
}

/*
 * put_one() where the first look found no room, or the queue has
 * capacity 0: waits as `m` allows (`mode` names the call, for its error
 * code), puts, and then has the policy learn from the wait.  Called with
 * in.mu held.
 */
static int put_waiting(workq_t *q, void *item, enum wait_mode m,
                       const struct timespec *dl, enum wait_mode mode)
{
	struct wait_account a;
	int slept = 0;
	int err;

	a.start = 0;
	err = await_room(q, &slept, m, dl, &a);
	if (err == 0 && !q->rendezvous)
		give_locked(q, item);
	else if (err == 0)
		err = timed_code(offer_locked(q, &item, m, dl), mode);
	else
		err = timed_code(err, mode);
	learn_locked(&q->in, &a);
	return err;
}

/*
 * The one put: the public variants differ only in `mode` and `timeout`.
 * Checks every argument before touching the queue.
 */
static int put_one(workq_t *q, void *item, enum wait_mode mode,
                   const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	enum wait_mode m;
	int err = 0;

	if (q == NULL || workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (item == WORKQ_DONE)
		return workq_close(q);
	if (mode == WAIT_LIMITED && timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	m = is_zero(timeout) ? WAIT_NEVER : mode;
	workq__lock(&q->in.mu);
	enter(&q->in);
	/* await_room()'s first look, without the setting up of a wait. */
	if (!q->closed && !q->rendezvous && room_locked(q, 1) > 0)
		give_locked(q, item);
	else
		err = put_waiting(q, item, m, dl, mode);
	leave(&q->in);
	workq__unlock(&q->in.mu);
	return err;
}

int workq_put(workq_t *q, void *item)
{
	return put_one(q, item, WAIT_FOREVER, NULL);
}

int workq_try_put(workq_t *q, void *item)
{
	return put_one(q, item, WAIT_NEVER, NULL);
}

int workq_timed_put(workq_t *q, void *item, const struct timespec *timeout)
{
	return put_one(q, item, WAIT_LIMITED, timeout);
}

int workq_put_many(workq_t *q, void *const *items, size_t n, size_t *nput)
{
	size_t done = 0;
	size_t i;
	int slept = 0;
	int err = 0;

	if (nput != NULL)
		*nput = 0;
	if (q == NULL || nput == NULL || (items == NULL && n > 0))
		return EINVAL;
	/* All or nothing for a bad item: scan before anything is put. */
	for (i = 0; i < n; i++)
		if (items[i] == WORKQ_DONE)
			return EINVAL;
	workq__lock(&q->in.mu);
	enter(&q->in);
	if (q->closed)
		err = WORKQ_CLOSED;
	while (err == 0 && done < n) {
		struct wait_account a;
		size_t k;

		a.start = 0;
		err = await_room(q, &slept, WAIT_FOREVER, NULL, &a);
		if (err == 0 && q->rendezvous) {
			/* One at a time, each handed over before the next. */
			err = offer_locked(q, items + done, WAIT_FOREVER, NULL);
			if (err == 0)
				done++;
		} else if (err == 0) {
			k = room_locked(q, n - done);
			if (k > n - done)
				k = n - done;
			push_locked(q, items + done, k);
			done += k;
			poke_consumers_locked(q, k);
		}
		learn_locked(&q->in, &a);
	}
	leave(&q->in);
	workq__unlock(&q->in.mu);
	*nput = done;
	return err;
}

/* ------------------------------------------------------------------ */
/* Getting                                                             */
/* ------------------------------------------------------------------ */

/* Takes the oldest item into *itemp.  Called with out.mu held and an
 * item queued. */
static void take_locked(workq_t *q, void **itemp)
{
	pop_locked(q, itemp, 1);
	q->out.ops++;
	poke_producers_locked(q, 1);
}

/* get_one() where the first look found no item, or the queue has
 * capacity 0: the consumers' put_waiting(), with await_item()'s way out
 * for workq__get_unless().  Called with out.mu held. */
static int get_waiting(workq_t *q, void **itemp, enum wait_mode m,
                       const struct timespec *dl, enum wait_mode mode,
                       int (*stop)(void *), void *arg)
{
	struct wait_account a;
	int slept = 0;
	int err;

	a.start = 0;
	err = await_item(q, &slept, m, dl, &a, stop, arg);
	if (err == 0)
		take_locked(q, itemp);
	else if (err == WORKQ_CLOSED)
		*itemp = WORKQ_DONE;
	else
		err = timed_code(err, mode);
	learn_locked(&q->out, &a);
	return err;
}

/* The one get behind the three public variants. */
static int get_one(workq_t *q, void **itemp, enum wait_mode mode,
                   const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	int err = 0;

	if (q == NULL || itemp == NULL ||
	    workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (mode == WAIT_LIMITED && timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	workq__lock(&q->out.mu);
	enter(&q->out);
	/* await_item()'s first look, likewise. */
	if (!q->rendezvous && items_locked(q, 1) > 0)
		take_locked(q, itemp);
	else
		err = get_waiting(q, itemp, is_zero(timeout) ? WAIT_NEVER :
		                  mode, dl, mode, NULL, NULL);
	leave(&q->out);
	workq__unlock(&q->out.mu);
	return err;
}

int workq_get(workq_t *q, void **itemp)
{
	return get_one(q, itemp, WAIT_FOREVER, NULL);
}

int workq_try_get(workq_t *q, void **itemp)
{
	return get_one(q, itemp, WAIT_NEVER, NULL);
}

int workq_timed_get(workq_t *q, void **itemp, const struct timespec *timeout)
{
	return get_one(q, itemp, WAIT_LIMITED, timeout);
}

int workq_get_many(workq_t *q, void **items, size_t max, size_t *ngot)
{
	struct wait_account a;
	size_t k = 0;
	int slept = 0;
	int err;

	if (ngot != NULL)
		*ngot = 0;
	if (q == NULL || items == NULL || ngot == NULL || max == 0)
		return EINVAL;
	workq__lock(&q->out.mu);
	enter(&q->out);
	a.start = 0;
	err = await_item(q, &slept, WAIT_FOREVER, NULL, &a, NULL, NULL);
	if (err == 0) {
		k = items_locked(q, max);
		if (k > max)
			k = max;
		pop_locked(q, items, k);
		q->out.ops += k;
		poke_producers_locked(q, k);
	}
	learn_locked(&q->out, &a);
	leave(&q->out);
	workq__unlock(&q->out.mu);
	*ngot = k;
	return err;
}

/* ------------------------------------------------------------------ */
/* Closing                                                             */
/* ------------------------------------------------------------------ */

int workq_close(workq_t *q)
{
	int closed_now;

	if (q == NULL)
		return EINVAL;
	workq__lock(&q->in.mu);
	closed_now = close_in_locked(q);
	workq__unlock(&q->in.mu);
	if (closed_now)
		closed_wake_consumers(q);
	return 0;
}

/*
 * Runs if fn ends the discarding thread (pthread_exit, or cancellation at
 * a cancellation point inside fn).  The item fn held was handed over; the
 * items not yet removed stay queued, for consumers or another discard,
 * so nothing is lost, and the call stops keeping destroy away.
 */
static void discard_abandoned(void *arg)
{
	workq_t *q = arg;

	workq__lock(&q->out.mu);
	leave(&q->out);
	workq__unlock(&q->out.mu);
}

/* Calls fn(item, arg) with no mutex held. */
static void hand_back(workq_t *q, workq_item_fn *fn, void *item, void *arg)
{
	pthread_cleanup_push(discard_abandoned, q);
	fn(item, arg);
	pthread_cleanup_pop(0);
}

int workq_discard(workq_t *q, workq_item_fn *fn, void *arg)
{
	if (q == NULL)
		return EINVAL;
	(void)workq_close(q);
	workq__lock(&q->out.mu);
	enter(&q->out);
	/* Closed, so nothing new arrives and the loop ends.  Each item leaves
	 * the ring (and counts as finished) under the lock; fn sees it after
	 * the lock is dropped, so fn may call back into q.  One item at a
	 * time, so that fn never holds more than the one it was given, and
	 * a consumer running meanwhile takes the others: each item goes
	 * exactly one way.  Capacity 0: an item in the ring is only
	 * offered, and its putter, woken by the close, takes it back. */
	while (!q->rendezvous && items_locked(q, 1) > 0) {
		void *item;

		pop_locked(q, &item, 1);
		q->discarded++;
		(void)finish_one(q);
		if (fn == NULL)
			continue;
		workq__unlock(&q->out.mu);
		hand_back(q, fn, item, arg);
		workq__lock(&q->out.mu);
	}
	leave(&q->out);
	workq__unlock(&q->out.mu);
	if (__atomic_load_n(&q->note_open, __ATOMIC_ACQUIRE))
		notify(q);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Completion tracking                                                 */
/* ------------------------------------------------------------------ */

int workq_task_done(workq_t *q)
{
	if (q == NULL)
		return EINVAL;
	return finish_one(q) ? 0 : ERANGE;
}

int workq_join(workq_t *q)
{
	return workq_timed_join(q, NULL);
}


int workq_timed_join(workq_t *q, const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	struct waiter w;
	int err = 0;

	if (q == NULL || workq__check_timeout(timeout) != 0)
		return EINVAL;
	/* A pool worker's own item is unfinished until fn returns: the
	 * join could only wait for itself (or time out). */
	if (workq__in_pool_worker_of(q))
		return EDEADLK;
	if (timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	w.q = q;
	w.mu = &q->join_mu;
	w.count = &q->join_waiters;
	w.woken = NULL;
	w.busy = &q->join_busy;
	w.pass_on = NULL;       /* joiners are woken by broadcast */
	workq__lock(&q->join_mu);
	q->join_busy++;
	while (unfinished_locked(q) > 0 && err == 0) {
		if (is_zero(timeout)) {
			err = ETIMEDOUT;
			break;
		}
		q->join_waiters++;
		if (wait_on(&w, &q->all_done, dl) == ETIMEDOUT)
			err = unfinished_locked(q) > 0 ? ETIMEDOUT : 0;
	}
	q->join_busy--;
	workq__unlock(&q->join_mu);
	return err;
}

/* ------------------------------------------------------------------ */
/* Producers that finish on their own                                  */
/* ------------------------------------------------------------------ */

int workq_add_producers(workq_t *q, unsigned n)
{
	int err = 0;

	if (q == NULL)
		return EINVAL;
	/* n == 0 registers nothing but still reports a closed queue, so
	 * that every call answers the same question: may producers still
	 * come? */
	workq__lock(&q->in.mu);
	if (q->closed)
		err = WORKQ_CLOSED;
	else if (n == 0)
		err = 0;
	else if (q->producers > SIZE_MAX - n)
		err = EOVERFLOW;
	else
		q->producers += n;
	workq__unlock(&q->in.mu);
	return err;
}

int workq_producer_done(workq_t *q)
{
	int closed_now = 0;
	int err = 0;

	if (q == NULL)
		return EINVAL;
	workq__lock(&q->in.mu);
	if (q->producers == 0)
		err = ERANGE;
	else if (--q->producers == 0)
		closed_now = close_in_locked(q); /* 0 if someone closed it */
	workq__unlock(&q->in.mu);
	if (closed_now)
		closed_wake_consumers(q);
	return err;
}

/* ------------------------------------------------------------------ */
/* Event-loop integration                                              */
/* ------------------------------------------------------------------ */

/*
 * Opens descriptor n on its first call, then sets *flag, from which on
 * every change calls the descriptor's notify function; stores the
 * descriptor in *fdp.  *flag is set with the ends' mutexes held (and
 * join_mu, for the room descriptor, which task_done moves): every change
 * is made under one of those, so one made before is seen by the caller's
 * notify, and one made after sees *flag.  note_mu serialises the
 * openings.  Returns 0 or the errno of the descriptor's creation, and
 * *opened = 1 if this call opened it (the caller then notifies).
 */
static int open_notifier(workq_t *q, struct workq__notifier *n, int *flag,
                         int with_join, int *fdp, int *opened)
{
	int err = 0;

	*opened = 0;
	workq__lock(&q->note_mu);
	if (n->rfd < 0) {
		int saved_errno = errno;

		err = workq__notifier_open(n);
		errno = saved_errno;
		if (err == 0) {
			workq__lock(&q->out.mu);
			workq__lock(&q->in.mu);
			if (with_join)
				workq__lock(&q->join_mu);
			__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
			if (with_join)
				workq__unlock(&q->join_mu);
			workq__unlock(&q->in.mu);
			workq__unlock(&q->out.mu);
			*opened = 1;
		}
	}
	if (err == 0)
		*fdp = n->rfd;
	workq__unlock(&q->note_mu);
	return err;
}

int workq_pollfd(workq_t *q, int *fdp)
{
	int opened, err;

	if (q == NULL || fdp == NULL)
		return EINVAL;
	err = open_notifier(q, &q->note, &q->note_open, 0, fdp, &opened);
	if (opened)
		notify(q);
	return err;
}

int workq_pollfd_room(workq_t *q, int *fdp)
{
	int opened, err;

	if (q == NULL || fdp == NULL)
		return EINVAL;
	err = open_notifier(q, &q->room, &q->room_open, 1, fdp, &opened);
	if (opened)
		notify_room(q);
	return err;
}

/* ------------------------------------------------------------------ */
/* Inspection                                                          */
/* ------------------------------------------------------------------ */

/* The inspectors take a const queue, but reading the ends' fields still
 * needs their mutexes; locking does not change the queue's observable
 * state. */
static void lock_ends(const workq_t *q)
{
	workq__lock((pthread_mutex_t *)&q->out.mu);
	workq__lock((pthread_mutex_t *)&q->in.mu);
}

static void unlock_ends(const workq_t *q)
{
	workq__unlock((pthread_mutex_t *)&q->in.mu);
	workq__unlock((pthread_mutex_t *)&q->out.mu);
}

size_t workq_size(const workq_t *q)
{
	size_t len;

	if (q == NULL)
		return 0;
	lock_ends(q);
	len = q->in.pos - q->out.pos;
	unlock_ends(q);
	return len;
}

size_t workq_capacity(const workq_t *q)
{
	return q == NULL || q->rendezvous ? 0 : q->cap;
}

int workq_is_closed(const workq_t *q)
{
	return q == NULL ? 0 : is_closed(q);
}

int workq_stats(const workq_t *q, struct workq_stats *st)
{
	if (q == NULL || st == NULL)
		return EINVAL;
	lock_ends(q);
	st->puts = q->in.ops;
	st->gets = q->out.ops;
	st->discarded = q->discarded;
	st->put_waits = q->in.waits;
	st->get_waits = q->out.waits;
	st->size = q->in.pos - q->out.pos;
	st->high_water = q->high_water;
	/* Capacity 0: a putter asleep until its item is taken is blocked
	 * too. */
	st->blocked_producers = q->in_waiters + q->handoff_waiters;
	st->blocked_consumers = q->out_waiters;
	unlock_ends(q);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pools that shrink (lib/pool.c)                                      */
/* ------------------------------------------------------------------ */

/*
 * Wakes every sleeping consumer to look at the queue again: a pool
 * calls it after telling some of its workers to leave, so that those
 * sleeping in workq__get_unless() see their stop().  The others find
 * nothing new and sleep again.
 */
void workq__wake_consumers(workq_t *q)
{
	workq__lock(&q->out.mu);
	wake_all_locked(&q->out, q->out_waiters, &q->out_woken);
	workq__unlock(&q->out.mu);
}

/*
 * workq_get() with a way out: stop(arg) is asked, under out.mu, before
 * every look at the queue.  So a consumer never takes an item once
 * stop() has said yes within a section of out.mu
 * (workq__wake_consumers() is one), and one asleep is woken by it.
 * Returns what workq_get() returns, or ECANCELED, having taken nothing,
 * when stop() said yes.
 */
int workq__get_unless(workq_t *q, void **itemp, int (*stop)(void *),
                      void *arg)
{
	int err;

	workq__lock(&q->out.mu);
	enter(&q->out);
	err = get_waiting(q, itemp, WAIT_FOREVER, NULL, WAIT_FOREVER, stop,
	                  arg);
	leave(&q->out);
	workq__unlock(&q->out.mu);
	return err;
}

/* ------------------------------------------------------------------ */
/* Unfinished items (0.3)                                              */
/* ------------------------------------------------------------------ */

size_t workq_unfinished(const workq_t *q)
{
	size_t n;

	if (q == NULL)
		return 0;
	/* As the inspectors above: locking leaves the queue as it was. */
	workq__lock((pthread_mutex_t *)&q->join_mu);
	n = unfinished_locked(q);
	workq__unlock((pthread_mutex_t *)&q->join_mu);
	return n;
}

/* ------------------------------------------------------------------ */
/* Selects (invariant 9; lib/select.c)                                 */
/* ------------------------------------------------------------------ */

int workq__rendezvous(const workq_t *q)
{
	return q->rendezvous;
}

int workq__select_fresh(const workq_t *q, int put)
{
	if (!put)
		return item_fresh(q);
	if (q->rendezvous && !is_closed(q))
		return room_fresh(q) && load_relaxed(&q->getters) > 0;
	return room_fresh(q);
}

/*
 * A select about to link itself watches first, as a get or put on q
 * would (watch_locked()), but for any of its cases (ready(arg)).  What
 * it saw does not teach q's end: a select's wait is not that end's.
 */
int workq__select_watch(workq_t *q, int put, int (*ready)(const void *),
                        const void *arg)
{
	struct end *e = put ? &q->in : &q->out;
	long long budget;
	int yields;
	enum workq__watch_how how;

	workq__lock(&e->mu);
	how = plan_watch_locked(q, e, 1, workq__now_ns(), &budget, &yields);
	workq__unlock(&e->mu);
	if (how == WATCH_NONE)
		return 0;
	return workq__watch(&e->watch, how, arg, ready, workq__now_ns(),
	                    budget, yields);
}

/* Can a put proceed (or fail at once, closed)?  `mine`: see
 * workq__select_link().  Called with both ends' mutexes held, and
 * join_mu on a bound queue. */
static int put_ready_locked(const workq_t *q, size_t mine)
{
	if (q->closed)
		return 1;
	if (q->in.pos - q->out.pos >= q->cap || bound_room_locked(q, 1) == 0)
		return 0;
	return !q->rendezvous || q->getters > mine;
}

static void link_sel(struct workq__sel_link **list, struct workq__sel_link *l)
{
	l->prev = NULL;
	l->next = *list;
	if (l->next != NULL)
		l->next->prev = l;
	__atomic_store_n(list, l, __ATOMIC_RELAXED);
}

static void unlink_sel(struct workq__sel_link **list, struct workq__sel_link *l)
{
	if (l->next != NULL)
		l->next->prev = l->prev;
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		__atomic_store_n(list, l->next, __ATOMIC_RELAXED);
}

/*
 * Links l, a select's get (put == 0) or put on q, so that whoever makes
 * it possible fires l->sel (invariant 9), and counts the select as a
 * call inside q, which destroy refuses meanwhile.  On a capacity 0
 * queue a get counts in getters, as a consumer in workq_get; `mine` is
 * how many of the same select's gets on q are linked already, which
 * cannot take its own put.  Returns 1 if the operation can proceed now.
 */
int workq__select_link(workq_t *q, struct workq__sel_link *l, int put,
                       size_t mine)
{
	int ready;

	workq__lock(&q->out.mu);
	workq__lock(&q->in.mu);
	if (put) {
		if (q->bound)
			workq__lock(&q->join_mu);
		enter(&q->in);
		ready = put_ready_locked(q, mine);
		link_sel(&q->room_sels, l);
		if (q->bound)
			workq__unlock(&q->join_mu);
	} else {
		enter(&q->out);
		ready = q->closed || q->in.pos != q->out.pos;
		link_sel(&q->item_sels, l);
	}
	workq__unlock(&q->in.mu);
	if (!put && q->rendezvous)
		getter_waits(q, l->sel);
	workq__unlock(&q->out.mu);
	return ready;
}

/* Undoes workq__select_link(). */
void workq__select_unlink(workq_t *q, struct workq__sel_link *l, int put)
{
	workq__lock(&q->out.mu);
	workq__lock(&q->in.mu);
	if (put) {
		if (q->bound)
			workq__lock(&q->join_mu);
		unlink_sel(&q->room_sels, l);
		leave(&q->in);
		if (q->bound)
			workq__unlock(&q->join_mu);
	} else {
		unlink_sel(&q->item_sels, l);
		leave(&q->out);
	}
	workq__unlock(&q->in.mu);
	if (!put && q->rendezvous)
		getter_leaves(q);
	workq__unlock(&q->out.mu);
}
