/*
 * check_timed_join.c - workq_timed_join() and workq_pool_timed_join()
 * (API-0.2.md, "Waiting with a limit"): EINVAL for a bad timespec before
 * anything else; ETIMEDOUT never earlier than the timeout, leaving
 * everything as it was, so that a later join succeeds; NULL waits
 * forever; zero never waits; both are cancellation points; a thread in
 * workq_timed_join makes workq_destroy refuse; a pool join from one of
 * the pool's own workers gives EDEADLK.
 *
 * Threads other than the test's never assert: they record results in
 * their own structs (or slots), checked after joining them.
 */
#include "testutil.h"

#include <stdatomic.h>

#define NS(ts) ((int64_t)(ts).tv_sec * 1000000000LL + (ts).tv_nsec)

/* Timespecs every timed call must refuse. */
static const struct timespec bad_timeouts[] = {
	{ -1, 0 },
	{ 0, -1 },
	{ 0, 1000000000L },
	{ 5, 1000000000L },
	{ -1, 999999999L },
};
#define N_BAD ((int)(sizeof(bad_timeouts) / sizeof(bad_timeouts[0])))

/* ------------------------------------------------------------------ */
/* A thread making one join call                                       */
/* ------------------------------------------------------------------ */

enum join_op { JOIN_Q, JOIN_POOL };

struct joiner {
	workq_t *q;
	workq_pool_t *pool;
	enum join_op op;
	const struct timespec *timeout;  /* NULL: wait forever */
	atomic_int tid;
	atomic_int returned;
	int err;
	int64_t elapsed_ns;
};

static void *joiner_main(void *arg)
{
	struct joiner *j = arg;
	int64_t t0;

	atomic_store(&j->tid, (int)tu_gettid());
	t0 = tu_now_ns();
	if (j->op == JOIN_Q)
		j->err = workq_timed_join(j->q, j->timeout);
	else
		j->err = workq_pool_timed_join(j->pool, j->timeout);
	j->elapsed_ns = tu_now_ns() - t0;
	atomic_store(&j->returned, 1);
	return NULL;
}

/* Starts a joiner and returns once it sleeps inside its call. */
static pthread_t start_joiner(struct joiner *j, workq_t *q,
                              workq_pool_t *pool, enum join_op op,
                              const struct timespec *timeout)
{
	pthread_t t;
	int i;

	memset(j, 0, sizeof(*j));
	j->q = q;
	j->pool = pool;
	j->op = op;
	j->timeout = timeout;
	j->err = -1;
	atomic_init(&j->tid, 0);
	atomic_init(&j->returned, 0);
	t = tu_spawn(joiner_main, j);
	for (i = 0; i < 10000 && atomic_load(&j->tid) == 0; i++)
		tu_sleep_ms(1);
	ck_assert_int_ne(atomic_load(&j->tid), 0);
	tu_wait_blocked((pid_t)atomic_load(&j->tid));
	ck_assert_msg(atomic_load(&j->returned) == 0,
	              "join returned %d instead of waiting", j->err);
	return t;
}

