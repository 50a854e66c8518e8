/*
 * check_cancel.c - every waiting call is a cancellation point that
 * leaves the queue consistent: for get, timed_get, get_many, put,
 * timed_put, put_many, join and pool_join, a thread blocks in the call
 * and is cancelled; then the queue must still work for everybody (waiter
 * counts not skewed, no wake-up lost, the mutex not left locked) and
 * workq_destroy must return 0, not EBUSY.  A race test cancels one of
 * two blocked consumers while an item arrives: the item is never lost.
 *
 * Blocked threads never assert: they record what their call returned in
 * their own struct, which the test's thread checks after joining them.
 */
#include "testutil.h"

#include <poll.h>
#include <stdatomic.h>

enum op {
	OP_GET,
	OP_TIMED_GET,
	OP_GET_MANY,
	OP_PUT,
	OP_TIMED_PUT,
	OP_PUT_MANY,
	OP_JOIN,
	OP_POOL_JOIN
};

#define MANY 5

/* One thread that makes one call, and what came of it. */
struct blocker {
	workq_t *q;
	workq_pool_t *pool;
	enum op op;
	void *item;              /* for the put variants */
	void *items[MANY];       /* for put_many */
	size_t n;                /* items to put_many, max to get_many */
	atomic_int tid;
	/* Results, valid only when `returned` is set. */
	atomic_int returned;
	int err;
	void *got[MANY];
	size_t count;            /* nput or ngot */
};

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct timespec long_wait = tu_ts(3600, 0);

	atomic_store(&b->tid, (int)tu_gettid());
	switch (b->op) {
	case OP_GET:
		b->err = workq_get(b->q, &b->got[0]);
		break;
	case OP_TIMED_GET:
		b->err = workq_timed_get(b->q, &b->got[0], &long_wait);
		break;
	case OP_GET_MANY:
		b->err = workq_get_many(b->q, b->got, b->n, &b->count);
		break;
	case OP_PUT:
		b->err = workq_put(b->q, b->item);
		break;
	case OP_TIMED_PUT:
		b->err = workq_timed_put(b->q, b->item, &long_wait);
		break;
	case OP_PUT_MANY:
		b->err = workq_put_many(b->q, b->items, b->n, &b->count);
		break;
	case OP_JOIN:
		b->err = workq_join(b->q);
		break;
	case OP_POOL_JOIN:
		b->err = workq_pool_join(b->pool);
		break;
	}
	atomic_store(&b->returned, 1);
	return NULL;
}

static void blocker_init(struct blocker *b, workq_t *q, enum op op)
{
	memset(b, 0, sizeof(*b));
	b->q = q;
	b->op = op;
	b->n = 1;
	atomic_init(&b->tid, 0);
	atomic_init(&b->returned, 0);
}

/* Starts b's thread and returns once it is blocked in its call. */
static pthread_t start_blocked(struct blocker *b)
{
	pthread_t t = tu_spawn(blocker_main, b);
	int i;

	for (i = 0; i < 10000 && atomic_load(&b->tid) == 0; i++)
		tu_sleep_ms(1);
	ck_assert_int_ne(atomic_load(&b->tid), 0);
	tu_wait_blocked((pid_t)atomic_load(&b->tid));
	ck_assert_msg(atomic_load(&b->returned) == 0,
	              "op %d returned %d instead of blocking", (int)b->op,
	              b->err);
	return t;
}

