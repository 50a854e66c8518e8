/*
 * queue.c - the bounded queue: a ring of void * behind one mutex, with
 * condition variables for each kind of waiter.
 *
 * States.  A queue is open or closed; closing is one-way.  The done
 * sentinel is not stored in the ring: it is the state "closed and empty",
 * which every consumer observes, forever, after the last real item.  That
 * is what a sentinel kept in a reserved slot and re-posted by each
 * consumer would give, without the slot: closing and "re-posting" can
 * never wait or fail, because they only set a flag, and no consumer can
 * ever miss the sentinel by being woken after another one took it.
 *
 * Wake-ups.  Each condvar has a waiter count, kept under the mutex, so a
 * put or get signals only when somebody sleeps.  One item wakes one
 * waiter; a batch wakes as many as it made progress possible for; close
 * and the end of unfinished work wake everybody.  Every wait re-checks
 * its full predicate, `closed` included, in a while loop.
 *
 * Cancellation.  Only the condvar waits are cancellation points.  Each
 * is wrapped in a cleanup handler that undoes the thread's waiter and
 * busy counts, passes on any wake-up it may have consumed, and unlocks.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "workq-internal.h"

/*
 * Locking: one mutex, mu, guards every (m) field.  (c) fields are
 * constant after workq_create.  (a) fields are only accessed atomically.
 * len and closed are (m), but also read atomically by spinning waiters.  Pools never hold their own lock while
 * calling into the queue.
 */
struct workq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;  /* consumers sleep here */
	pthread_cond_t not_full;   /* producers sleep here */
	pthread_cond_t all_done;   /* joiners sleep here */
	size_t cap;                /* (c) most items queued at once */
	size_t head;               /* (m) slot of the oldest item */
	size_t len;                /* (m) items queued */
	size_t unfinished;         /* (m) accepted, not yet task_done */
	size_t get_waiters;        /* (m) threads asleep on not_empty */
	size_t put_waiters;        /* (m) threads asleep on not_full */
	size_t join_waiters;       /* (m) threads asleep on all_done */
	size_t busy;               /* (m) threads inside a call destroy
	                            *     must not pull the rug from */
	size_t pools;              /* (m) attached, not yet joined pools */
	size_t producers;          /* (m) registered, not yet done */
	int put_spinner;           /* (a) 1 while a producer spins */
	int get_spinner;           /* (a) 1 while a consumer spins */
	int closed;                /* (m) set once, by close or discard */
	struct workq__notifier note; /* (m) workq_pollfd's descriptor */
	/* Counters for workq_stats(), (m): bumped inside critical sections
	 * that exist anyway, so they cost a few increments. */
	unsigned long long puts, gets, discarded, put_waits, get_waits;
	size_t high_water;
	void *slots[];             /* (m) the ring, cap entries */
};

/* How a call behaves when it would have to wait. */
enum wait_mode {
	WAIT_NEVER,     /* try_*: EAGAIN */
	WAIT_LIMITED,   /* timed_*: ETIMEDOUT once the deadline passes */
	WAIT_FOREVER
};

/* One side of the queue, as await_locked() sees it. */
struct side {
	int (*ready)(const workq_t *);  /* under q->mu: may proceed */
	int (*seen)(const workq_t *);   /* without it: worth re-checking */
	pthread_cond_t *cv;             /* where this side sleeps */
	size_t *waiters;                /* how many of it sleep there */
	unsigned long long *waits;      /* calls of it that slept */
	int *spinner;                   /* 1 while one of it spins */
};

/* The sentinel's storage: only its address is used. */
char workq_done_sentinel;

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

/* What a cancelled waiter must undo; see wait_locked(). */
struct waiter {
	workq_t *q;
	size_t *count;
};

/*
 * Wakes up to `k` of the `waiters` sleeping on `cv`, for k items (or
 * slots) just made available.  Called with q->mu held.
 */