/* Cancels a blocked joiner: it must end cancelled, not by returning. */
static void cancel_joiner(pthread_t t, struct joiner *j)
{
	void *ret = NULL;

	ck_assert_int_eq(pthread_cancel(t), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_msg(ret == PTHREAD_CANCELED, "not cancelled (returned %d)",
	              j->err);
	ck_assert_int_eq(atomic_load(&j->returned), 0);
}

/* ------------------------------------------------------------------ */
/* workq_timed_join                                                    */
/* ------------------------------------------------------------------ */

START_TEST(timed_join_einval_before_anything_else)
{
	workq_t *q = tu_queue(2);
	struct timespec ts = tu_ms(50), zero = tu_ts(0, 0);
	int64_t t0;
	int i;

	ck_assert_int_eq(workq_timed_join(NULL, NULL), EINVAL);
	ck_assert_int_eq(workq_timed_join(NULL, &ts), EINVAL);
	ck_assert_int_eq(workq_timed_join(NULL, &bad_timeouts[0]), EINVAL);
	/* With nothing unfinished (it would return 0) and with an item
	 * unfinished (it would wait): EINVAL either way, at once. */
	t0 = tu_now_ns();
	for (i = 0; i < N_BAD; i++)
		ck_assert_int_eq(workq_timed_join(q, &bad_timeouts[i]), EINVAL);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	for (i = 0; i < N_BAD; i++)
		ck_assert_int_eq(workq_timed_join(q, &bad_timeouts[i]), EINVAL);
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	/* Nothing changed: the item is still unfinished. */
	ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_join_returns_at_once_with_nothing_unfinished)
{
	workq_t *q = tu_queue(2);
	struct timespec zero = tu_ts(0, 0), long_ts = tu_ts(5, 0);
	int64_t t0 = tu_now_ns();
	void *item;

	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_timed_join(q, &long_ts), 0);
	ck_assert_int_eq(workq_timed_join(q, NULL), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_timed_join(q, &long_ts), 0);
	ck_assert_int_eq(workq_timed_join(q, NULL), 0);
	/* Discarded items count as finished. */
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(workq_timed_join(q, &long_ts), 0);
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_join_times_out_not_early_then_succeeds)
{
	static const struct timespec timeouts[] = {
		{ 0, 50000000L }, { 0, 1L }, { 0, 30000001L },
	};
	workq_t *q = tu_queue(4);
	struct timespec ts = tu_ms(50);
	void *item;
	int64_t t0, elapsed;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		t0 = tu_now_ns();
		ck_assert_int_eq(workq_timed_join(q, &timeouts[i]), ETIMEDOUT);
		elapsed = tu_now_ns() - t0;
		ck_assert_msg(elapsed >= NS(timeouts[i]),
		              "timed out after %lld ns of %lld",
		              (long long)elapsed, (long long)NS(timeouts[i]));
	}
	/* Taken is not finished: still ETIMEDOUT, never early. */
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	t0 = tu_now_ns();
	ck_assert_int_eq(workq_timed_join(q, &ts), ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, NS(ts));
	/* Timing out changed nothing: one task_done is still owed, and
	 * after it the same call succeeds. */
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_timed_join(q, &ts), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_join_zero_timeout_never_waits)
{
	workq_t *q = tu_queue(2);
	struct timespec zero = tu_ts(0, 0);
	int64_t t0;
	int i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t0 = tu_now_ns();
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* _i == 0: NULL (forever); 1: ten seconds.  Either way the joiner waits
 * until another thread finishes the last item, and no longer. */
START_TEST(timed_join_released_by_task_done)
{
	workq_t *q = tu_queue(2);
	struct timespec ten = tu_ts(10, 0);
	struct joiner j;
	pthread_t t;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	t = start_joiner(&j, q, NULL, JOIN_Q, _i == 0 ? NULL : &ten);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_wait_blocked((pid_t)atomic_load(&j.tid));
	ck_assert_int_eq(atomic_load(&j.returned), 0);   /* one still owed */
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(j.err, 0);
	ck_assert_int_lt(j.elapsed_ns, 9000000000LL);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_join_released_by_discard)
{
	workq_t *q = tu_queue(2);
	struct timespec ten = tu_ts(10, 0);
	struct joiner j;
	pthread_t t;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t = start_joiner(&j, q, NULL, JOIN_Q, &ten);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	tu_join(t);
	ck_assert_int_eq(j.err, 0);
	ck_assert_int_lt(j.elapsed_ns, 9000000000LL);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(destroy_ebusy_while_in_timed_join)
{
	workq_t *q = tu_queue(2);
	struct timespec hour = tu_ts(3600, 0);
	struct joiner j;
	pthread_t t;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t = start_joiner(&j, q, NULL, JOIN_Q, _i == 0 ? NULL : &hour);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	/* Refusing freed nothing: the queue works and the joiner wakes. */
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(j.err, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/*
 * Two threads wait in timed_join (_i == 0: NULL, 1: an hour); one is
 * cancelled.  The queue must stay usable: the other joiner still wakes
 * when the work is finished, and destroy returns 0 (the cancelled
 * thread's presence was undone).
 */
START_TEST(timed_join_cancelled_leaves_queue_usable)
{
	workq_t *q = tu_queue(2);
	struct timespec hour = tu_ts(3600, 0), zero = tu_ts(0, 0);
	const struct timespec *to = _i == 0 ? NULL : &hour;
	struct joiner a, b;
	pthread_t ta, tb;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ta = start_joiner(&a, q, NULL, JOIN_Q, to);
	tb = start_joiner(&b, q, NULL, JOIN_Q, to);
	cancel_joiner(ta, &a);
	ck_assert_int_eq(atomic_load(&b.returned), 0);
	ck_assert_int_eq(workq_destroy(q), EBUSY);       /* b is inside */
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(tb);
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* workq_pool_timed_join                                               */
/* ------------------------------------------------------------------ */

static void count_item(void *item, void *arg)
{
	(void)item;
	atomic_fetch_add((atomic_int *)arg, 1);
}

static workq_pool_t *start_pool(workq_t *q, size_t n, workq_item_fn *fn,
                                void *arg)
{
	workq_pool_t *pool = NULL;

	ck_assert_int_eq(workq_pool_start(&pool, q, n, fn, arg), 0);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

START_TEST(pool_timed_join_einval_before_anything_else)
{
	workq_t *q = tu_queue(4);
	atomic_int n;
	workq_pool_t *pool;
	struct timespec ts = tu_ms(10);
	int i;

	atomic_init(&n, 0);
	pool = start_pool(q, 2, count_item, &n);
	ck_assert_int_eq(workq_pool_timed_join(NULL, NULL), EINVAL);
	ck_assert_int_eq(workq_pool_timed_join(NULL, &ts), EINVAL);
	ck_assert_int_eq(workq_pool_timed_join(NULL, &bad_timeouts[0]), EINVAL);
	for (i = 0; i < N_BAD; i++)
		ck_assert_int_eq(workq_pool_timed_join(pool, &bad_timeouts[i]),
		                 EINVAL);
	/* Also once the pool could be joined at once: still EINVAL, and the
	 * pool is not freed by the refused call. */
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < N_BAD; i++)
		ck_assert_int_eq(workq_pool_timed_join(pool, &bad_timeouts[i]),
		                 EINVAL);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/*
 * While the queue is open the workers never end, so a timed pool join
 * times out, never early, and leaves the pool working; after the close
 * the same pool joins (_i == 0: with pool_timed_join, 1: pool_join).
 */
START_TEST(pool_timed_join_times_out_while_open_then_joins)
{
	workq_t *q = tu_queue(4);
	struct timespec ts = tu_ms(50), zero = tu_ts(0, 0),
	                ten = tu_ts(10, 0);
	atomic_int n;
	workq_pool_t *pool;
	int64_t t0;
	int i;

	atomic_init(&n, 0);
	pool = start_pool(q, 3, count_item, &n);
	t0 = tu_now_ns();
	ck_assert_int_eq(workq_pool_timed_join(pool, &ts), ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, NS(ts));
	t0 = tu_now_ns();
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(workq_pool_timed_join(pool, &zero), ETIMEDOUT);
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	/* The pool still works. */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(workq_put(q, tu_item((uintptr_t)i)), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&n), 10);
	t0 = tu_now_ns();
	ck_assert_int_eq(workq_pool_timed_join(pool, &ts), ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, NS(ts));
	ck_assert_int_eq(workq_destroy(q), EBUSY);       /* not joined yet */
	/* Items queued at the close are still run before the workers end. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(workq_put(q, tu_item((uintptr_t)i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	if (_i == 0)
		ck_assert_int_eq(workq_pool_timed_join(pool, &ten), 0);
	else
		ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&n), 14);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* What a worker's fn saw when it tried to join its own pool. */
struct self_join {
	workq_pool_t *pool;     /* set before the item that triggers fn */
	int err_zero, err_timed, err_forever, err_join, err_bad;
	atomic_int ran;
};

static void join_own_pool(void *item, void *arg)
{
	struct self_join *s = arg;
	struct timespec zero = tu_ts(0, 0), ts = tu_ms(10);

	(void)item;
	s->err_zero = workq_pool_timed_join(s->pool, &zero);
	s->err_timed = workq_pool_timed_join(s->pool, &ts);
	s->err_forever = workq_pool_timed_join(s->pool, NULL);
	s->err_join = workq_pool_join(s->pool);
	s->err_bad = workq_pool_timed_join(s->pool, &bad_timeouts[1]);
	atomic_store(&s->ran, 1);
}

START_TEST(pool_join_from_own_worker_edeadlk)
{
	workq_t *q = tu_queue(2);
	struct self_join s;
	workq_pool_t *pool;

	memset(&s, 0, sizeof(s));
	s.err_zero = s.err_timed = s.err_forever = s.err_join = s.err_bad = -1;
	atomic_init(&s.ran, 0);
	pool = start_pool(q, 2, join_own_pool, &s);
	s.pool = pool;          /* published to the worker by the put below */
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&s.ran), 1);
	ck_assert_int_eq(s.err_zero, EDEADLK);
	ck_assert_int_eq(s.err_timed, EDEADLK);
	ck_assert_int_eq(s.err_forever, EDEADLK);
	ck_assert_int_eq(s.err_join, EDEADLK);
	ck_assert_int_eq(s.err_bad, EINVAL);       /* arguments come first */
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A joiner blocked in pool_timed_join (_i == 0: NULL, 1: an hour) is
 * cancelled; the pool stays valid, keeps working, and pool_join from the
 * test's thread succeeds afterwards. */
START_TEST(pool_timed_join_cancelled_then_pool_join)
{
	workq_t *q = tu_queue(4);
	struct timespec hour = tu_ts(3600, 0);
	atomic_int n;
	workq_pool_t *pool;
	struct joiner j;
	pthread_t t;

	atomic_init(&n, 0);
	pool = start_pool(q, 2, count_item, &n);
	t = start_joiner(&j, NULL, pool, JOIN_POOL, _i == 0 ? NULL : &hour);
	cancel_joiner(t, &j);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&n), 1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A joiner waiting with a generous timeout returns 0 as soon as the
 * workers are gone, from another thread than the one that closed. */
START_TEST(pool_timed_join_released_by_close)
{
	workq_t *q = tu_queue(4);
	struct timespec ten = tu_ts(10, 0);
	atomic_int n;
	workq_pool_t *pool;
	struct joiner j;
	pthread_t t;

	atomic_init(&n, 0);
	pool = start_pool(q, 2, count_item, &n);
	t = start_joiner(&j, NULL, pool, JOIN_POOL, &ten);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	tu_join(t);
	ck_assert_int_eq(j.err, 0);
	ck_assert_int_lt(j.elapsed_ns, 9000000000LL);
	ck_assert_int_eq(atomic_load(&n), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *timed_join_suite(void)
{
	Suite *s = suite_create("timed_join");
	TCase *tc = tcase_create("queue");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, timed_join_einval_before_anything_else);
	tcase_add_test(tc, timed_join_returns_at_once_with_nothing_unfinished);
	tcase_add_test(tc, timed_join_times_out_not_early_then_succeeds);
	tcase_add_test(tc, timed_join_zero_timeout_never_waits);
	tcase_add_loop_test(tc, timed_join_released_by_task_done, 0, 2);
	tcase_add_test(tc, timed_join_released_by_discard);
	tcase_add_loop_test(tc, destroy_ebusy_while_in_timed_join, 0, 2);
	tcase_add_loop_test(tc, timed_join_cancelled_leaves_queue_usable, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, pool_timed_join_einval_before_anything_else);
	tcase_add_loop_test(tc, pool_timed_join_times_out_while_open_then_joins,
	                    0, 2);
	tcase_add_test(tc, pool_join_from_own_worker_edeadlk);
	tcase_add_loop_test(tc, pool_timed_join_cancelled_then_pool_join, 0, 2);
	tcase_add_test(tc, pool_timed_join_released_by_close);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(timed_join_suite());
}