/* Cancels a blocked thread; it must end cancelled, not by returning. */
static void cancel_blocked(pthread_t t, struct blocker *b)
{
	void *ret = NULL;

	ck_assert_int_eq(pthread_cancel(t), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_msg(ret == PTHREAD_CANCELED,
	              "op %d was not cancelled (returned %d)", (int)b->op,
	              b->err);
	ck_assert_int_eq(atomic_load(&b->returned), 0);
}

static atomic_int discarded;

static void count_discard(void *item, void *arg)
{
	(void)item;
	(void)arg;
	atomic_fetch_add(&discarded, 1);
}

/*
 * The queue, open and empty, must work normally from here on: the main
 * thread puts and gets; a new blocked getter is woken by one put and a
 * new blocked putter by one get (the waiter counts are right); close and
 * discard work.  Leaves the queue closed and empty for destroy.
 */
static void check_usable(workq_t *q)
{
	size_t cap = workq_capacity(q), i;
	struct blocker g, p;
	pthread_t t;
	void *it = NULL;

	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);

	ck_assert_int_eq(workq_put(q, tu_item(101)), 0);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(101));

	blocker_init(&g, q, OP_GET);
	t = start_blocked(&g);
	ck_assert_int_eq(workq_put(q, tu_item(102)), 0);
	tu_join(t);
	ck_assert_int_eq(g.err, 0);
	ck_assert_ptr_eq(g.got[0], tu_item(102));

	for (i = 0; i < cap; i++)
		ck_assert_int_eq(workq_try_put(q, tu_item(200 + i)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(999)), EAGAIN);
	blocker_init(&p, q, OP_PUT);
	p.item = tu_item(103);
	t = start_blocked(&p);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(200));
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	for (i = 1; i < cap; i++) {
		ck_assert_int_eq(workq_try_get(q, &it), 0);
		ck_assert_ptr_eq(it, tu_item(200 + i));
	}
	ck_assert_int_eq(workq_try_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(103));
	ck_assert_int_eq(workq_try_get(q, &it), EAGAIN);

	ck_assert_int_eq(workq_put(q, tu_item(104)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(105)), WORKQ_CLOSED);
	atomic_store(&discarded, 0);
	ck_assert_int_eq(workq_discard(q, count_discard, NULL), 0);
	ck_assert_int_eq(atomic_load(&discarded), 1);
	ck_assert_int_eq(workq_get(q, &it), WORKQ_CLOSED);
	ck_assert_ptr_eq(it, WORKQ_DONE);
	ck_assert_uint_eq(workq_size(q), 0);
}

/* ------------------------------------------------------------------ */
/* Consumers                                                           */
/* ------------------------------------------------------------------ */

/*
 * A victim and a bystander block as consumers of an empty queue; the
 * victim is cancelled; one put must then wake the bystander.
 */
static void cancel_consumer_case(enum op op)
{
	workq_t *q = tu_queue(2);
	struct blocker victim, bystander;
	pthread_t tv, tb;

	blocker_init(&victim, q, op);
	victim.n = MANY;
	tv = start_blocked(&victim);
	blocker_init(&bystander, q, OP_GET);
	tb = start_blocked(&bystander);
	ck_assert_int_eq(workq_destroy(q), EBUSY);

	cancel_blocked(tv, &victim);
	ck_assert_int_eq(workq_destroy(q), EBUSY);   /* bystander inside */
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	tu_join(tb);
	ck_assert_int_eq(bystander.err, 0);
	ck_assert_ptr_eq(bystander.got[0], tu_item(7));
	ck_assert_uint_eq(workq_size(q), 0);

	check_usable(q);
	ck_assert_int_eq(workq_destroy(q), 0);
}

START_TEST(cancel_blocked_get_leaves_queue_usable)
{
	cancel_consumer_case(OP_GET);
}
END_TEST

START_TEST(cancel_blocked_timed_get_leaves_queue_usable)
{
	cancel_consumer_case(OP_TIMED_GET);
}
END_TEST

START_TEST(cancel_blocked_get_many_leaves_queue_usable)
{
	cancel_consumer_case(OP_GET_MANY);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Producers                                                           */
/* ------------------------------------------------------------------ */

/*
 * Capacity 1, full: a victim and a bystander block as producers; the
 * victim is cancelled; one get must then let the bystander's put in,
 * and the victim's item must never appear.
 */
static void cancel_producer_case(enum op op)
{
	workq_t *q = tu_queue(1);
	struct blocker victim, bystander;
	pthread_t tv, tb;
	void *it = NULL;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	blocker_init(&victim, q, op);
	victim.item = tu_item(66);
	for (i = 0; i < MANY; i++)
		victim.items[i] = tu_item(60 + i);
	victim.n = MANY;
	tv = start_blocked(&victim);
	blocker_init(&bystander, q, OP_PUT);
	bystander.item = tu_item(2);
	tb = start_blocked(&bystander);
	ck_assert_int_eq(workq_destroy(q), EBUSY);

	cancel_blocked(tv, &victim);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(1));
	tu_join(tb);
	ck_assert_int_eq(bystander.err, 0);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(2));
	ck_assert_int_eq(workq_try_get(q, &it), EAGAIN);

	check_usable(q);
	ck_assert_int_eq(workq_destroy(q), 0);
}

START_TEST(cancel_blocked_put_leaves_queue_usable)
{
	cancel_producer_case(OP_PUT);
}
END_TEST

START_TEST(cancel_blocked_timed_put_leaves_queue_usable)
{
	cancel_producer_case(OP_TIMED_PUT);
}
END_TEST

START_TEST(cancel_blocked_put_many_on_full_queue_leaves_queue_usable)
{
	cancel_producer_case(OP_PUT_MANY);
}
END_TEST

