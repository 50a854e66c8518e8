/*
 * check_liveness.c - no lost wake-ups.  Tiny capacities with more
 * threads than slots (the case where one shared condvar or a "signal
 * only on the empty -> non-empty transition" shortcut deadlocks), with
 * single and batch calls; back-to-back puts or gets that must release
 * as many blocked threads; and waiter counts that stay right after many
 * timed-out waits.  A hang fails through the tcase timeout.
 *
 * Threads never assert: they record into their own structs, which the
 * test's thread checks after joining them.
 */
#include "testutil.h"

#include <stdatomic.h>

#define MAXT 8
#define BATCH 5

/* ------------------------------------------------------------------ */
/* Thread mixes                                                        */
/* ------------------------------------------------------------------ */

struct mix {
	workq_t *q;
	size_t nitems;
	atomic_int *counts;
	int batch;               /* mix put_many / get_many in */
	pthread_barrier_t go;
};

struct mthread {
	struct mix *m;
	size_t from, to;         /* a producer's items */
	uint64_t rng;
	long count;              /* items put or received */
	uintmax_t sum;
	int err;                 /* first unexpected return code */
	int bogus;
};

static void *mix_producer(void *arg)
{
	struct mthread *t = arg;
	struct mix *m = t->m;
	void *buf[BATCH];
	size_t i = t->from, n, j, nput;
	int err;

	pthread_barrier_wait(&m->go);
	while (i < t->to) {
		if (m->batch && tu_rnd(&t->rng) % 2 == 0) {
			n = 1 + (size_t)(tu_rnd(&t->rng) % BATCH);
			if (n > t->to - i)
				n = t->to - i;
			for (j = 0; j < n; j++)
				buf[j] = tu_item(i + j);
			err = workq_put_many(m->q, buf, n, &nput);
			if (err != 0 || nput != n) {
				t->err = err != 0 ? err : -1;
				break;
			}
			i += n;
			t->count += (long)n;
		} else {
			err = workq_put(m->q, tu_item(i));
			if (err != 0) {
				t->err = err;
				break;
			}
			i++;
			t->count++;
		}
	}
	return NULL;
}

static void take(struct mthread *t, void *item)
{
	uintptr_t n = tu_num(item);

	if (n >= t->m->nitems) {
		t->bogus++;
		return;
	}
	atomic_fetch_add(&t->m->counts[n], 1);
	t->count++;
	t->sum += n;
}

static void *mix_consumer(void *arg)
{
	struct mthread *t = arg;
	struct mix *m = t->m;
	void *buf[BATCH];
	void *item;
	size_t max, ngot, j;
	int err;

	pthread_barrier_wait(&m->go);
	for (;;) {
		if (m->batch && tu_rnd(&t->rng) % 2 == 0) {
			max = 1 + (size_t)(tu_rnd(&t->rng) % BATCH);
			err = workq_get_many(m->q, buf, max, &ngot);
			if (err == 0)
				for (j = 0; j < ngot; j++)
					take(t, buf[j]);
		} else {
			err = workq_get(m->q, &item);
			if (err == 0)
				take(t, item);
		}
		if (err == WORKQ_CLOSED)
			return NULL;
		if (err != 0) {
			t->err = err;
			return NULL;
		}
	}
}

static const struct {
	size_t cap;
	unsigned np, nc;
} mixes[] = {
	{ 1, 2, 1 }, { 1, 1, 2 }, { 1, 3, 3 }, { 1, 8, 8 },
	{ 2, 2, 1 }, { 2, 1, 2 }, { 2, 3, 3 }, { 2, 8, 8 },
};
#define NMIXES ((int)(sizeof(mixes) / sizeof(mixes[0])))