static void wake_locked(pthread_cond_t *cv, size_t waiters, size_t k)
{
	if (waiters == 0 || k == 0)
		return;
	if (k >= waiters && waiters > 1) {
		workq__broadcast(cv);
		return;
	}
	while (k-- > 0 && waiters-- > 0)
		workq__signal(cv);
}

/*
 * Runs when a thread is cancelled inside wait_locked(): the condvar wait
 * has re-acquired q->mu.  POSIX lets the cancelled thread have consumed a
 * signal meant for another sleeper, so hand one on for whatever the
 * queue can now offer; a spare wake-up costs only a re-check.
 */
static void wait_cancelled(void *arg)
{
	struct waiter *w = arg;
	workq_t *q = w->q;

	(*w->count)--;
	q->busy--;
	if (q->len > 0 || q->closed)
		wake_locked(&q->not_empty, q->get_waiters, 1);
	if (q->len < q->cap || q->closed)
		wake_locked(&q->not_full, q->put_waiters, 1);
	workq__unlock(&q->mu);
}

/*
 * Sleeps on `cv` once, counted in *count, until woken, cancelled, or the
 * deadline (NULL: none) passes.  Returns 0 or ETIMEDOUT.  Called with
 * q->mu held, and with q->busy counting the caller.
 */
static int wait_locked(workq_t *q, pthread_cond_t *cv, size_t *count,
                       const struct timespec *deadline)
{
	struct waiter w;
	int err;

	w.q = q;
	w.count = count;
	(*count)++;
	pthread_cleanup_push(wait_cancelled, &w);
	err = workq__wait(cv, &q->mu, deadline);
	pthread_cleanup_pop(0);
	(*count)--;
	return err;
}

/*
 * Spinning.  A sleep and the wake-up that ends it cost tens of
 * microseconds; when the other side is running on another core, the item
 * (or the slot) usually comes much sooner.  So before its first sleep a
 * waiter drops the mutex and watches len and closed for a short while.
 * At most one thread per side spins at a time (`spinner`), and only
 * while nobody of its side sleeps: with more threads than cores, extra
 * spinners would only steal the cycles the other side needs.
 */
#ifndef SPIN_LIMIT
#define SPIN_LIMIT 2000
#endif

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static int room_relaxed(const workq_t *q)
{
	return __atomic_load_n(&q->len, __ATOMIC_RELAXED) < q->cap ||
	       __atomic_load_n(&q->closed, __ATOMIC_RELAXED);
}

static int item_relaxed(const workq_t *q)
{
	return __atomic_load_n(&q->len, __ATOMIC_RELAXED) > 0 ||
	       __atomic_load_n(&q->closed, __ATOMIC_RELAXED);
}

/*
 * Called with q->mu held; returns with it held, having released it while
 * spinning if this thread may spin.  Returns 1 if it spun (whatever it
 * saw: the caller re-checks under the mutex), 0 if it did not.
 */
static int spin_locked(workq_t *q, int (*seen)(const workq_t *),
                       int *spinner, size_t sleepers)
{
	int i;

	if (sleepers > 0 || __atomic_exchange_n(spinner, 1, __ATOMIC_ACQUIRE))
		return 0;
	workq__unlock(&q->mu);
	for (i = 0; i < SPIN_LIMIT && !seen(q); i++)
		cpu_relax();
	__atomic_store_n(spinner, 0, __ATOMIC_RELEASE);
	workq__lock(&q->mu);
	return 1;
}

/* The zero interval means "do not wait at all", not "sleep until a
 * deadline that has already passed". */