/*
 * put_many of 5 into an empty capacity-2 queue puts 2 and blocks; once
 * cancelled, those 2 stay queued, in order, and the other 3 never
 * appear.  A producer blocked behind it still gets in.
 */
START_TEST(cancel_blocked_put_many_keeps_items_already_put)
{
	workq_t *q = tu_queue(2);
	struct blocker victim, bystander;
	pthread_t tv, tb;
	void *it = NULL;
	size_t i;

	blocker_init(&victim, q, OP_PUT_MANY);
	for (i = 0; i < MANY; i++)
		victim.items[i] = tu_item(10 + i);
	victim.n = MANY;
	tv = start_blocked(&victim);
	ck_assert_uint_eq(workq_size(q), 2);
	blocker_init(&bystander, q, OP_PUT);
	bystander.item = tu_item(20);
	tb = start_blocked(&bystander);

	cancel_blocked(tv, &victim);
	ck_assert_uint_eq(workq_size(q), 2);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(10));
	tu_join(tb);
	ck_assert_int_eq(bystander.err, 0);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(11));
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(20));
	ck_assert_int_eq(workq_try_get(q, &it), EAGAIN);

	check_usable(q);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Joiners                                                             */
/* ------------------------------------------------------------------ */

START_TEST(cancel_blocked_join_leaves_queue_usable)
{
	workq_t *q = tu_queue(2);
	struct blocker victim, bystander;
	pthread_t tv, tb;
	void *it = NULL;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	blocker_init(&victim, q, OP_JOIN);
	tv = start_blocked(&victim);
	blocker_init(&bystander, q, OP_JOIN);
	tb = start_blocked(&bystander);
	ck_assert_int_eq(workq_destroy(q), EBUSY);

	cancel_blocked(tv, &victim);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(1));
	ck_assert_int_eq(atomic_load(&bystander.returned), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(tb);
	ck_assert_int_eq(bystander.err, 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);

	check_usable(q);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* pool_join                                                           */
/* ------------------------------------------------------------------ */

static atomic_int pool_ran;

static void pool_fn(void *item, void *arg)
{
	(void)item;
	(void)arg;
	atomic_fetch_add(&pool_ran, 1);
}

/*
 * A thread waits in pool_join while the workers still run (the queue is
 * open) and is cancelled.  The pool keeps working; destroy still says
 * EBUSY; pool_join called again returns 0 once the queue is closed.
 */
START_TEST(cancel_blocked_pool_join_can_be_called_again)
{
	workq_t *q = tu_queue(2);
	workq_pool_t *pool = NULL;
	struct blocker victim;
	pthread_t tv;
	int i;

	atomic_store(&pool_ran, 0);
	ck_assert_int_eq(workq_pool_start(&pool, q, 2, pool_fn, NULL), 0);
	blocker_init(&victim, q, OP_POOL_JOIN);
	victim.pool = pool;
	tv = start_blocked(&victim);
	cancel_blocked(tv, &victim);

	/* The pool and the queue go on as before. */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&pool_ran), 10);
	ck_assert_int_eq(workq_destroy(q), EBUSY);

	/* A second cancelled attempt, then the real one. */
	blocker_init(&victim, q, OP_POOL_JOIN);
	victim.pool = pool;
	tv = start_blocked(&victim);
	cancel_blocked(tv, &victim);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The same, but the second pool_join happens in another thread that
 * blocks first and is released by the close. */
