/*
 * check_resize.c - workq_pool_resize: argument errors, growing and
 * shrinking many times under load with every item run exactly once,
 * leaving workers that never take another item (also when they wait in
 * a get, or are busy in fn), EBUSY and EDEADLK, and the joins after
 * resizes.
 *
 * Workers never assert: the start hook gives each thread its index in a
 * thread-local variable, and fn and the hooks count per index into
 * atomics that the test's thread checks afterwards.
 */
#include "testutil.h"

#include <stdatomic.h>

#define MAXW 64

struct rctx {
	workq_t *q;
	workq_pool_t *pool;
	size_t nitems;
	atomic_int *counts;         /* runs per item */
	atomic_long ran_by[MAXW];   /* items run per worker index */
	atomic_int started[MAXW];   /* on_start calls per index */
	atomic_int stopped[MAXW];   /* on_stop calls per index */
	atomic_long bogus;          /* items out of range, or no index */
	/* Gate items (>= nitems) hold their worker in fn until opened. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int gate_open;
	atomic_int in_gate;         /* workers now held */
	/* Item `probe` (>= nitems) makes its worker try resizes. */
	uintptr_t probe;
	atomic_int probe_index;
	int probe_err_self;         /* resize(pool, own index) */
	int probe_err_grow;         /* resize(pool, 3) */
	int probe_err_zero;         /* resize(pool, 0) */
	int probe_err_join;         /* workq_pool_join(pool) */
	atomic_int probe_done;
};

static _Thread_local long tl_index = -1;

static void on_start(size_t index, void *arg)
{
	struct rctx *c = arg;

	tl_index = (long)index;
	if (index < MAXW)
		atomic_fetch_add(&c->started[index], 1);
}

static void on_stop(size_t index, void *arg)
{
	struct rctx *c = arg;

	if (index < MAXW && (long)index == tl_index)
		atomic_fetch_add(&c->stopped[index], 1);
	else
		atomic_fetch_add(&c->bogus, 1);
}

static void hold(struct rctx *c)
{
	atomic_fetch_add(&c->in_gate, 1);
	pthread_mutex_lock(&c->mu);
	while (!c->gate_open)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

static void probe(struct rctx *c)
{
	atomic_store(&c->probe_index, (int)tl_index);
	c->probe_err_self = workq_pool_resize(c->pool, (size_t)tl_index);
	c->probe_err_zero = workq_pool_resize(c->pool, 0);
	c->probe_err_grow = workq_pool_resize(c->pool, 3);
	c->probe_err_join = workq_pool_join(c->pool);
	atomic_store(&c->probe_done, 1);
}

static void fn(void *item, void *arg)
{
	struct rctx *c = arg;
	uintptr_t n = tu_num(item);

	if (tl_index < 0 || tl_index >= MAXW) {
		atomic_fetch_add(&c->bogus, 1);
		return;
	}
	atomic_fetch_add(&c->ran_by[tl_index], 1);
	if (c->probe != 0 && n == c->probe)
		probe(c);
	else if (n >= c->nitems)
		hold(c);
	else
		atomic_fetch_add(&c->counts[n], 1);
}

static void rctx_init(struct rctx *c, size_t qcap, size_t nitems)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->q = tu_queue(qcap);
	c->nitems = nitems;
	c->counts = calloc(nitems > 0 ? nitems : 1, sizeof(*c->counts));
	ck_assert_ptr_nonnull(c->counts);
	for (i = 0; i < MAXW; i++) {
		atomic_init(&c->ran_by[i], 0);
		atomic_init(&c->started[i], 0);
		atomic_init(&c->stopped[i], 0);
	}
	atomic_init(&c->bogus, 0);
	atomic_init(&c->in_gate, 0);
	atomic_init(&c->probe_index, -1);
	atomic_init(&c->probe_done, 0);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
}

static void rctx_free(struct rctx *c)
{
	ck_assert_int_eq(workq_destroy(c->q), 0);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->counts);
}

