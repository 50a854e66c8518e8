/*
 * check_stats.c - workq_stats(): what each counter counts (API-0.2.md,
 * "Counters"), and the invariant puts == gets + discarded + size in
 * every snapshot, however many threads are working.
 *
 * Threads other than the test's never assert: they record results in
 * their own structs, checked after joining them.  "Thread T is blocked
 * in its call" is established with tu_wait_blocked(), never by sleeping.
 */
#include "testutil.h"

#include <stdatomic.h>

static struct workq_stats snap(const workq_t *q)
{
	struct workq_stats st;

	memset(&st, 0xa5, sizeof(st));
	ck_assert_int_eq(workq_stats(q, &st), 0);
	/* The invariant, checked in every snapshot any test takes. */
	ck_assert_msg(st.puts == st.gets + st.discarded + st.size,
	              "puts %llu != gets %llu + discarded %llu + size %zu",
	              st.puts, st.gets, st.discarded, st.size);
	return st;
}

/* ------------------------------------------------------------------ */
/* Single-threaded counting                                            */
/* ------------------------------------------------------------------ */

START_TEST(stats_einval_changes_nothing)
{
	workq_t *q = tu_queue(2);
	struct workq_stats st, mark;

	memset(&st, 0x5a, sizeof(st));
	mark = st;
	ck_assert_int_eq(workq_stats(NULL, &st), EINVAL);
	ck_assert_int_eq(memcmp(&st, &mark, sizeof(st)), 0);
	ck_assert_int_eq(workq_stats(q, NULL), EINVAL);
	ck_assert_int_eq(workq_stats(NULL, NULL), EINVAL);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_fresh_queue_all_zero)
{
	workq_t *q = tu_queue(5);
	struct workq_stats st = snap(q);

	ck_assert_uint_eq(st.puts, 0);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_uint_eq(st.discarded, 0);
	ck_assert_uint_eq(st.put_waits, 0);
	ck_assert_uint_eq(st.get_waits, 0);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.high_water, 0);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_count_puts_gets_and_discards)
{
	workq_t *q = tu_queue(8);
	struct timespec ts = tu_ms(1000);
	void *in[3] = { tu_item(4), tu_item(5), tu_item(6) };
	void *out[8], *item;
	struct workq_stats st;
	size_t n;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_timed_put(q, tu_item(3), &ts), 0);
	ck_assert_int_eq(workq_put_many(q, in, 3, &n), 0);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 6);
	ck_assert_uint_eq(st.size, 6);
	ck_assert_uint_eq(st.gets, 0);

	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_int_eq(workq_timed_get(q, &item, &ts), 0);
	ck_assert_int_eq(workq_get_many(q, out, 2, &n), 0);
	ck_assert_uint_eq(n, 2);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 6);
	ck_assert_uint_eq(st.gets, 5);
	ck_assert_uint_eq(st.size, 1);

	/* A task_done moves no counter. */
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_uint_eq(snap(q).gets, 5);

	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(8)), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 8);
	ck_assert_uint_eq(st.gets, 5);
	ck_assert_uint_eq(st.discarded, 3);
	ck_assert_uint_eq(st.size, 0);
	/* Nothing slept. */
	ck_assert_uint_eq(st.put_waits, 0);
	ck_assert_uint_eq(st.get_waits, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_refused_calls_count_nothing)
{
	workq_t *q = tu_queue(1);
	struct timespec zero = tu_ts(0, 0), bad = tu_ts(0, -1);
	void *in[2] = { tu_item(1), WORKQ_DONE };
	void *item;
	struct workq_stats st;
	size_t n;

	/* Argument errors. */
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &bad), EINVAL);
	ck_assert_int_eq(workq_put_many(q, in, 2, &n), EINVAL);
	ck_assert_int_eq(workq_timed_get(q, &item, &bad), EINVAL);
	/* Would-wait codes. */
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_timed_get(q, &item, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), EAGAIN);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &zero), ETIMEDOUT);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_uint_eq(st.gets, 0);
	ck_assert_uint_eq(st.put_waits, 0);
	ck_assert_uint_eq(st.get_waits, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_sentinel_and_close_not_counted)
{
	workq_t *q = tu_queue(2);
	void *item, *out[2];
	struct workq_stats st;
	size_t n;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_try_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_put_many(q, out, 0, &n), WORKQ_CLOSED);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_uint_eq(st.size, 1);
	ck_assert_uint_eq(st.high_water, 1);
	ck_assert_int_eq(workq_get(q, &item), 0);
	/* Receiving the done sentinel is not a get of an item. */
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_get_many(q, out, 2, &n), WORKQ_CLOSED);
	st = snap(q);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_uint_eq(st.gets, 1);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.get_waits, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_high_water_is_largest_size)
{
	workq_t *q = tu_queue(4);
	void *item, *in[4] = { tu_item(1), tu_item(2), tu_item(3), tu_item(4) };
	size_t n;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_uint_eq(snap(q).high_water, 3);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_uint_eq(snap(q).high_water, 3);       /* does not fall */
	ck_assert_int_eq(workq_put(q, tu_item(4)), 0);
	ck_assert_uint_eq(snap(q).size, 2);
	ck_assert_uint_eq(snap(q).high_water, 3);
	ck_assert_int_eq(workq_put_many(q, in, 2, &n), 0);
	ck_assert_uint_eq(snap(q).high_water, 4);       /* full */
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_uint_eq(snap(q).size, 0);
	ck_assert_uint_eq(snap(q).high_water, 4);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

struct inside {
	const workq_t *q;
	unsigned long long calls;
};

/* Called by workq_discard in the test's own thread, so it may assert. */
static void snap_inside_discard(void *item, void *arg)
{
	struct inside *in = arg;
	struct workq_stats st = snap(in->q);    /* the invariant holds */

	(void)item;
	in->calls++;
	/* The item in hand has left the queue and is counted already. */
	ck_assert_uint_ge(st.discarded, in->calls);
	ck_assert_uint_eq(st.puts, 150);
}

/* fn may call back into q; a snapshot taken there, in the middle of a
 * discard of more items than it removes at once, is consistent too. */
START_TEST(stats_consistent_inside_discard_callback)
{
	workq_t *q = tu_queue(200);
	struct inside in;
	struct workq_stats st;
	uintptr_t i;

	for (i = 0; i < 150; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	in.q = q;
	in.calls = 0;
	ck_assert_int_eq(workq_discard(q, snap_inside_discard, &in), 0);
	ck_assert_uint_eq(in.calls, 150);
	st = snap(q);
	ck_assert_uint_eq(st.discarded, 150);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.high_water, 150);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waits and blocked threads                                           */
/* ------------------------------------------------------------------ */

enum op { OP_GET, OP_TIMED_GET, OP_GET_MANY, OP_PUT, OP_TIMED_PUT,
	  OP_PUT_MANY, OP_JOIN };

/* One thread making one call, and what came of it. */
struct caller {
	workq_t *q;
	enum op op;
	atomic_int tid;
	int err;
	void *item;
	size_t n;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;
	struct timespec hour = tu_ts(3600, 0);
	void *items[2] = { tu_item(100), tu_item(101) };
	void *out[4];

	atomic_store(&c->tid, (int)tu_gettid());
	switch (c->op) {
	case OP_GET: c->err = workq_get(c->q, &c->item); break;
	case OP_TIMED_GET:
		c->err = workq_timed_get(c->q, &c->item, &hour);
		break;
	case OP_GET_MANY: c->err = workq_get_many(c->q, out, 4, &c->n); break;
	case OP_PUT: c->err = workq_put(c->q, tu_item(100)); break;
	case OP_TIMED_PUT:
		c->err = workq_timed_put(c->q, tu_item(100), &hour);
		break;
	case OP_PUT_MANY: c->err = workq_put_many(c->q, items, 2, &c->n); break;
	case OP_JOIN: c->err = workq_join(c->q); break;
	}
	return NULL;
}

/* Starts c's thread and returns once it sleeps inside its call. */
static pthread_t start_blocked(struct caller *c, workq_t *q, enum op op)
{
	pthread_t t;
	int i;

	memset(c, 0, sizeof(*c));
	c->q = q;
	c->op = op;
	c->err = -1;
	atomic_init(&c->tid, 0);
	t = tu_spawn(caller_main, c);
	for (i = 0; i < 10000 && atomic_load(&c->tid) == 0; i++)
		tu_sleep_ms(1);
	ck_assert_int_ne(atomic_load(&c->tid), 0);
	tu_wait_blocked((pid_t)atomic_load(&c->tid));
	return t;
}

START_TEST(stats_blocked_consumers_while_sleeping)
{
	workq_t *q = tu_queue(2);
	struct caller c[3];
	pthread_t t[3];
	struct workq_stats st;
	int i;

	t[0] = start_blocked(&c[0], q, OP_GET);
	ck_assert_uint_eq(snap(q).blocked_consumers, 1);
	t[1] = start_blocked(&c[1], q, OP_TIMED_GET);
	ck_assert_uint_eq(snap(q).blocked_consumers, 2);
	t[2] = start_blocked(&c[2], q, OP_GET_MANY);
	st = snap(q);
	ck_assert_uint_eq(st.blocked_consumers, 3);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_uint_eq(st.get_waits, 3);
	/* The item goes to one of them; closing sends the others home. */
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < 3; i++)
		tu_join(t[i]);
	st = snap(q);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_uint_eq(st.get_waits, 3);
	ck_assert_uint_eq(st.gets, 1);
	ck_assert_int_eq((c[0].err == 0) + (c[1].err == 0) +
	                 (c[2].err == 0), 1);
	for (i = 0; i < 3; i++)
		ck_assert(c[i].err == 0 || c[i].err == WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(stats_blocked_producers_while_sleeping)
{
	workq_t *q = tu_queue(1);
	struct caller c[3];
	pthread_t t[3];
	struct workq_stats st;
	void *item;
	int i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t[0] = start_blocked(&c[0], q, OP_PUT);
	ck_assert_uint_eq(snap(q).blocked_producers, 1);
	t[1] = start_blocked(&c[1], q, OP_TIMED_PUT);
	ck_assert_uint_eq(snap(q).blocked_producers, 2);
	t[2] = start_blocked(&c[2], q, OP_PUT_MANY);
	st = snap(q);
	ck_assert_uint_eq(st.blocked_producers, 3);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_uint_eq(st.put_waits, 3);
	ck_assert_uint_eq(st.puts, 1);
	/* Closing sends them all home without their items. */
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < 3; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(c[i].err, WORKQ_CLOSED);
	}
	st = snap(q);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_uint_eq(st.put_waits, 3);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A thread in workq_join sleeps, but not in a put or get variant. */
START_TEST(stats_joiner_is_neither_producer_nor_consumer)
{
	workq_t *q = tu_queue(2);
	struct caller c;
	pthread_t t;
	struct workq_stats st;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t = start_blocked(&c, q, OP_JOIN);
	st = snap(q);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(c.err, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/*
 * get_waits counts calls, not sleeps.  Each round one thread blocks in
 * one workq_get; the test puts an item and at once tries to take it
 * back.  When the test wins, the woken consumer finds the queue empty
 * and sleeps again (a wake-up with nothing to show for it), then gets
 * a second item.  Either way its call slept, so it counts once.
 */
START_TEST(stats_get_waits_counts_calls_not_sleeps)
{
	const int rounds = 10;
	workq_t *q = tu_queue(2);
	struct caller c;
	struct workq_stats st;
	pthread_t t;
	void *item;
	int r, stolen = 0;

	memset(&st, 0, sizeof(st));
	for (r = 0; r < rounds; r++) {
		t = start_blocked(&c, q, OP_GET);
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		if (workq_try_get(q, &item) == 0) {
			/* Let the consumer wake to nothing and sleep again. */
			stolen++;
			tu_wait_blocked((pid_t)atomic_load(&c.tid));
			ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		}
		tu_join(t);
		ck_assert_int_eq(c.err, 0);
		st = snap(q);
		ck_assert_uint_eq(st.get_waits, (unsigned long long)r + 1);
		ck_assert_uint_eq(st.blocked_consumers, 0);
		ck_assert_uint_eq(st.size, 0);
	}
	/* The test's try_gets never count, whether they got an item or not. */
	ck_assert_uint_eq(st.gets, (unsigned long long)(rounds + stolen));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The same for put_waits, on a queue of one slot. */
START_TEST(stats_put_waits_counts_calls_not_sleeps)
{
	const int rounds = 10;
	workq_t *q = tu_queue(1);
	struct caller c;
	struct workq_stats st;
	pthread_t t;
	void *item;
	int r;

	for (r = 0; r < rounds; r++) {
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		t = start_blocked(&c, q, OP_PUT);
		ck_assert_int_eq(workq_get(q, &item), 0);
		/* Refill at once: the woken producer may find it full again
		 * and sleep a second time. */
		if (workq_try_put(q, tu_item(2)) == 0) {
			tu_wait_blocked((pid_t)atomic_load(&c.tid));
			ck_assert_int_eq(workq_get(q, &item), 0);
		}
		tu_join(t);
		ck_assert_int_eq(c.err, 0);
		st = snap(q);
		ck_assert_uint_eq(st.put_waits, (unsigned long long)r + 1);
		ck_assert_uint_eq(st.blocked_producers, 0);
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(100));
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A timed call that slept and timed out slept: it counts.  One with a
 * zero timeout never sleeps: it does not. */
START_TEST(stats_timed_calls_count_only_when_sleeping)
{
	workq_t *q = tu_queue(1);
	struct timespec zero = tu_ts(0, 0), short_ts = tu_ms(20);
	void *item;
	struct workq_stats st;

	ck_assert_int_eq(workq_timed_get(q, &item, &zero), ETIMEDOUT);
	ck_assert_uint_eq(snap(q).get_waits, 0);
	ck_assert_int_eq(workq_timed_get(q, &item, &short_ts), ETIMEDOUT);
	ck_assert_uint_eq(snap(q).get_waits, 1);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &zero), ETIMEDOUT);
	ck_assert_uint_eq(snap(q).put_waits, 0);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &short_ts), ETIMEDOUT);
	st = snap(q);
	ck_assert_uint_eq(st.put_waits, 1);
	ck_assert_uint_eq(st.get_waits, 1);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_uint_eq(st.puts, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The invariant under concurrency                                     */
/* ------------------------------------------------------------------ */

#define NTHREADS 4
#define BATCH 5

/* A producer or consumer of the concurrency test.  Every thread bumps
 * *finished when it is done, so the test's thread knows when to stop
 * taking snapshots. */
struct worker {
	workq_t *q;
	int batch;              /* use put_many / get_many */
	uintptr_t first, count; /* producers: items first .. first+count-1 */
	atomic_int *finished;
	atomic_uchar *seen;     /* consumers: per-item receipt counts */
	int err;                /* 0, or the unexpected error */
	uintptr_t done;         /* items accepted (producers) or got */
};

/* Puts items until all are put or the queue closes (the discard). */
static void *producer_main(void *arg)
{
	struct worker *w = arg;
	void *items[BATCH];
	size_t n, k;
	int err = 0;

	while (w->done < w->count && err == 0) {
		if (!w->batch) {
			err = workq_put(w->q, tu_item(w->first + w->done));
			w->done += err == 0;
			continue;
		}
		for (k = 0; k < BATCH && w->done + k < w->count; k++)
			items[k] = tu_item(w->first + w->done + k);
		err = workq_put_many(w->q, items, k, &n);
		w->done += n;
		if (err == 0 && n != k)
			err = -1;
	}
	w->err = err == WORKQ_CLOSED ? 0 : err;
	atomic_fetch_add(w->finished, 1);
	return NULL;
}

/* Consumers work a little on each item, so that the queue is often full
 * and the discard usually finds items to hand back. */
static void take(struct worker *w, void *item)
{
	volatile unsigned spin = 0;

	atomic_fetch_add(&w->seen[tu_num(item)], 1);
	w->done++;
	while (spin < 3000)
		spin++;
}

/* Gets items until the queue is closed and drained. */
static void *consumer_main(void *arg)
{
	struct worker *w = arg;
	void *items[BATCH];
	size_t n, k;
	int err;

	do {
		if (w->batch) {
			err = workq_get_many(w->q, items, BATCH, &n);
			for (k = 0; err == 0 && k < n; k++)
				take(w, items[k]);
		} else {
			err = workq_get(w->q, &items[0]);
			if (err == 0)
				take(w, items[0]);
		}
	} while (err == 0);
	w->err = err == WORKQ_CLOSED ? 0 : err;
	atomic_fetch_add(w->finished, 1);
	return NULL;
}

struct discarder {
	workq_t *q;
	atomic_uchar *seen;
	atomic_int *finished;
	int err;
	unsigned long long n;   /* items handed to tally */
};

static void tally(void *item, void *arg)
{
	struct discarder *d = arg;

	atomic_fetch_add(&d->seen[tu_num(item)], 1);
	d->n++;
}

static void *discarder_main(void *arg)
{
	struct discarder *d = arg;

	d->err = workq_discard(d->q, tally, d);
	atomic_fetch_add(d->finished, 1);
	return NULL;
}

/*
 * Four producers and four consumers (half of each using the batch calls)
 * share a small queue while the test's thread takes snapshots as fast as
 * it can.  Once three quarters of the items are in, another thread
 * discards the queue with producers and consumers still at work; the
 * snapshots go on through the discard, until every thread is done.
 * Every snapshot must satisfy the invariant (snap() checks it) with no
 * counter running backwards, and in the end each accepted item was got
 * or discarded exactly once, and the counters agree with the threads.
 */
START_TEST(stats_invariant_holds_under_concurrency)
{
	const uintptr_t per = (uintptr_t)tu_scaled(20000);
	const uintptr_t total = per * NTHREADS;
	const size_t cap = 16;
	workq_t *q = tu_queue(cap);
	struct worker prod[NTHREADS], cons[NTHREADS];
	pthread_t pt[NTHREADS], ct[NTHREADS], dt = pthread_self();
	struct discarder d;
	atomic_int finished;
	atomic_uchar *seen = calloc(total, sizeof(*seen));
	struct workq_stats st, prev;
	unsigned long long accepted = 0, got = 0;
	long snaps = 0;
	int i, discarding = 0;
	uintptr_t k;

	ck_assert_ptr_nonnull(seen);
	atomic_init(&finished, 0);
	memset(&prev, 0, sizeof(prev));
	memset(&d, 0, sizeof(d));
	d.q = q;
	d.seen = seen;
	d.finished = &finished;
	for (i = 0; i < NTHREADS; i++) {
		memset(&prod[i], 0, sizeof(prod[i]));
		memset(&cons[i], 0, sizeof(cons[i]));
		prod[i].q = cons[i].q = q;
		prod[i].batch = cons[i].batch = i % 2;
		prod[i].first = (uintptr_t)i * per;
		prod[i].count = per;
		prod[i].finished = cons[i].finished = &finished;
		cons[i].seen = seen;
	}
	for (i = 0; i < NTHREADS; i++) {
		pt[i] = tu_spawn(producer_main, &prod[i]);
		ct[i] = tu_spawn(consumer_main, &cons[i]);
	}
	while (atomic_load(&finished) < 2 * NTHREADS + discarding) {
		st = snap(q);
		snaps++;
		ck_assert_uint_ge(st.puts, prev.puts);
		ck_assert_uint_ge(st.gets, prev.gets);
		ck_assert_uint_ge(st.discarded, prev.discarded);
		ck_assert_uint_ge(st.put_waits, prev.put_waits);
		ck_assert_uint_ge(st.get_waits, prev.get_waits);
		ck_assert_uint_ge(st.high_water, prev.high_water);
		ck_assert_uint_le(st.size, cap);
		ck_assert_uint_le(st.high_water, cap);
		ck_assert_uint_ge(st.high_water, st.size);
		ck_assert_uint_le(st.puts, total);
		ck_assert_uint_le(st.blocked_producers, NTHREADS);
		ck_assert_uint_le(st.blocked_consumers, NTHREADS);
		if (!discarding)
			ck_assert_uint_eq(st.discarded, 0);
		if (!discarding && st.puts >= total / 4 * 3) {
			dt = tu_spawn(discarder_main, &d);
			discarding = 1;
		}
		prev = st;
	}
	ck_assert_int_eq(discarding, 1);
	tu_join(dt);
	ck_assert_int_eq(d.err, 0);
	for (i = 0; i < NTHREADS; i++) {
		tu_join(pt[i]);
		tu_join(ct[i]);
		ck_assert_int_eq(prod[i].err, 0);
		ck_assert_int_eq(cons[i].err, 0);
		accepted += prod[i].done;
		got += cons[i].done;
	}
	st = snap(q);
	ck_assert_uint_eq(st.puts, accepted);
	ck_assert_uint_eq(st.gets, got);
	ck_assert_uint_eq(st.discarded, d.n);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.blocked_producers, 0);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	/* Exactly the accepted items (each producer's first `done`) came
	 * out, each once. */
	for (i = 0; i < NTHREADS; i++)
		for (k = 0; k < per; k++) {
			int n = atomic_load(&seen[prod[i].first + k]);

			ck_assert_msg(n == (k < prod[i].done),
			              "item %lu seen %d times "
			              "(producer %d put %lu)",
			              (unsigned long)(prod[i].first + k), n, i,
			              (unsigned long)prod[i].done);
		}
	ck_assert_int_gt(snaps, 0);
	free(seen);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("counting");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, stats_einval_changes_nothing);
	tcase_add_test(tc, stats_fresh_queue_all_zero);
	tcase_add_test(tc, stats_count_puts_gets_and_discards);
	tcase_add_test(tc, stats_refused_calls_count_nothing);
	tcase_add_test(tc, stats_sentinel_and_close_not_counted);
	tcase_add_test(tc, stats_high_water_is_largest_size);
	tcase_add_test(tc, stats_consistent_inside_discard_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("waits");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, stats_blocked_consumers_while_sleeping);
	tcase_add_test(tc, stats_blocked_producers_while_sleeping);
	tcase_add_test(tc, stats_joiner_is_neither_producer_nor_consumer);
	tcase_add_test(tc, stats_get_waits_counts_calls_not_sleeps);
	tcase_add_test(tc, stats_put_waits_counts_calls_not_sleeps);
	tcase_add_test(tc, stats_timed_calls_count_only_when_sleeping);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, stats_invariant_holds_under_concurrency);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(stats_suite());
}