START_TEST(cancelled_pool_join_then_blocked_pool_join_returns_on_close)
{
	workq_t *q = tu_queue(1);
	workq_pool_t *pool = NULL;
	struct blocker victim, joiner;
	pthread_t tv, tj;

	atomic_store(&pool_ran, 0);
	ck_assert_int_eq(workq_pool_start(&pool, q, 3, pool_fn, NULL), 0);
	blocker_init(&victim, q, OP_POOL_JOIN);
	victim.pool = pool;
	tv = start_blocked(&victim);
	cancel_blocked(tv, &victim);

	blocker_init(&joiner, q, OP_POOL_JOIN);
	joiner.pool = pool;
	tj = start_blocked(&joiner);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	tu_join(tj);
	ck_assert_int_eq(joiner.err, 0);
	ck_assert_int_eq(atomic_load(&pool_ran), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancel racing a put                                                 */
/* ------------------------------------------------------------------ */

/* A consumer for the race: get, then at once no more cancellation, then
 * record the result and signal the test. */
struct racer {
	workq_t *q;
	atomic_int tid;
	int err;
	void *item;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int done;                /* under *mu */
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	void *item = NULL;
	int err, old;

	atomic_store(&r->tid, (int)tu_gettid());
	err = workq_get(r->q, &item);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	pthread_mutex_lock(r->mu);
	r->err = err;
	r->item = item;
	r->done = 1;
	pthread_cond_broadcast(r->cv);
	pthread_mutex_unlock(r->mu);
	return NULL;
}

/* The putter for the race: waits at the barrier, then puts. */
struct race_putter {
	workq_t *q;
	pthread_barrier_t *go;
	int err;
};

static void *race_putter_main(void *arg)
{
	struct race_putter *p = arg;

	pthread_barrier_wait(p->go);
	p->err = workq_put(p->q, tu_item(42));
	return NULL;
}

/* Like tu_wait_blocked, for a loop: the thread sleeps, twice in a row
 * 1 ms apart (nothing else holds the queue's mutex meanwhile, so a
 * sleeping racer is waiting for an item). */
static void wait_sleeping(atomic_int *tid)
{
	int i, seen = 0;

	for (i = 0; i < 10000 && atomic_load(tid) == 0; i++)
		tu_sleep_ms(1);
	if (!TU_WATCH_THREADS) {        /* as tu_wait_blocked: a pause */
		tu_sleep_ms(20);
		return;
	}
	for (i = 0; i < 5000 && seen < 2; i++) {
		if (tu_thread_state((pid_t)atomic_load(tid)) == 'S')
			seen++;
		else
			seen = 0;
		tu_sleep_ms(1);
	}
}

/* Waits up to `ms` for r->done; returns it. */
static int wait_done(struct racer *r, long ms)
{
	struct timespec dl;
	int done;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(r->mu);
	while (!r->done)
		if (pthread_cond_timedwait(r->cv, r->mu, &dl) == ETIMEDOUT)
			break;
	done = r->done;
	pthread_mutex_unlock(r->mu);
	return done;
}

START_TEST(cancel_racing_put_never_loses_item)
{
	const long iters = tu_scaled(200);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	long it;

	for (it = 0; it < iters; it++) {
		workq_t *q = tu_queue(1);
		struct racer r[2];
		struct race_putter p;
		pthread_barrier_t go;
		pthread_t tr[2], tp;
		int v = (int)(it & 1), s = 1 - v, i, survivor_done;
		int v_cancelled, v_got, s_got;
		void *ret = NULL, *left = NULL;
		size_t size;

		for (i = 0; i < 2; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].q = q;
			r[i].mu = &mu;
			r[i].cv = &cv;
			atomic_init(&r[i].tid, 0);
			tr[i] = tu_spawn(racer_main, &r[i]);
		}
		wait_sleeping(&r[0].tid);
		wait_sleeping(&r[1].tid);

		ck_assert_int_eq(pthread_barrier_init(&go, NULL, 2), 0);
		p.q = q;
		p.go = &go;
		p.err = -1;
		tp = tu_spawn(race_putter_main, &p);
		pthread_barrier_wait(&go);
		ck_assert_int_eq(pthread_cancel(tr[v]), 0);
		tu_join(tp);
		ck_assert_int_eq(p.err, 0);
		ck_assert_int_eq(pthread_join(tr[v], &ret), 0);
		v_cancelled = ret == PTHREAD_CANCELED;

		/* If the victim did not take the item, it is queued or the
		 * survivor has it; a survivor still asleep with the item
		 * queued would be a lost wake-up. */
		survivor_done = wait_done(&r[s], v_cancelled ? 5000 : 0);
		size = workq_size(q);
		pthread_mutex_lock(&mu);
		v_got = !v_cancelled && r[v].err == 0;
		s_got = r[s].done && r[s].err == 0;
		pthread_mutex_unlock(&mu);
		ck_assert_msg(v_cancelled || r[v].done,
		              "iteration %ld: victim neither cancelled nor "
		              "done", it);
		ck_assert_msg(!v_got || r[v].item == tu_item(42),
		              "iteration %ld: victim got a bogus item", it);
		ck_assert_msg(!s_got || r[s].item == tu_item(42),
		              "iteration %ld: survivor got a bogus item", it);
		ck_assert_msg(v_got + s_got + (int)size == 1,
		              "iteration %ld: item lost or duplicated "
		              "(victim %s/%d, survivor %d, queued %zu)",
		              it, v_cancelled ? "cancelled" : "returned", v_got,
		              s_got, size);
		ck_assert_msg(!(size == 1 && !survivor_done),
		              "iteration %ld: item queued but the surviving "
		              "consumer is still asleep (lost wake-up)", it);

		/* Release the survivor if it still waits, and clean up. */
		ck_assert_int_eq(workq_close(q), 0);
		tu_join(tr[s]);
		if (size == 1) {
			ck_assert_int_eq(workq_get(q, &left), 0);
			ck_assert_ptr_eq(left, tu_item(42));
		}
		ck_assert_int_eq(workq_get(q, &left), WORKQ_CLOSED);
		ck_assert_int_eq(workq_destroy(q), 0);
		pthread_barrier_destroy(&go);
	}
}
END_TEST

/*
 * A thread whose cancel is already pending when it calls into the queue
 * (it was cancelled while it ran code with no cancellation point).  The
 * call may act on the cancel only where it waits, never inside with a
 * mutex held: not in the first wait's look at the usable CPUs (which
 * reads files), not in the descriptor's write.
 */
struct pending {
	workq_t *q;
	int put;                /* 1: put into an empty queue; 0: get */
	atomic_int go;
	atomic_int returned;
	int err;
};

static void *pending_main(void *arg)
{
	struct pending *p = arg;
	void *item = NULL;

	while (!atomic_load(&p->go))
		;               /* no cancellation point: it stays pending */
	if (p->put)
		p->err = workq_put(p->q, tu_item(7));
	else
		p->err = workq_get(p->q, &item);
	atomic_store(&p->returned, 1);
	pthread_testcancel();
	return NULL;
}

/* 1 if fd polls readable now, 0 if not; never waits. */
static int readable(int fd)
{
	struct pollfd pf = { fd, POLLIN, 0 };

	return poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN) != 0;
}