static void start(struct rctx *c, size_t n)
{
	workq_pool_attr_t *attr;

	ck_assert_int_eq(workq_pool_attr_create(&attr), 0);
	ck_assert_int_eq(workq_pool_attr_set_hooks(attr, on_start, on_stop, c),
	                 0);
	ck_assert_int_eq(workq_pool_start_attr(&c->pool, c->q, n, fn, c, attr),
	                 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
}

static void open_gate(struct rctx *c)
{
	pthread_mutex_lock(&c->mu);
	c->gate_open = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Waits (bounded) until `n` consumers sleep in a get on c->q. */
static void wait_consumers_blocked(struct rctx *c, size_t n)
{
	struct workq_stats st;
	int i;

	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(workq_stats(c->q, &st), 0);
		if (st.blocked_consumers == n)
			return;
		tu_sleep_ms(1);
	}
	ck_abort_msg("%zu consumers blocked, want %zu",
	             st.blocked_consumers, n);
}

static void wait_atomic(atomic_int *v, int want)
{
	int i;

	for (i = 0; i < 10000 && atomic_load(v) != want; i++)
		tu_sleep_ms(1);
	ck_assert_int_eq(atomic_load(v), want);
}

static void check_all_once(struct rctx *c)
{
	size_t i;

	for (i = 0; i < c->nitems; i++)
		ck_assert_msg(atomic_load(&c->counts[i]) == 1,
		              "item %zu ran %d times", i,
		              atomic_load(&c->counts[i]));
	ck_assert_int_eq(atomic_load(&c->bogus), 0);
}

/* ------------------------------------------------------------------ */

START_TEST(resize_einval_changes_nothing)
{
	struct rctx c;

	rctx_init(&c, 8, 4);
	start(&c, 2);
	ck_assert_int_eq(workq_pool_resize(NULL, 2), EINVAL);
	ck_assert_int_eq(workq_pool_resize(c.pool, 0), EINVAL);
	/* Still two workers: both stop hooks run at the close. */
	ck_assert_int_eq(workq_put(c.q, tu_item(0)), 0);
	ck_assert_int_eq(workq_put(c.q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_join(c.pool), 0);
	ck_assert_int_eq(atomic_load(&c.started[0]), 1);
	ck_assert_int_eq(atomic_load(&c.started[1]), 1);
	ck_assert_int_eq(atomic_load(&c.started[2]), 0);
	ck_assert_int_eq(atomic_load(&c.stopped[0]), 1);
	ck_assert_int_eq(atomic_load(&c.stopped[1]), 1);
	ck_assert_int_eq(atomic_load(&c.counts[0]), 1);
	ck_assert_int_eq(atomic_load(&c.counts[1]), 1);
	rctx_free(&c);
}
END_TEST

/* A producer thread puts every item while the test's thread resizes
 * the pool between 1 and 8 workers, again and again. */
struct producer {
	workq_t *q;
	size_t n;
	int err;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	size_t i;

	for (i = 0; i < p->n && p->err == 0; i++)
		p->err = workq_put(p->q, tu_item(i));
	return NULL;
}

START_TEST(resize_many_times_under_load_runs_each_item_once)
{
	const size_t n = (size_t)tu_scaled(20000);
	const int rounds = (int)tu_scaled(300);
	struct producer p;
	struct rctx c;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	pthread_t t;
	size_t i, want = 3;
	long total = 0;
	int r, base = tu_thread_baseline();

	rctx_init(&c, 16, n);
	start(&c, want);
	p.q = c.q;
	p.n = n;
	p.err = 0;
	t = tu_spawn(produce, &p);
	for (r = 0; r < rounds; r++) {
		want = 1 + (size_t)(tu_rnd(&rnd) % 8);
		ck_assert_int_eq(workq_pool_resize(c.pool, want), 0);
	}
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	ck_assert_int_eq(workq_join(c.q), 0);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_join(c.pool), 0);
	check_all_once(&c);
	for (i = 0; i < MAXW; i++) {
		total += atomic_load(&c.ran_by[i]);
		/* Every worker that started also stopped, once per start. */
		ck_assert_int_eq(atomic_load(&c.started[i]),
		                 atomic_load(&c.stopped[i]));
	}
	ck_assert_int_eq(total, (long)n);
	ck_assert_int_eq(tu_settle_threads(base), base);
	rctx_free(&c);
}
END_TEST

/*
 * Four workers wait in a get on an empty queue; the pool shrinks to one.
 * The resize returns after workers 1-3 ran their stop hooks, and every
 * item put afterwards is run by worker 0 alone.
 */
START_TEST(shrink_wakes_waiting_workers_that_leave_without_an_item)
{
	const size_t n = 200;
	struct rctx c;
	size_t i;

	rctx_init(&c, 8, n);
	start(&c, 4);
	wait_consumers_blocked(&c, 4);
	ck_assert_int_eq(workq_pool_resize(c.pool, 1), 0);
	ck_assert_int_eq(atomic_load(&c.stopped[0]), 0);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(atomic_load(&c.stopped[i]), 1);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(workq_put(c.q, tu_item(i)), 0);
	ck_assert_int_eq(workq_join(c.q), 0);
	ck_assert_int_eq(atomic_load(&c.ran_by[0]), (long)n);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(atomic_load(&c.ran_by[i]), 0);
	/* Growing again brings new workers 1-3, which take items. */
	ck_assert_int_eq(workq_pool_resize(c.pool, 4), 0);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_join(c.pool), 0);
	for (i = 1; i < 4; i++) {
		ck_assert_int_eq(atomic_load(&c.started[i]), 2);
		ck_assert_int_eq(atomic_load(&c.stopped[i]), 2);
	}
	check_all_once(&c);
	rctx_free(&c);
}
END_TEST

