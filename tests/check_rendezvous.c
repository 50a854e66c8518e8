/*
 * check_rendezvous.c - capacity 0: a put completes only when a consumer
 * takes its item.  try_put needs a consumer waiting in a get, try_get a
 * putter offering an item; an item whose put gave up (timeout, close,
 * cancellation, no taker for a try_put) is never delivered afterwards.
 * Batches, pools, join, the descriptor, the counters and producer
 * registration all work on such a queue, and races of close, put, get
 * and cancellation deliver every item exactly once.
 *
 * Threads never assert: they record results, which the test's thread
 * checks after joining them.
 */
#include "testcall.h"

#include <poll.h>
#include <stdatomic.h>

/* Whether q's descriptor polls readable within ms milliseconds. */
static int readable_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN) != 0;
}

/*
 * Waits (up to about 10 s; the test then fails on what follows) until n
 * threads sleep in put or get calls on q, as workq_stats counts them: a
 * putter waiting for its take or its turn, a consumer waiting in a get.
 * A thread that sleeps is past every look it makes before sleeping, so
 * a try_put finds a consumer counted, a try_get an item offered.
 */
static void wait_sleepers(workq_t *q, size_t producers, size_t consumers)
{
	struct workq_stats st;
	int i;

	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(workq_stats(q, &st), 0);
		if (st.blocked_producers >= producers &&
		    st.blocked_consumers >= consumers)
			return;
		tu_sleep_ms(1);
	}
}

/* puts == gets + discarded + size, and the other counters as given. */
static void check_stats(workq_t *q, unsigned long long puts,
                        unsigned long long gets, size_t size)
{
	struct workq_stats st;

	ck_assert_int_eq(workq_stats(q, &st), 0);
	ck_assert_uint_eq(st.puts, st.gets + st.discarded + st.size);
	ck_assert_uint_eq(st.puts, puts);
	ck_assert_uint_eq(st.gets, gets);
	ck_assert_uint_eq(st.size, size);
}

/* ------------------------------------------------------------------ */
/* Basics                                                              */
/* ------------------------------------------------------------------ */