static void run_pending(struct pending *p)
{
	pthread_t t;
	void *ret = NULL;

	ck_assert_int_eq(pthread_create(&t, NULL, pending_main, p), 0);
	ck_assert_int_eq(pthread_cancel(t), 0);
	atomic_store(&p->go, 1);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
}

START_TEST(pending_cancel_in_first_get_leaves_queue_usable)
{
	struct pending p = { NULL, 0, 0, 0, 0 };

	ck_assert_int_eq(workq_create(&p.q, 4), 0);
	run_pending(&p);
	ck_assert_int_eq(atomic_load(&p.returned), 0);  /* cancelled asleep */
	check_usable(p.q);
	ck_assert_int_eq(workq_destroy(p.q), 0);
}
END_TEST

START_TEST(pending_cancel_in_put_with_pollfd_completes_the_put)
{
	struct pending p = { NULL, 1, 0, 0, 0 };
	void *item = NULL;
	int fd;

	ck_assert_int_eq(workq_create(&p.q, 4), 0);
	ck_assert_int_eq(workq_pollfd(p.q, &fd), 0);
	run_pending(&p);
	/* A put into a queue with room is no cancellation point. */
	ck_assert_int_eq(atomic_load(&p.returned), 1);
	ck_assert_int_eq(p.err, 0);
	ck_assert_int_eq(readable(fd), 1);
	ck_assert_int_eq(workq_try_get(p.q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(7));
	ck_assert_int_eq(readable(fd), 0);
	check_usable(p.q);
	ck_assert_int_eq(workq_destroy(p.q), 0);
}
END_TEST

static Suite *cancel_suite(void)
{
	Suite *s = suite_create("cancel");
	TCase *tc = tcase_create("blocked_calls");
	TCase *race = tcase_create("race");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, cancel_blocked_get_leaves_queue_usable);
	tcase_add_test(tc, cancel_blocked_timed_get_leaves_queue_usable);
	tcase_add_test(tc, cancel_blocked_get_many_leaves_queue_usable);
	tcase_add_test(tc, cancel_blocked_put_leaves_queue_usable);
	tcase_add_test(tc, cancel_blocked_timed_put_leaves_queue_usable);
	tcase_add_test(tc,
		cancel_blocked_put_many_on_full_queue_leaves_queue_usable);
	tcase_add_test(tc, cancel_blocked_put_many_keeps_items_already_put);
	tcase_add_test(tc, cancel_blocked_join_leaves_queue_usable);
	tcase_add_test(tc, pending_cancel_in_first_get_leaves_queue_usable);
	tcase_add_test(tc,
		pending_cancel_in_put_with_pollfd_completes_the_put);
	tcase_add_test(tc, cancel_blocked_pool_join_can_be_called_again);
	tcase_add_test(tc,
		cancelled_pool_join_then_blocked_pool_join_returns_on_close);
	suite_add_tcase(s, tc);

	tcase_set_timeout(race, TU_TIMEOUT);
	tcase_add_test(race, cancel_racing_put_never_loses_item);
	suite_add_tcase(s, race);
	return s;
}

int main(void)
{
	return tu_run(cancel_suite());
}