struct resizer {
	workq_pool_t *pool;
	size_t n;
	int err;
	atomic_int tid;
	atomic_int returned;
};

static void *resize_main(void *arg)
{
	struct resizer *r = arg;

	atomic_store(&r->tid, (int)tu_gettid());
	r->err = workq_pool_resize(r->pool, r->n);
	atomic_store(&r->returned, 1);
	return NULL;
}

/*
 * Both workers are held inside fn by gate items; a shrink to one waits
 * for worker 1 to finish its item.  Items put meanwhile are never taken
 * by worker 1: after its gate item it leaves.  A second resize while
 * the first waits gets EBUSY.
 */
START_TEST(shrink_waits_for_busy_worker_which_takes_no_more)
{
	const size_t n = 50;
	struct rctx c;
	struct resizer r;
	pthread_t t;
	size_t i;

	rctx_init(&c, 64, n);
	start(&c, 2);
	ck_assert_int_eq(workq_put(c.q, tu_item(n)), 0);
	ck_assert_int_eq(workq_put(c.q, tu_item(n + 1)), 0);
	wait_atomic(&c.in_gate, 2);
	memset(&r, 0, sizeof(r));
	r.pool = c.pool;
	r.n = 1;
	atomic_init(&r.tid, 0);
	atomic_init(&r.returned, 0);
	t = tu_spawn(resize_main, &r);
	for (i = 0; i < 10000 && atomic_load(&r.tid) == 0; i++)
		tu_sleep_ms(1);
	tu_wait_blocked((pid_t)atomic_load(&r.tid));
	ck_assert_int_eq(atomic_load(&r.returned), 0);
	ck_assert_int_eq(workq_pool_resize(c.pool, 3), EBUSY);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(workq_put(c.q, tu_item(i)), 0);
	open_gate(&c);
	tu_join(t);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(atomic_load(&c.stopped[1]), 1);
	ck_assert_int_eq(workq_join(c.q), 0);
	/* Worker 1 ran its gate item and nothing else. */
	ck_assert_int_eq(atomic_load(&c.ran_by[1]), 1);
	ck_assert_int_eq(atomic_load(&c.ran_by[0]), (long)n + 1);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_join(c.pool), 0);
	check_all_once(&c);
	rctx_free(&c);
}
END_TEST