static void run_mix(size_t cap, unsigned np, unsigned nc, size_t nitems,
                    int batch)
{
	struct mix m;
	struct mthread prod[MAXT], cons[MAXT];
	pthread_t tp[MAXT], tc[MAXT];
	uintmax_t sum = 0;
	long put = 0, got = 0;
	size_t i;
	unsigned k;

	memset(&m, 0, sizeof(m));
	m.q = tu_queue(cap);
	m.nitems = nitems;
	m.batch = batch;
	m.counts = calloc(nitems, sizeof(*m.counts));
	ck_assert_ptr_nonnull(m.counts);
	ck_assert_int_eq(pthread_barrier_init(&m.go, NULL, np + nc), 0);
	memset(prod, 0, sizeof(prod));
	memset(cons, 0, sizeof(cons));
	for (k = 0; k < nc; k++) {
		cons[k].m = &m;
		cons[k].rng = 0x9E3779B97F4A7C15ULL * (k + 1);
		tc[k] = tu_spawn(mix_consumer, &cons[k]);
	}
	for (k = 0; k < np; k++) {
		prod[k].m = &m;
		prod[k].from = nitems * k / np;
		prod[k].to = nitems * (k + 1) / np;
		prod[k].rng = 0xD1B54A32D192ED03ULL * (k + 1);
		tp[k] = tu_spawn(mix_producer, &prod[k]);
	}
	for (k = 0; k < np; k++)
		tu_join(tp[k]);
	ck_assert_int_eq(workq_close(m.q), 0);
	for (k = 0; k < nc; k++)
		tu_join(tc[k]);

	for (k = 0; k < np; k++) {
		ck_assert_msg(prod[k].err == 0, "producer %u: %d", k,
		              prod[k].err);
		put += prod[k].count;
	}
	for (k = 0; k < nc; k++) {
		ck_assert_msg(cons[k].err == 0 && cons[k].bogus == 0,
		              "consumer %u: err %d, bogus %d", k, cons[k].err,
		              cons[k].bogus);
		got += cons[k].count;
		sum += cons[k].sum;
	}
	ck_assert_int_eq(put, (long)nitems);
	ck_assert_int_eq(got, (long)nitems);
	ck_assert_msg(sum == (uintmax_t)nitems * (nitems - 1) / 2,
	              "sum %ju", sum);
	for (i = 0; i < nitems; i++)
		ck_assert_msg(atomic_load(&m.counts[i]) == 1,
		              "item %zu received %d times", i,
		              atomic_load(&m.counts[i]));
	ck_assert_uint_eq(workq_size(m.q), 0);
	ck_assert_int_eq(workq_destroy(m.q), 0);
	pthread_barrier_destroy(&m.go);
	free(m.counts);
}

START_TEST(small_capacity_single_calls_finish)
{
	run_mix(mixes[_i].cap, mixes[_i].np, mixes[_i].nc,
	        (size_t)tu_scaled(10000), 0);
}
END_TEST