static int is_zero(const struct timespec *ts)
{
	return ts != NULL && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/*
 * Waits until `ready(q)` holds or the queue closes, as `mode` allows.
 * Counts the call in *waits (for workq_stats) when it first sleeps;
 * *slept, owned by the caller, makes that once per call, however often
 * the call sleeps.
 * Returns 0 when ready, WORKQ_CLOSED when closed (closed wins: a closed
 * queue never accepts, and a drained closed queue never blocks), else
 * EAGAIN or ETIMEDOUT.  Called with q->mu held.
 */
static int await_locked(workq_t *q, const struct side *sd, int *slept,
                        enum wait_mode mode, const struct timespec *deadline)
{
	int spun = 0;

	while (!sd->ready(q)) {
		if (q->closed)
			return WORKQ_CLOSED;
		if (mode == WAIT_NEVER)
			return EAGAIN;
		if (!spun) {
			spun = 1;
			if (spin_locked(q, sd->seen, sd->spinner, *sd->waiters))
				continue;
		}
		if (!*slept) {
			*slept = 1;
			(*sd->waits)++;
		}
		if (wait_locked(q, sd->cv, sd->waiters, deadline) == ETIMEDOUT &&
		    !sd->ready(q) && !q->closed)
			return ETIMEDOUT;
	}
	return 0;
}

static int has_room(const workq_t *q)
{
	return !q->closed && q->len < q->cap;
}

static int has_item(const workq_t *q)
{
	return q->len > 0;
}

/* What a producer, or a consumer, waits for, and where. */
static struct side producer_side(workq_t *q)
{
	struct side sd = { has_room, room_relaxed, &q->not_full,
		           &q->put_waiters, &q->put_waits, &q->put_spinner };

	return sd;
}

static struct side consumer_side(workq_t *q)
{
	struct side sd = { has_item, item_relaxed, &q->not_empty,
		           &q->get_waiters, &q->get_waits, &q->get_spinner };

	return sd;
}

/* ------------------------------------------------------------------ */
/* The ring                                                            */
/* ------------------------------------------------------------------ */

/*
 * len and closed are written only under q->mu, but spinning waiters read
 * them without it (see spin_unlocked), so every write is an atomic store.
 * Reads under the mutex need no atomics: no write can run concurrently.
 */
static void store_len(workq_t *q, size_t len)
{
	__atomic_store_n(&q->len, len, __ATOMIC_RELAXED);
}

/* Called with q->mu held and room for one more item. */
static void push_locked(workq_t *q, void *item)
{
	size_t tail = q->head + q->len;

	if (tail >= q->cap)
		tail -= q->cap;
	q->slots[tail] = item;
	store_len(q, q->len + 1);
	q->unfinished++;
	q->puts++;
	if (q->len > q->high_water)
		q->high_water = q->len;
}

/* Called with q->mu held and at least one item queued. */
static void *pop_locked(workq_t *q)
{
	void *item = q->slots[q->head];

	if (++q->head == q->cap)
		q->head = 0;
	store_len(q, q->len - 1);
	return item;
}

/*
 * Brings workq_pollfd's descriptor in line with the queue: readable while
 * an item is queued or the queue is closed.  Called with q->mu held after
 * every change of len or closed; one branch when nobody asked for it.
 */
static void notify_locked(workq_t *q)
{
	if (q->note.rfd >= 0)
		workq__notifier_set(&q->note, q->len > 0 || q->closed);
}

/* Wakes everybody who waits for something closing changes.  Called with
 * q->mu held. */
static void close_locked(workq_t *q)
{
	if (q->closed)
		return;
	__atomic_store_n(&q->closed, 1, __ATOMIC_RELAXED);
	notify_locked(q);
	if (q->get_waiters > 0)
		workq__broadcast(&q->not_empty);
	if (q->put_waiters > 0)
		workq__broadcast(&q->not_full);
}

/* Marks k items finished; wakes the joiners when none is left.  Called
 * with q->mu held and k <= q->unfinished. */
static void finish_locked(workq_t *q, size_t k)
{
	q->unfinished -= k;
	if (q->unfinished == 0 && q->join_waiters > 0)
		workq__broadcast(&q->all_done);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

int workq_create(workq_t **qp, size_t capacity)
{
	workq_t *q;
	int saved_errno = errno;
	int err;

	if (qp == NULL || capacity == 0 ||
	    capacity > PTRDIFF_MAX / sizeof(void *) - 1)
		return EINVAL;
	/* No object may exceed PTRDIFF_MAX bytes; do not even ask for one. */
	if (capacity > (PTRDIFF_MAX - sizeof(*q)) / sizeof(void *))
		return ENOMEM;
	q = malloc(sizeof(*q) + capacity * sizeof(void *));
	errno = saved_errno;    /* the API never sets errno */
	if (q == NULL)
		return ENOMEM;
	err = workq__mutex_init(&q->mu);
	if (err != 0)
		goto fail_mu;
	err = workq__cond_init(&q->not_empty);
	if (err != 0)
		goto fail_not_empty;
	err = workq__cond_init(&q->not_full);
	if (err != 0)
		goto fail_not_full;
	err = workq__cond_init(&q->all_done);
	if (err != 0)
		goto fail_all_done;
	q->cap = capacity;
	q->head = q->len = q->unfinished = 0;
	q->get_waiters = q->put_waiters = q->join_waiters = 0;
	q->busy = q->pools = q->producers = 0;
	q->put_spinner = q->get_spinner = 0;
	q->closed = 0;
	workq__notifier_init(&q->note);
	q->puts = q->gets = q->discarded = q->put_waits = q->get_waits = 0;
	q->high_water = 0;
	*qp = q;
	return 0;

fail_all_done:
	pthread_cond_destroy(&q->not_full);
fail_not_full:
	pthread_cond_destroy(&q->not_empty);
fail_not_empty:
	pthread_mutex_destroy(&q->mu);
fail_mu:
	free(q);
	return err;
}

int workq_destroy(workq_t *q)
{
	if (q == NULL)
		return EINVAL;
	workq__lock(&q->mu);
	if (q->busy > 0 || q->pools > 0) {
		workq__unlock(&q->mu);
		return EBUSY;
	}
	workq__unlock(&q->mu);
	workq__notifier_close(&q->note);
	pthread_cond_destroy(&q->all_done);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return 0;
}

void workq__pool_attach(workq_t *q)
{
	workq__lock(&q->mu);
	q->pools++;
	workq__unlock(&q->mu);
}

void workq__pool_detach(workq_t *q)
{
	workq__lock(&q->mu);
	q->pools--;
	workq__unlock(&q->mu);
}

/* ------------------------------------------------------------------ */
/* Putting                                                             */
/* ------------------------------------------------------------------ */

/*
 * The one put: the public variants differ only in `mode` and `timeout`.
 * Checks every argument before touching the queue.
 */
static int put_one(workq_t *q, void *item, enum wait_mode mode,
                   const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	int slept = 0;
	struct side sd;
	int err;

	if (q == NULL || workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (item == WORKQ_DONE)
		return workq_close(q);
	if (mode == WAIT_LIMITED && timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	sd = producer_side(q);
	workq__lock(&q->mu);
	q->busy++;
	err = await_locked(q, &sd, &slept, is_zero(timeout) ? WAIT_NEVER : mode,
	                   dl);
	if (err == 0) {
		push_locked(q, item);
		notify_locked(q);
		wake_locked(&q->not_empty, q->get_waiters, 1);
	} else if (err == EAGAIN && mode == WAIT_LIMITED) {
		err = ETIMEDOUT;        /* a zero timeout: the timed code */
	}
	q->busy--;
	workq__unlock(&q->mu);
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

/*
 * Copies as many of items[0..n) as there is room for into the ring.
 * Returns how many.  Called with q->mu held.
 */
static size_t push_many_locked(workq_t *q, void *const *items, size_t n)
{
	size_t k = q->cap - q->len;
	size_t i;

	if (k > n)
		k = n;
	for (i = 0; i < k; i++)
		push_locked(q, items[i]);
	return k;
}

int workq_put_many(workq_t *q, void *const *items, size_t n, size_t *nput)
{
	size_t done = 0;
	size_t i;
	int slept = 0;
	struct side sd;
	int err;

	if (nput != NULL)
		*nput = 0;
	if (q == NULL || nput == NULL || (items == NULL && n > 0))
		return EINVAL;
	/* All or nothing for a bad item: scan before anything is put. */
	for (i = 0; i < n; i++)
		if (items[i] == WORKQ_DONE)
			return EINVAL;
	sd = producer_side(q);
	workq__lock(&q->mu);
	q->busy++;
	err = q->closed ? WORKQ_CLOSED : 0;
	while (err == 0 && done < n) {
		size_t k;

		err = await_locked(q, &sd, &slept, WAIT_FOREVER, NULL);
		if (err != 0)
			break;
		k = push_many_locked(q, items + done, n - done);
		done += k;
		notify_locked(q);
		wake_locked(&q->not_empty, q->get_waiters, k);
	}
	q->busy--;
	workq__unlock(&q->mu);
	*nput = done;
	return err;
}

/* ------------------------------------------------------------------ */
/* Getting                                                             */
/* ------------------------------------------------------------------ */

/* The one get behind the three public variants. */
static int get_one(workq_t *q, void **itemp, enum wait_mode mode,
                   const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	int slept = 0;
	struct side sd;
	int err;

	if (q == NULL || itemp == NULL ||
	    workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (mode == WAIT_LIMITED && timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	sd = consumer_side(q);
	workq__lock(&q->mu);
	q->busy++;
	err = await_locked(q, &sd, &slept, is_zero(timeout) ? WAIT_NEVER : mode,
	                   dl);
	if (err == 0) {
		*itemp = pop_locked(q);
		q->gets++;
		notify_locked(q);
		wake_locked(&q->not_full, q->put_waiters, 1);
	} else if (err == WORKQ_CLOSED) {
		*itemp = WORKQ_DONE;
	} else if (err == EAGAIN && mode == WAIT_LIMITED) {
		err = ETIMEDOUT;
	}
	q->busy--;
	workq__unlock(&q->mu);
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

/*
 * Moves up to max of the oldest items into items[], in order.  Returns
 * how many.  Called with q->mu held.
 */
static size_t pop_many_locked(workq_t *q, void **items, size_t max)
{
	size_t k = q->len < max ? q->len : max;
	size_t i;

	for (i = 0; i < k; i++)
		items[i] = pop_locked(q);
	return k;
}

int workq_get_many(workq_t *q, void **items, size_t max, size_t *ngot)
{
	size_t k = 0;
	int slept = 0;
	struct side sd;
	int err;

	if (ngot != NULL)
		*ngot = 0;
	if (q == NULL || items == NULL || ngot == NULL || max == 0)
		return EINVAL;
	sd = consumer_side(q);
	workq__lock(&q->mu);
	q->busy++;
	err = await_locked(q, &sd, &slept, WAIT_FOREVER, NULL);
	if (err == 0) {
		k = pop_many_locked(q, items, max);
		q->gets += k;
		notify_locked(q);
		wake_locked(&q->not_full, q->put_waiters, k);
	}
	q->busy--;
	workq__unlock(&q->mu);
	*ngot = k;
	return err;
}

/* ------------------------------------------------------------------ */
/* Closing                                                             */
/* ------------------------------------------------------------------ */

int workq_close(workq_t *q)
{
	if (q == NULL)
		return EINVAL;
	workq__lock(&q->mu);
	close_locked(q);
	workq__unlock(&q->mu);
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

	workq__lock(&q->mu);
	q->busy--;
	workq__unlock(&q->mu);
}

/* Calls fn(item, arg) with q->mu not held. */
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
	workq__lock(&q->mu);
	q->busy++;
	close_locked(q);
	/* Closed, so nothing new arrives and the loop ends.  Each item leaves
	 * the ring (and counts as finished) under the lock; fn sees it after
	 * the lock is dropped, so fn may call back into q.  One item at a
	 * time, so that fn never holds more than the one it was given, and
	 * a consumer running meanwhile takes the others: each item goes
	 * exactly one way. */
	while (q->len > 0) {
		void *item = pop_locked(q);

		q->discarded++;
		/* task_done may have been called ahead for items still queued
		 * (it counts, it does not name items): never go below zero. */
		if (q->unfinished > 0)
			finish_locked(q, 1);
		if (fn == NULL)
			continue;
		workq__unlock(&q->mu);
		hand_back(q, fn, item, arg);
		workq__lock(&q->mu);
	}
	q->busy--;
	workq__unlock(&q->mu);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Completion tracking                                                 */
/* ------------------------------------------------------------------ */

int workq_task_done(workq_t *q)
{
	int err = 0;

	if (q == NULL)
		return EINVAL;
	workq__lock(&q->mu);
	if (q->unfinished == 0)
		err = ERANGE;
	else
		finish_locked(q, 1);
	workq__unlock(&q->mu);
	return err;
}

int workq_join(workq_t *q)
{
	return workq_timed_join(q, NULL);
}

int workq_timed_join(workq_t *q, const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	int err = 0;

	if (q == NULL || workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	workq__lock(&q->mu);
	q->busy++;
	while (q->unfinished > 0 && err == 0) {
		if (is_zero(timeout) ||
		    wait_locked(q, &q->all_done, &q->join_waiters, dl) ==
		    ETIMEDOUT)
			err = q->unfinished > 0 ? ETIMEDOUT : 0;
	}
	q->busy--;
	workq__unlock(&q->mu);
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
	if (n == 0)
		return 0;
	workq__lock(&q->mu);
	if (q->closed)
		err = WORKQ_CLOSED;
	else if (q->producers > SIZE_MAX - n)
		err = EOVERFLOW;
	else
		q->producers += n;
	workq__unlock(&q->mu);
	return err;
}

int workq_producer_done(workq_t *q)
{
	int err = 0;

	if (q == NULL)
		return EINVAL;
	workq__lock(&q->mu);
	if (q->producers == 0)
		err = ERANGE;
	else if (--q->producers == 0)
		close_locked(q);        /* a no-op if someone closed it */
	workq__unlock(&q->mu);
	return err;
}

/* ------------------------------------------------------------------ */
/* Event-loop integration                                              */
/* ------------------------------------------------------------------ */

int workq_pollfd(workq_t *q, int *fdp)
{
	int err = 0;

	if (q == NULL || fdp == NULL)
		return EINVAL;
	workq__lock(&q->mu);
	if (q->note.rfd < 0) {
		int saved_errno = errno;

		err = workq__notifier_open(&q->note);
		errno = saved_errno;
		if (err == 0)
			notify_locked(q);       /* items may be queued already */
	}
	if (err == 0)
		*fdp = q->note.rfd;
	workq__unlock(&q->mu);
	return err;
}

/* ------------------------------------------------------------------ */
/* Inspection                                                          */
/* ------------------------------------------------------------------ */

/* The inspectors take a const queue, but reading (m) fields still needs
 * the mutex; locking does not change the queue's observable state. */
static pthread_mutex_t *mutex_of(const workq_t *q)
{
	return (pthread_mutex_t *)&q->mu;
}

size_t workq_size(const workq_t *q)
{
	size_t len;

	if (q == NULL)
		return 0;
	workq__lock(mutex_of(q));
	len = q->len;
	workq__unlock(mutex_of(q));
	return len;
}

size_t workq_capacity(const workq_t *q)
{
	return q == NULL ? 0 : q->cap;
}

int workq_is_closed(const workq_t *q)
{
	int closed;

	if (q == NULL)
		return 0;
	workq__lock(mutex_of(q));
	closed = q->closed;
	workq__unlock(mutex_of(q));
	return closed;
}

int workq_stats(const workq_t *q, struct workq_stats *st)
{
	if (q == NULL || st == NULL)
		return EINVAL;
	workq__lock(mutex_of(q));
	st->puts = q->puts;
	st->gets = q->gets;
	st->discarded = q->discarded;
	st->put_waits = q->put_waits;
	st->get_waits = q->get_waits;
	st->size = q->len;
	st->high_water = q->high_water;
	st->blocked_producers = q->put_waiters;
	st->blocked_consumers = q->get_waiters;
	workq__unlock(mutex_of(q));
	return 0;
}