/*
 * From inside fn of worker 1: a resize that would make the caller leave
 * gives EDEADLK, 0 threads EINVAL, growing works, and the pool's join still
 * gives EDEADLK.
 */
START_TEST(resize_from_a_worker)
{
	struct rctx c;
	size_t i;

	rctx_init(&c, 8, 1);
	c.probe = 1000;
	/* Worker 0 is held by a gate item, so worker 1 takes the probe. */
	start(&c, 1);
	ck_assert_int_eq(workq_put(c.q, tu_item(1)), 0);
	wait_atomic(&c.in_gate, 1);
	ck_assert_int_eq(workq_pool_resize(c.pool, 2), 0);
	ck_assert_int_eq(workq_put(c.q, tu_item(c.probe)), 0);
	wait_atomic(&c.probe_done, 1);
	ck_assert_int_eq(atomic_load(&c.probe_index), 1);
	open_gate(&c);
	/* The join orders the probe's results before the reads (for
	 * helgrind, which does not follow probe_done). */
	ck_assert_int_eq(workq_join(c.q), 0);
	ck_assert_int_eq(c.probe_err_self, EDEADLK);
	ck_assert_int_eq(c.probe_err_zero, EINVAL);
	ck_assert_int_eq(c.probe_err_grow, 0);
	ck_assert_int_eq(c.probe_err_join, EDEADLK);
	/* Three workers now: each starts. */
	for (i = 0; i < 3; i++)
		wait_atomic(&c.started[i], 1);
	ck_assert_int_eq(workq_put(c.q, tu_item(0)), 0);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_join(c.pool), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(atomic_load(&c.stopped[i]), 1);
	check_all_once(&c);
	rctx_free(&c);
}
END_TEST

/* Timed joins after resizes: ETIMEDOUT while open, 0 after the close;
 * a pool on a closed queue still grows (and its workers leave). */
START_TEST(joins_after_resizes)
{
	const struct timespec zero = tu_ts(0, 0);
	const struct timespec some = tu_ms(50);
	struct rctx c;
	int base = tu_thread_baseline();

	rctx_init(&c, 8, 10);
	start(&c, 1);
	ck_assert_int_eq(workq_pool_resize(c.pool, 5), 0);
	ck_assert_int_eq(workq_pool_resize(c.pool, 2), 0);
	ck_assert_int_eq(workq_pool_timed_join(c.pool, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_pool_timed_join(c.pool, &some), ETIMEDOUT);
	ck_assert_int_eq(workq_pool_resize(c.pool, 4), 0);
	ck_assert_int_eq(workq_pool_resize(c.pool, 4), 0);
	ck_assert_int_eq(workq_destroy(c.q), EBUSY);
	ck_assert_int_eq(workq_close(c.q), 0);
	ck_assert_int_eq(workq_pool_resize(c.pool, 6), 0);
	ck_assert_int_eq(workq_pool_resize(c.pool, 1), 0);
	ck_assert_int_eq(workq_pool_timed_join(c.pool, NULL), 0);
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(atomic_load(&c.bogus), 0);
	rctx_free(&c);
}
END_TEST

static Suite *resize_suite(void)
{
	Suite *s = suite_create("resize");
	TCase *tc = tcase_create("resize");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, resize_einval_changes_nothing);
	tcase_add_test(tc, resize_many_times_under_load_runs_each_item_once);
	tcase_add_test(tc, shrink_wakes_waiting_workers_that_leave_without_an_item);
	tcase_add_test(tc, shrink_waits_for_busy_worker_which_takes_no_more);
	tcase_add_test(tc, resize_from_a_worker);
	tcase_add_test(tc, joins_after_resizes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(resize_suite());
}