START_TEST(small_capacity_batch_and_single_calls_finish)
{
	run_mix(mixes[_i].cap, mixes[_i].np, mixes[_i].nc,
	        (size_t)tu_scaled(10000), 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bursts against blocked threads                                      */
/* ------------------------------------------------------------------ */

enum op { OP_GET, OP_PUT };

struct blocked {
	workq_t *q;
	enum op op;
	void *item;              /* in for put, out for get */
	atomic_int tid;
	int err;
};

static void *blocked_main(void *arg)
{
	struct blocked *b = arg;

	atomic_store(&b->tid, (int)tu_gettid());
	switch (b->op) {
	case OP_GET:
		b->err = workq_get(b->q, &b->item);
		break;
	case OP_PUT:
		b->err = workq_put(b->q, b->item);
		break;
	}
	return NULL;
}

/* Waits until thread `tid` sleeps twice in a row, 1 ms apart: for
 * loops, where tu_wait_blocked's extra 20 ms would add up.  Nothing else
 * holds the queue's mutex meanwhile, so a sleeping thread is waiting in
 * its workq call. */
static void wait_sleeping(pid_t tid)
{
	int i, seen = 0;

	if (!TU_WATCH_THREADS) {        /* as tu_wait_blocked: a pause */
		tu_sleep_ms(20);
		return;
	}
	for (i = 0; i < 5000 && seen < 2; i++) {
		if (tu_thread_state(tid) == 'S')
			seen++;
		else
			seen = 0;
		tu_sleep_ms(1);
	}
}

/* Starts a thread making call `op` and returns once it is blocked;
 * `quick` waits with wait_sleeping() instead of tu_wait_blocked(). */
static pthread_t start_blocked_how(struct blocked *b, workq_t *q, enum op op,
                                   void *item, int quick)
{
	pthread_t t;
	int i;

	memset(b, 0, sizeof(*b));
	b->q = q;
	b->op = op;
	b->item = item;
	atomic_init(&b->tid, 0);
	t = tu_spawn(blocked_main, b);
	for (i = 0; i < 10000 && atomic_load(&b->tid) == 0; i++)
		tu_sleep_ms(1);
	if (quick)
		wait_sleeping((pid_t)atomic_load(&b->tid));
	else
		tu_wait_blocked((pid_t)atomic_load(&b->tid));
	return t;
}

static pthread_t start_blocked(struct blocked *b, workq_t *q, enum op op,
                               void *item)
{
	return start_blocked_how(b, q, op, item, 0);
}

/*
 * Two consumers wait on an empty queue; two puts follow back to back.
 * A put that signals only on the empty -> non-empty transition wakes
 * one of them.  Whether the first woken consumer takes its item before
 * the second put depends on scheduling, hence the repetitions; odd
 * rounds use try_put, and capacities 2 and 4 alternate.
 */
START_TEST(two_quick_puts_release_two_blocked_consumers)
{
	const long rounds = tu_scaled(25);
	long r;

	for (r = 0; r < rounds; r++) {
		workq_t *q = tu_queue(r % 4 < 2 ? 2 : 4);
		struct blocked b[2];
		pthread_t t[2];
		int i;

		for (i = 0; i < 2; i++)
			t[i] = start_blocked_how(&b[i], q, OP_GET, NULL, 1);
		if (r & 1) {
			ck_assert_int_eq(workq_try_put(q, tu_item(1)), 0);
			ck_assert_int_eq(workq_try_put(q, tu_item(2)), 0);
		} else {
			ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
			ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		}
		for (i = 0; i < 2; i++) {
			tu_join(t[i]);
			ck_assert_int_eq(b[i].err, 0);
		}
		ck_assert_msg((b[0].item == tu_item(1) &&
		               b[1].item == tu_item(2)) ||
		                  (b[0].item == tu_item(2) &&
		                   b[1].item == tu_item(1)),
		              "round %ld: got %p and %p", r, b[0].item,
		              b[1].item);
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* The mirror: two producers wait on a full capacity-2 queue; two gets
 * (try_get in odd rounds) free both slots back to back. */
START_TEST(two_quick_gets_release_two_blocked_producers)
{
	const long rounds = tu_scaled(25);
	long r;

	for (r = 0; r < rounds; r++) {
		workq_t *q = tu_queue(2);
		struct blocked b[2];
		pthread_t t[2];
		void *it = NULL, *rest[2];
		int i;

		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		for (i = 0; i < 2; i++)
			t[i] = start_blocked_how(&b[i], q, OP_PUT,
			                         tu_item(10 + i), 1);
		for (i = 1; i <= 2; i++) {
			if (r & 1)
				ck_assert_int_eq(workq_try_get(q, &it), 0);
			else
				ck_assert_int_eq(workq_get(q, &it), 0);
			ck_assert_ptr_eq(it, tu_item(i));
		}
		for (i = 0; i < 2; i++) {
			tu_join(t[i]);
			ck_assert_int_eq(b[i].err, 0);
		}
		ck_assert_int_eq(workq_try_get(q, &rest[0]), 0);
		ck_assert_int_eq(workq_try_get(q, &rest[1]), 0);
		ck_assert_msg((rest[0] == tu_item(10) &&
		               rest[1] == tu_item(11)) ||
		                  (rest[0] == tu_item(11) &&
		                   rest[1] == tu_item(10)),
		              "round %ld: got %p and %p", r, rest[0], rest[1]);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

START_TEST(get_many_releases_every_blocked_producer)
{
	enum { CAP = 4 };
	workq_t *q = tu_queue(CAP);
	struct blocked b[CAP];
	pthread_t t[CAP];
	void *got[CAP];
	size_t ngot = 0;
	int i;

	for (i = 0; i < CAP; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	for (i = 0; i < CAP; i++)
		t[i] = start_blocked(&b[i], q, OP_PUT, tu_item(10 + i));
	ck_assert_int_eq(workq_get_many(q, got, CAP, &ngot), 0);
	ck_assert_uint_eq(ngot, CAP);
	for (i = 0; i < CAP; i++) {
		ck_assert_ptr_eq(got[i], tu_item(i));
		tu_join(t[i]);
		ck_assert_int_eq(b[i].err, 0);
	}
	ck_assert_uint_eq(workq_size(q), CAP);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(put_many_releases_every_blocked_consumer)
{
	enum { N = 4 };
	workq_t *q = tu_queue(N);
	struct blocked b[N];
	pthread_t t[N];
	void *items[N];
	size_t nput = 0;
	int i, seen = 0;

	for (i = 0; i < N; i++) {
		t[i] = start_blocked(&b[i], q, OP_GET, NULL);
		items[i] = tu_item(1 + i);
	}
	ck_assert_int_eq(workq_put_many(q, items, N, &nput), 0);
	ck_assert_uint_eq(nput, N);
	for (i = 0; i < N; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(b[i].err, 0);
		ck_assert_uint_ge(tu_num(b[i].item), 1);
		ck_assert_uint_le(tu_num(b[i].item), N);
		seen |= 1 << (tu_num(b[i].item) - 1);
	}
	ck_assert_int_eq(seen, (1 << N) - 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waiter counts after many timeouts                                   */
/* ------------------------------------------------------------------ */

struct timeouter {
	workq_t *q;
	int put;                 /* timed_put on a full queue, else get */
	long rounds;
	long timeouts;           /* ETIMEDOUT results */
	int err;                 /* anything else */
};

static void *timeouter_main(void *arg)
{
	struct timeouter *t = arg;
	struct timespec ts;
	void *it;
	long i;
	int err;

	for (i = 0; i < t->rounds; i++) {
		/* Alternate zero (no wait) and 1 ms. */
		ts = tu_ts(0, (i & 1) ? 1000000L : 0);
		if (t->put)
			err = workq_timed_put(t->q, tu_item(99), &ts);
		else
			err = workq_timed_get(t->q, &it, &ts);
		if (err == ETIMEDOUT)
			t->timeouts++;
		else if (t->err == 0)
			t->err = err;
	}
	return NULL;
}

/* Several threads time out, concurrently, many times each. */
static void run_timeouters(workq_t *q, int put)
{
	enum { NT = 4 };
	struct timeouter to[NT];
	pthread_t t[NT];
	int i;

	for (i = 0; i < NT; i++) {
		memset(&to[i], 0, sizeof(to[i]));
		to[i].q = q;
		to[i].put = put;
		to[i].rounds = tu_scaled(200);
		t[i] = tu_spawn(timeouter_main, &to[i]);
	}
	for (i = 0; i < NT; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(to[i].err, 0);
		ck_assert_int_eq(to[i].timeouts, to[i].rounds);
	}
}

START_TEST(timed_get_timeouts_leave_blocked_getter_wakeable)
{
	workq_t *q = tu_queue(1);
	struct blocked b[2];
	pthread_t t[2];
	int i;

	run_timeouters(q, 0);
	/* One getter, one put. */
	t[0] = start_blocked(&b[0], q, OP_GET, NULL);
	ck_assert_int_eq(workq_put(q, tu_item(5)), 0);
	tu_join(t[0]);
	ck_assert_int_eq(b[0].err, 0);
	ck_assert_ptr_eq(b[0].item, tu_item(5));
	/* More timeouts, then two getters and two puts. */
	run_timeouters(q, 0);
	for (i = 0; i < 2; i++)
		t[i] = start_blocked(&b[i], q, OP_GET, NULL);
	ck_assert_int_eq(workq_put(q, tu_item(6)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	for (i = 0; i < 2; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(b[i].err, 0);
	}
	ck_assert_ptr_ne(b[0].item, b[1].item);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_put_timeouts_leave_blocked_putter_wakeable)
{
	workq_t *q = tu_queue(1);
	struct blocked b;
	pthread_t t;
	void *it = NULL;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	run_timeouters(q, 1);
	t = start_blocked(&b, q, OP_PUT, tu_item(2));
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(1));
	tu_join(t);
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(workq_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *liveness_suite(void)
{
	Suite *s = suite_create("liveness");
	TCase *mix = tcase_create("mixes");
	TCase *burst = tcase_create("bursts");

	tcase_set_timeout(mix, TU_TIMEOUT);
	tcase_add_loop_test(mix, small_capacity_single_calls_finish, 0, NMIXES);
	tcase_add_loop_test(mix,
		small_capacity_batch_and_single_calls_finish, 0, NMIXES);
	suite_add_tcase(s, mix);

	tcase_set_timeout(burst, TU_TIMEOUT);
	tcase_add_test(burst, two_quick_puts_release_two_blocked_consumers);
	tcase_add_test(burst, two_quick_gets_release_two_blocked_producers);
	tcase_add_test(burst, get_many_releases_every_blocked_producer);
	tcase_add_test(burst, put_many_releases_every_blocked_consumer);
	tcase_add_test(burst, timed_get_timeouts_leave_blocked_getter_wakeable);
	tcase_add_test(burst, timed_put_timeouts_leave_blocked_putter_wakeable);
	suite_add_tcase(s, burst);
	return s;
}

int main(void)
{
	return tu_run(liveness_suite());
}