START_TEST(create_zero_is_rendezvous)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec short_ts = tu_ms(20);
	workq_t *q = UNTOUCHED;
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_create(&q, 0), 0);
	ck_assert_ptr_ne(q, UNTOUCHED);
	ck_assert_uint_eq(workq_capacity(q), 0);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), EAGAIN);
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &short_ts),
	                 ETIMEDOUT);
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_timed_get(q, &item, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_get(q, &item, &short_ts), ETIMEDOUT);
	ck_assert_ptr_eq(item, UNTOUCHED);
	check_stats(q, 0, 0, 0);
	/* The sentinel needs no slot. */
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_put(q, tu_item(1)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(put_blocks_until_taken)
{
	workq_t *q = tu_queue(0);
	struct call p;
	void *item = NULL;

	call_init(&p, q, OP_PUT, tu_item(7));
	call_start_blocked(&p);
	wait_sleepers(q, 1, 0);
	ck_assert_int_eq(call_returned_after_pause(&p), 0);
	/* Offered: counted in the size and in puts until it is taken. */
	check_stats(q, 1, 0, 1);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(7));
	ck_assert_int_eq(call_finish(&p), 0);
	check_stats(q, 1, 1, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(get_blocks_until_put)
{
	workq_t *q = tu_queue(0);
	struct call g;

	call_init(&g, q, OP_GET, UNTOUCHED);
	call_start_blocked(&g);
	ck_assert_int_eq(call_returned_after_pause(&g), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(call_finish(&g), 0);
	ck_assert_ptr_eq(g.item, tu_item(3));
	check_stats(q, 1, 1, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(try_put_needs_a_waiting_getter)
{
	struct timespec zero = tu_ts(0, 0);
	workq_t *q = tu_queue(0);
	struct call g;

	ck_assert_int_eq(workq_try_put(q, tu_item(1)), EAGAIN);
	call_init(&g, q, OP_GET, UNTOUCHED);
	call_start_blocked(&g);
	wait_sleepers(q, 0, 1);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), 0);
	ck_assert_int_eq(call_finish(&g), 0);
	ck_assert_ptr_eq(g.item, tu_item(2));
	/* That getter is gone: nobody waits any more. */
	ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
	/* A zero timeout is a try. */
	call_init(&g, q, OP_TIMED_GET, UNTOUCHED);
	call_start_blocked(&g);
	wait_sleepers(q, 0, 1);
	ck_assert_int_eq(workq_timed_put(q, tu_item(4), &zero), 0);
	ck_assert_int_eq(call_finish(&g), 0);
	ck_assert_ptr_eq(g.item, tu_item(4));
	ck_assert_int_eq(workq_timed_put(q, tu_item(5), &zero), ETIMEDOUT);
	check_stats(q, 2, 2, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A try_put against a getter that may be timing out: 0 exactly when
 * that getter received the item, EAGAIN exactly when it did not. */
START_TEST(try_put_races_a_leaving_getter)
{
	workq_t *q = tu_queue(0);
	long i, n = tu_scaled(300), delivered = 0;

	for (i = 0; i < n; i++) {
		struct call g;
		int err;

		call_init(&g, q, OP_TIMED_GET, UNTOUCHED);
		g.ts = tu_ts(0, 200000L * (i % 10));
		call_start(&g);
		do
			err = workq_try_put(q, tu_item(i + 1));
		while (err == EAGAIN && !call_has_returned(&g));
		(void)call_finish(&g);
		if (err == 0) {
			ck_assert_int_eq(g.err, 0);
			ck_assert_ptr_eq(g.item, tu_item(i + 1));
			delivered++;
		} else {
			ck_assert_int_eq(err, EAGAIN);
			ck_assert_int_ne(g.err, 0);
		}
	}
	check_stats(q, (unsigned long long)delivered,
	            (unsigned long long)delivered, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_put_gives_up_and_keeps_item)
{
	workq_t *q = tu_queue(0);
	struct timespec short_ts = tu_ms(30);
	struct call g;
	void *item = UNTOUCHED;
	int64_t t0 = tu_now_ns();

	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &short_ts),
	                 ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, 30000000LL);
	/* Withdrawn: never delivered afterwards. */
	check_stats(q, 0, 0, 0);
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	call_init(&g, q, OP_TIMED_GET, UNTOUCHED);
	g.ts = tu_ms(50);
	call_start(&g);
	ck_assert_int_eq(call_finish(&g), ETIMEDOUT);
	ck_assert_ptr_eq(g.item, UNTOUCHED);
	/* The queue still works. */
	call_init(&g, q, OP_GET, UNTOUCHED);
	call_start_blocked(&g);
	wait_sleepers(q, 0, 1);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &short_ts), 0);
	ck_assert_int_eq(call_finish(&g), 0);
	ck_assert_ptr_eq(g.item, tu_item(2));
	check_stats(q, 1, 1, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(try_get_needs_an_offering_putter)
{
	workq_t *q = tu_queue(0);
	struct call p;
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	call_init(&p, q, OP_PUT, tu_item(9));
	call_start_blocked(&p);
	wait_sleepers(q, 1, 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(9));
	ck_assert_int_eq(call_finish(&p), 0);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Putters queue up behind the one offering; each returns only once its
 * own item was taken, and they are taken in the order offered. */
START_TEST(putters_wait_their_turn)
{
	workq_t *q = tu_queue(0);
	struct call p[3];
	int done[3] = { 0, 0, 0 };
	void *item;
	int i, j;

	for (i = 0; i < 3; i++) {
		call_init(&p[i], q, OP_PUT, tu_item(i + 1));
		call_start_blocked(&p[i]);
		wait_sleepers(q, (size_t)i + 1, 0);
	}
	for (i = 0; i < 3; i++) {
		uintptr_t n;

		ck_assert_int_eq(workq_get(q, &item), 0);
		n = tu_num(item);
		ck_assert(n >= 1 && n <= 3);
		ck_assert_int_eq(done[n - 1], 0);
		ck_assert_int_eq(call_finish(&p[n - 1]), 0);
		done[n - 1] = 1;
		for (j = 0; j < 3; j++)
			if (!done[j])
				ck_assert_int_eq(call_returned_after(&p[j], 20),
				                 0);
	}
	check_stats(q, 3, 3, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Close, discard, producers                                           */
/* ------------------------------------------------------------------ */

START_TEST(close_releases_putter_with_its_item)
{
	workq_t *q = tu_queue(0);
	struct call p, w;
	void *item = UNTOUCHED;

	call_init(&p, q, OP_PUT, tu_item(5));
	call_start_blocked(&p);
	call_init(&w, q, OP_PUT, tu_item(6));   /* waits for the slot */
	call_start_blocked(&w);
	wait_sleepers(q, 2, 0);
	ck_assert_int_eq(workq_close(q), 0);
	/* Nothing is queued: a get ends at once, before or after the
	 * putter took its item back. */
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(call_finish(&p), WORKQ_CLOSED);
	ck_assert_int_eq(call_finish(&w), WORKQ_CLOSED);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	check_stats(q, 0, 0, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static atomic_int handed_back;

static void count_back(void *item, void *arg)
{
	(void)item;
	(void)arg;
	atomic_fetch_add(&handed_back, 1);
}

START_TEST(discard_hands_back_nothing_a_putter_owns)
{
	workq_t *q = tu_queue(0);
	struct call p;
	struct workq_stats st;

	atomic_store(&handed_back, 0);
	call_init(&p, q, OP_PUT, tu_item(5));
	call_start_blocked(&p);
	wait_sleepers(q, 1, 0);
	ck_assert_int_eq(workq_discard(q, count_back, NULL), 0);
	ck_assert_int_eq(call_finish(&p), WORKQ_CLOSED);
	ck_assert_int_eq(atomic_load(&handed_back), 0);
	ck_assert_int_eq(workq_stats(q, &st), 0);
	ck_assert_uint_eq(st.discarded, 0);
	check_stats(q, 0, 0, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(last_producer_done_releases_putter)
{
	workq_t *q = tu_queue(0);
	struct call p;

	ck_assert_int_eq(workq_add_producers(q, 2), 0);
	call_init(&p, q, OP_PUT, tu_item(5));
	call_start_blocked(&p);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(call_returned_after_pause(&p), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(call_finish(&p), WORKQ_CLOSED);
	ck_assert_int_eq(workq_add_producers(q, 1), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Close racing a put and a get: the put returns 0 exactly when the get
 * received its item. */
START_TEST(close_races_put_and_get)
{
	long i, n = tu_scaled(400);

	for (i = 0; i < n; i++) {
		workq_t *q = tu_queue(0);
		struct call p, g;

		call_init(&p, q, OP_PUT, tu_item(i + 1));
		call_init(&g, q, OP_GET, UNTOUCHED);
		call_start(&p);
		call_start(&g);
		if (i % 3 == 1)
			sched_yield();
		ck_assert_int_eq(workq_close(q), 0);
		(void)call_finish(&p);
		(void)call_finish(&g);
		if (p.err == 0) {
			ck_assert_int_eq(g.err, 0);
			ck_assert_ptr_eq(g.item, tu_item(i + 1));
		} else {
			ck_assert_int_eq(p.err, WORKQ_CLOSED);
			ck_assert_int_eq(g.err, WORKQ_CLOSED);
			ck_assert_ptr_eq(g.item, WORKQ_DONE);
		}
		check_stats(q, p.err == 0, p.err == 0, 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

struct putter {
	workq_t *q;
	void *item;
	atomic_int tid;
	atomic_int returned;
	int err;
};

static void *putter_main(void *arg)
{
	struct putter *p = arg;

	atomic_store(&p->tid, (int)tu_gettid());
	p->err = workq_put(p->q, p->item);
	atomic_store(&p->returned, 1);
	return NULL;
}

static pthread_t start_putter(struct putter *p, workq_t *q, void *item)
{
	pthread_t t;
	int i;

	p->q = q;
	p->item = item;
	p->err = -1;
	atomic_init(&p->tid, 0);
	atomic_init(&p->returned, 0);
	t = tu_spawn(putter_main, p);
	for (i = 0; i < 10000 && atomic_load(&p->tid) == 0; i++)
		tu_sleep_ms(1);
	tu_wait_blocked((pid_t)atomic_load(&p->tid));
	return t;
}

/* Starts a putter and waits until `sleepers` putters sleep in q. */
static pthread_t start_putter_counted(struct putter *p, workq_t *q,
                                      void *item, size_t sleepers)
{
	pthread_t t = start_putter(p, q, item);

	wait_sleepers(q, sleepers, 0);
	return t;
}

static void cancel_putter(pthread_t t, struct putter *p)
{
	void *ret = NULL;

	ck_assert_int_eq(atomic_load(&p->returned), 0);
	ck_assert_int_eq(pthread_cancel(t), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
}

/* The queue must work as new: a hand-off, a timed put that gives up,
 * close and destroy. */
static void check_usable(workq_t *q, unsigned long long puts)
{
	struct timespec short_ts = tu_ms(10);
	struct call g;
	void *item = UNTOUCHED;

	check_stats(q, puts, puts, 0);
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	call_init(&g, q, OP_GET, UNTOUCHED);
	call_start_blocked(&g);
	ck_assert_int_eq(workq_put(q, tu_item(77)), 0);
	ck_assert_int_eq(call_finish(&g), 0);
	ck_assert_ptr_eq(g.item, tu_item(77));
	ck_assert_int_eq(workq_timed_put(q, tu_item(78), &short_ts),
	                 ETIMEDOUT);
	check_stats(q, puts + 1, puts + 1, 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}

START_TEST(cancel_offering_putter_withdraws)
{
	workq_t *q = tu_queue(0);
	struct putter p;
	pthread_t t = start_putter_counted(&p, q, tu_item(5), 1);
	struct workq_stats st;

	check_stats(q, 1, 0, 1);
	cancel_putter(t, &p);
	ck_assert_int_eq(workq_stats(q, &st), 0);
	ck_assert_uint_eq(st.blocked_producers, 0);
	check_usable(q, 0);
}
END_TEST

/* A putter waiting for the slot behind another is cancelled; the one
 * offering is unaffected. */
START_TEST(cancel_waiting_putter)
{
	workq_t *q = tu_queue(0);
	struct putter a, b;
	pthread_t ta = start_putter_counted(&a, q, tu_item(1), 1);
	pthread_t tb = start_putter_counted(&b, q, tu_item(2), 2);
	void *item = NULL;

	cancel_putter(tb, &b);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	tu_join(ta);
	ck_assert_int_eq(a.err, 0);
	check_usable(q, 1);
}
END_TEST

/* A consumer waiting in a get is cancelled: a try_put then finds no
 * taker, and another getter still gets a put's item. */
START_TEST(cancel_waiting_getter)
{
	workq_t *q = tu_queue(0);
	pthread_t t;
	struct call g;
	void *ret = NULL;

	call_init(&g, q, OP_GET, UNTOUCHED);
	call_start_blocked(&g);
	wait_sleepers(q, 0, 1);
	t = g.thread;
	ck_assert_int_eq(pthread_cancel(t), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
	sem_destroy(&g.started);
	sem_destroy(&g.finished);
	sem_destroy(&g.in_fn);
	sem_destroy(&g.go);
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), EAGAIN);
	check_usable(q, 0);
}
END_TEST

/* Cancel an offering putter while a consumer comes to take its item:
 * the item is delivered at most once, and exactly once if the put
 * returned 0. */
START_TEST(cancel_races_take)
{
	/* Where blocked threads cannot be watched each wait is a pause of
	 * 100 ms: fewer rounds, to stay within the timeout. */
	long i, n = TU_WATCH_THREADS ? tu_scaled(100) : 5;

	for (i = 0; i < n; i++) {
		workq_t *q = tu_queue(0);
		struct putter p;
		pthread_t t = start_putter_counted(&p, q, tu_item(i + 1), 1);
		struct call g;
		struct workq_stats st;
		void *ret = NULL;

		call_init(&g, q, OP_TIMED_GET, UNTOUCHED);
		g.ts = tu_ms(20);
		call_start(&g);
		ck_assert_int_eq(pthread_cancel(t), 0);
		ck_assert_int_eq(pthread_join(t, &ret), 0);
		(void)call_finish(&g);
		if (ret != PTHREAD_CANCELED) {
			ck_assert_int_eq(p.err, 0);
			ck_assert_int_eq(g.err, 0);
		}
		if (g.err == 0)
			ck_assert_ptr_eq(g.item, tu_item(i + 1));
		else
			ck_assert_int_eq(g.err, ETIMEDOUT);
		ck_assert_int_eq(workq_stats(q, &st), 0);
		ck_assert_uint_eq(st.puts, g.err == 0);
		ck_assert_uint_eq(st.gets, g.err == 0);
		ck_assert_uint_eq(st.size, 0);
		check_usable(q, st.puts);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Batches, pools, join, descriptor                                    */
/* ------------------------------------------------------------------ */

START_TEST(put_many_hands_over_one_by_one)
{
	workq_t *q = tu_queue(0);
	struct call p;
	void *got[8];
	size_t ngot, i;

	call_init(&p, q, OP_PUT_MANY, NULL);
	p.n = 5;
	for (i = 0; i < 5; i++)
		p.items[i] = tu_item(i + 1);
	call_start_blocked(&p);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(workq_get_many(q, got, 8, &ngot), 0);
		ck_assert_uint_eq(ngot, 1);
		ck_assert_ptr_eq(got[0], tu_item(i + 1));
	}
	ck_assert_int_eq(call_finish(&p), 0);
	ck_assert_uint_eq(p.moved, 5);

	/* Closed after two were taken: the third is still the caller's. */
	call_init(&p, q, OP_PUT_MANY, NULL);
	p.n = 4;
	for (i = 0; i < 4; i++)
		p.items[i] = tu_item(10 + i);
	call_start(&p);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(workq_get(q, &got[0]), 0);
		ck_assert_ptr_eq(got[0], tu_item(10 + i));
	}
	tu_wait_blocked(p.tid);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&p), WORKQ_CLOSED);
	ck_assert_uint_eq(p.moved, 2);
	ck_assert_int_eq(workq_get_many(q, got, 8, &ngot), WORKQ_CLOSED);
	ck_assert_uint_eq(ngot, 0);
	check_stats(q, 7, 7, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

#define POOL_PRODUCERS 4
#define POOL_ITEMS 2000

static atomic_int runs[POOL_PRODUCERS * POOL_ITEMS];

static void run_item(void *item, void *arg)
{
	(void)arg;
	atomic_fetch_add(&runs[tu_num(item) - 1], 1);
}

struct producer {
	workq_t *q;
	uintptr_t first, n;
	int err;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	uintptr_t i;

	p->err = 0;
	for (i = 0; i < p->n && p->err == 0; i++)
		p->err = workq_put(p->q, tu_item(p->first + i));
	return NULL;
}

START_TEST(pool_runs_every_item_once)
{
	workq_t *q = tu_queue(0);
	workq_pool_t *pool;
	struct producer pr[POOL_PRODUCERS];
	pthread_t t[POOL_PRODUCERS];
	uintptr_t n = (uintptr_t)tu_scaled(POOL_ITEMS);
	size_t i;

	for (i = 0; i < POOL_PRODUCERS * POOL_ITEMS; i++)
		atomic_init(&runs[i], 0);
	ck_assert_int_eq(workq_pool_start(&pool, q, 3, run_item, NULL), 0);
	for (i = 0; i < POOL_PRODUCERS; i++) {
		pr[i].q = q;
		pr[i].first = 1 + i * POOL_ITEMS;
		pr[i].n = n;
		t[i] = tu_spawn(produce, &pr[i]);
	}
	for (i = 0; i < POOL_PRODUCERS; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(pr[i].err, 0);
	}
	/* Every put returned 0, so every item has been taken. */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	for (i = 0; i < POOL_PRODUCERS * POOL_ITEMS; i++)
		ck_assert_int_eq(atomic_load(&runs[i]),
		                 i % POOL_ITEMS < n ? 1 : 0);
	check_stats(q, POOL_PRODUCERS * n, POOL_PRODUCERS * n, 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(join_counts_taken_items_only)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec short_ts = tu_ms(10);
	workq_t *q = tu_queue(0);
	struct call p, j;
	void *item;

	call_init(&p, q, OP_PUT, tu_item(1));
	call_start_blocked(&p);
	/* Offered, not accepted: nothing unfinished. */
	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(call_finish(&p), 0);
	ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	/* A withdrawn item never becomes unfinished. */
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &short_ts),
	                 ETIMEDOUT);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_readable_while_offered)
{
	struct timespec short_ts = tu_ms(300);
	workq_t *q = tu_queue(0);
	struct call p;
	void *item;
	int fd;

	ck_assert_int_eq(workq_pollfd(q, &fd), 0);
	ck_assert_int_eq(readable_within(fd, 0), 0);
	call_init(&p, q, OP_PUT, tu_item(1));
	call_start(&p);
	ck_assert_int_eq(readable_within(fd, 5000), 1);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_int_eq(call_finish(&p), 0);
	ck_assert_int_eq(readable_within(fd, 0), 0);
	/* Offered, then withdrawn at the deadline. */
	call_init(&p, q, OP_TIMED_PUT, tu_item(2));
	p.ts = short_ts;
	call_start(&p);
	ck_assert_int_eq(readable_within(fd, 5000), 1);
	ck_assert_int_eq(call_finish(&p), ETIMEDOUT);
	ck_assert_int_eq(readable_within(fd, 0), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(readable_within(fd, 0), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many producers and consumers                                        */
/* ------------------------------------------------------------------ */

#define MP 4
#define MC 4
#define MN 3000

/* Item: producer in the high bits, its sequence number (from 1) in the
 * low ones. */
#define ITEM(p, s) tu_item(((uintptr_t)(p) << 20) | (uintptr_t)(s))

struct mp_producer {
	workq_t *q;
	unsigned id;
	long n;
	int err;
};

/* Producers use every put variant; a put that gives up (try, timed)
 * still owns its item and offers it again, so a withdrawn item that was
 * delivered anyway shows up twice. */
static void *mp_produce(void *arg)
{
	struct mp_producer *p = arg;
	struct timespec ts = tu_ts(0, 100000);
	long s;
	int err = 0;

	for (s = 1; s <= p->n && err == 0; s++) {
		void *item = ITEM(p->id, s);

		do {
			switch (p->id % 4) {
			case 0:
				err = workq_put(p->q, item);
				break;
			case 1:
				err = workq_timed_put(p->q, item, &ts);
				break;
			case 2:
				err = workq_try_put(p->q, item);
				if (err == EAGAIN)
					sched_yield();
				break;
			default: {
				size_t nput;

				err = workq_put_many(p->q, &item, 1, &nput);
				break;
			}
			}
		} while (err == EAGAIN || err == ETIMEDOUT);
	}
	p->err = err;
	return NULL;
}

struct mp_consumer {
	workq_t *q;
	unsigned id;
	long got[MP];           /* items taken per producer */
	long last[MP];          /* last sequence number per producer */
	int order_ok;
	int bad_item;
};

static void mp_take(struct mp_consumer *c, void *item)
{
	uintptr_t v = tu_num(item);
	uintptr_t p = v >> 20, s = v & ((1u << 20) - 1);

	if (p >= MP) {
		c->bad_item = 1;
		return;
	}
	if ((long)s <= c->last[p])
		c->order_ok = 0;
	c->last[p] = (long)s;
	c->got[p]++;
}

static void *mp_consume(void *arg)
{
	struct mp_consumer *c = arg;
	struct timespec ts = tu_ts(0, 300000);
	void *items[4];
	int err;

	for (;;) {
		size_t n = 1, i;

		items[0] = NULL;
		switch (c->id % 4) {
		case 0:
			err = workq_get(c->q, &items[0]);
			break;
		case 1:
			err = workq_timed_get(c->q, &items[0], &ts);
			break;
		case 2:
			err = workq_try_get(c->q, &items[0]);
			if (err == EAGAIN)
				sched_yield();
			break;
		default:
			err = workq_get_many(c->q, items, 4, &n);
			break;
		}
		if (err == WORKQ_CLOSED)
			break;
		if (err != 0)
			continue;
		for (i = 0; i < n; i++)
			mp_take(c, items[i]);
	}
	return NULL;
}

START_TEST(many_producers_consumers_exactly_once)
{
	workq_t *q = tu_queue(0);
	struct mp_producer pr[MP];
	struct mp_consumer co[MC];
	pthread_t tp[MP], tc[MC];
	long n = tu_scaled(MN), total;
	unsigned i, j;

	memset(co, 0, sizeof(co));
	for (i = 0; i < MC; i++) {
		co[i].q = q;
		co[i].id = i;
		co[i].order_ok = 1;
		tc[i] = tu_spawn(mp_consume, &co[i]);
	}
	for (i = 0; i < MP; i++) {
		pr[i].q = q;
		pr[i].id = i;
		pr[i].n = n;
		tp[i] = tu_spawn(mp_produce, &pr[i]);
	}
	for (i = 0; i < MP; i++) {
		tu_join(tp[i]);
		ck_assert_int_eq(pr[i].err, 0);
	}
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < MC; i++)
		tu_join(tc[i]);
	for (j = 0; j < MP; j++) {
		total = 0;
		for (i = 0; i < MC; i++)
			total += co[i].got[j];
		ck_assert_int_eq(total, n);
	}
	for (i = 0; i < MC; i++) {
		ck_assert_int_eq(co[i].bad_item, 0);
		ck_assert_int_eq(co[i].order_ok, 1);
	}
	check_stats(q, MP * (unsigned long long)n,
	            MP * (unsigned long long)n, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *rendezvous_suite(void)
{
	Suite *s = suite_create("rendezvous");
	TCase *tc = tcase_create("basics");
	TCase *tr = tcase_create("close");
	TCase *tx = tcase_create("cancel");
	TCase *tm = tcase_create("more");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, create_zero_is_rendezvous);
	tcase_add_test(tc, put_blocks_until_taken);
	tcase_add_test(tc, get_blocks_until_put);
	tcase_add_test(tc, try_put_needs_a_waiting_getter);
	tcase_add_test(tc, try_put_races_a_leaving_getter);
	tcase_add_test(tc, timed_put_gives_up_and_keeps_item);
	tcase_add_test(tc, try_get_needs_an_offering_putter);
	tcase_add_test(tc, putters_wait_their_turn);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tr, TU_TIMEOUT);
	tcase_add_test(tr, close_releases_putter_with_its_item);
	tcase_add_test(tr, discard_hands_back_nothing_a_putter_owns);
	tcase_add_test(tr, last_producer_done_releases_putter);
	tcase_add_test(tr, close_races_put_and_get);
	suite_add_tcase(s, tr);

	/* Helgrind loses track of a mutex once a thread is cancelled in a
	 * condvar wait (see Makefile.am): make check-helgrind sets
	 * WORKQ_TEST_HELGRIND, and these run under the other tools. */
	tcase_set_timeout(tx, TU_TIMEOUT);
	tcase_add_test(tx, cancel_offering_putter_withdraws);
	tcase_add_test(tx, cancel_waiting_putter);
	tcase_add_test(tx, cancel_waiting_getter);
	tcase_add_test(tx, cancel_races_take);
	if (getenv("WORKQ_TEST_HELGRIND") == NULL)
		suite_add_tcase(s, tx);

	tcase_set_timeout(tm, TU_TIMEOUT * 3);
	tcase_add_test(tm, put_many_hands_over_one_by_one);
	tcase_add_test(tm, pool_runs_every_item_once);
	tcase_add_test(tm, join_counts_taken_items_only);
	tcase_add_test(tm, pollfd_readable_while_offered);
	tcase_add_test(tm, many_producers_consumers_exactly_once);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run(rendezvous_suite());
}
