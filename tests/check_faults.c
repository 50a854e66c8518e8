/*
 * check_faults.c - resource failures are reported, unwound and leak-free.
 *
 * The program is linked against the static library with
 * -Wl,--wrap=malloc,--wrap=free,--wrap=pthread_create, so the library's
 * own calls go through the wrappers below, which can fail the k-th call
 * on demand and count what is live.  Nothing here changes the library:
 * it sees exactly the errors the system could give it.  Where the
 * linker has no --wrap (configure: HAVE_LD_WRAP) the program only says
 * so and exits 77, which the test harness counts as skipped.
 */
#include "testutil.h"

#ifndef HAVE_LD_WRAP
int main(void)
{
	puts("check_faults: skipped: the linker has no --wrap, which the "
	     "fault injection needs");
	return 77;
}
#else

void *__real_malloc(size_t size);
void __real_free(void *p);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);
void *__wrap_malloc(size_t size);
void __wrap_free(void *p);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg);

/*
 * Fault plan.  fail_*_at == k > 0 makes the k-th call from now fail;
 * 0 never fails.  Only the test's main thread arms the plan, before any
 * thread it would affect exists, and the wrappers count under a mutex.
 *
 * Leaks are counted on the library's blocks only: while the plan is
 * armed, each block malloc returns is remembered, and a free of a
 * remembered block (armed or not) forgets it.  Check allocates and frees
 * in its own bookkeeping, so counting every call would not balance.
 */
#define MAX_TRACKED 64

static pthread_mutex_t plan_mu = PTHREAD_MUTEX_INITIALIZER;
static int armed;
static long fail_malloc_at;
static long fail_create_at;
static void *tracked[MAX_TRACKED];
static long armed_mallocs;      /* malloc calls while armed */

static void remember_locked(void *p)
{
	size_t i;

	for (i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == NULL) {
			tracked[i] = p;
			return;
		}
	abort();        /* the tests allocate far fewer blocks */
}

static void forget_locked(void *p)
{
	size_t i;

	for (i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == p)
			tracked[i] = NULL;
}

void *__wrap_malloc(size_t size)
{
	void *p = NULL;
	int fail, track;

	pthread_mutex_lock(&plan_mu);
	fail = fail_malloc_at > 0 && --fail_malloc_at == 0;
	track = armed;
	armed_mallocs += armed;
	pthread_mutex_unlock(&plan_mu);
	if (!fail)
		p = __real_malloc(size);
	if (p != NULL && track) {
		pthread_mutex_lock(&plan_mu);
		remember_locked(p);
		pthread_mutex_unlock(&plan_mu);
	}
	return p;
}

void __wrap_free(void *p)
{
	if (p != NULL) {
		pthread_mutex_lock(&plan_mu);
		forget_locked(p);
		pthread_mutex_unlock(&plan_mu);
	}
	__real_free(p);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg)
{
	int fail;

	pthread_mutex_lock(&plan_mu);
	fail = fail_create_at > 0 && --fail_create_at == 0;
	pthread_mutex_unlock(&plan_mu);
	if (fail)
		return EAGAIN;
	return __real_pthread_create(t, attr, fn, arg);
}

/* Arms the plan (0, 0: count blocks, fail nothing). */
static void arm(long malloc_at, long create_at)
{
	pthread_mutex_lock(&plan_mu);
	armed = 1;
	armed_mallocs = 0;
	fail_malloc_at = malloc_at;
	fail_create_at = create_at;
	pthread_mutex_unlock(&plan_mu);
}

static void disarm(void)
{
	pthread_mutex_lock(&plan_mu);
	armed = 0;
	fail_malloc_at = fail_create_at = 0;
	pthread_mutex_unlock(&plan_mu);
}

/* Library blocks allocated while armed and not freed since. */
static long live(void)
{
	long n = 0;
	size_t i;

	pthread_mutex_lock(&plan_mu);
	for (i = 0; i < MAX_TRACKED; i++)
		n += tracked[i] != NULL;
	pthread_mutex_unlock(&plan_mu);
	return n;
}

static void noop(void *item, void *arg)
{
	(void)item;
	(void)arg;
}

/* Check itself allocates inside ck_assert, so every armed call stores
 * its result and the plan is disarmed before anything is asserted. */
START_TEST(create_reports_enomem_and_leaves_qp_alone)
{
	workq_t *q = (workq_t *)&plan_mu;        /* a sentinel value */
	long before = live();
	int rc;

	arm(1, 0);
	rc = workq_create(&q, 8);
	disarm();
	ck_assert_int_eq(rc, ENOMEM);
	ck_assert_ptr_eq(q, (workq_t *)&plan_mu);
	ck_assert_int_eq(live(), before);
}
END_TEST

START_TEST(create_then_destroy_frees_everything)
{
	long before = live();
	workq_t *q = NULL;
	int rc;

	arm(0, 0);
	rc = workq_create(&q, 8);
	disarm();
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(live(), before + 1);   /* one allocation, as promised */
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(live(), before);
}
END_TEST

START_TEST(queue_calls_never_allocate)
{
	workq_t *q = tu_queue(4);
	void *items[3] = { tu_item(1), tu_item(2), tu_item(3) };
	void *out[4];
	struct timespec zero = tu_ts(0, 0);
	long before = live();
	int rc[12];
	size_t n;
	void *it;

	/* Any allocation from here on fails, and would show as an error. */
	arm(1, 0);
	rc[0] = workq_put(q, tu_item(9));
	rc[1] = workq_try_put(q, tu_item(8));
	rc[2] = workq_put_many(q, items, 2, &n);
	rc[3] = workq_timed_put(q, tu_item(7), &zero);
	rc[4] = workq_get(q, &it);
	rc[5] = workq_try_get(q, &it);
	rc[6] = workq_get_many(q, out, 4, &n);
	rc[7] = workq_timed_get(q, &it, &zero);
	rc[8] = workq_task_done(q);
	rc[9] = workq_close(q);
	rc[10] = workq_discard(q, noop, NULL);
	rc[11] = (int)workq_size(q);
	disarm();
	ck_assert_int_eq(live(), before);
	ck_assert_int_eq(rc[0], 0);
	ck_assert_int_eq(rc[1], 0);
	ck_assert_int_eq(rc[2], 0);
	ck_assert_int_eq(rc[3], ETIMEDOUT);
	ck_assert_int_eq(rc[4], 0);
	ck_assert_int_eq(rc[5], 0);
	ck_assert_int_eq(rc[6], 0);
	ck_assert_int_eq(rc[7], ETIMEDOUT);
	ck_assert_int_eq(rc[8], 0);
	ck_assert_int_eq(rc[9], 0);
	ck_assert_int_eq(rc[10], 0);
	ck_assert_int_eq(rc[11], 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pool_start_reports_enomem)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *pool = (workq_pool_t *)&plan_mu;
	long before = live();
	int threads = tu_thread_baseline();
	int rc;

	arm(1, 0);
	rc = workq_pool_start(&pool, q, 3, noop, NULL);
	disarm();
	ck_assert_int_eq(rc, ENOMEM);
	ck_assert_ptr_eq(pool, (workq_pool_t *)&plan_mu);
	ck_assert_int_eq(live(), before);
	ck_assert_int_eq(tu_settle_threads(threads), threads);
	ck_assert_int_eq(workq_destroy(q), 0);          /* no pool attached */
}
END_TEST

/*
 * The k-th of n thread creations fails, for every k: EAGAIN, no thread
 * left, nothing leaked, and the queue neither closed nor touched (the
 * workers already started must not have taken its items).
 */
START_TEST(pool_start_unwinds_when_a_thread_cannot_start)
{
	const long n = 4;
	long k;

	for (k = 1; k <= n; k++) {
		workq_t *q = tu_queue(4);
		workq_pool_t *pool = (workq_pool_t *)&plan_mu;
		int threads = tu_thread_baseline();
		long before = live();
		void *it;
		int rc;

		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		arm(0, k);
		rc = workq_pool_start(&pool, q, (size_t)n, noop, NULL);
		disarm();
		ck_assert_int_eq(rc, EAGAIN);
		ck_assert_ptr_eq(pool, (workq_pool_t *)&plan_mu);
		ck_assert_int_eq(tu_settle_threads(threads), threads);
		ck_assert_int_eq(live(), before);
		ck_assert_int_eq(workq_is_closed(q), 0);
		ck_assert_uint_eq(workq_size(q), 2);
		ck_assert_int_eq(workq_get(q, &it), 0);
		ck_assert_ptr_eq(it, tu_item(1));
		ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* After a failed start the same queue takes a working pool. */
static pthread_mutex_t sum_mu = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t sum;

static void add(void *item, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sum_mu);
	sum += tu_num(item);
	pthread_mutex_unlock(&sum_mu);
}

START_TEST(pool_works_after_a_failed_start)
{
	workq_t *q = tu_queue(8);
	workq_pool_t *pool;
	uintptr_t i;
	int rc;

	arm(0, 2);
	rc = workq_pool_start(&pool, q, 3, add, NULL);
	disarm();
	ck_assert_int_eq(rc, EAGAIN);
	ck_assert_int_eq(workq_pool_start(&pool, q, 3, add, NULL), 0);
	for (i = 1; i <= 100; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_uint_eq(sum, 5050);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Resize and task pools (0.3)                                         */
/* ------------------------------------------------------------------ */

static long mallocs_while_armed(void)
{
	long n;

	pthread_mutex_lock(&plan_mu);
	n = armed_mallocs;
	pthread_mutex_unlock(&plan_mu);
	return n;
}

/*
 * Growing a pool of two to five, the k-th thread creation or the k-th
 * allocation fails, for every k: EAGAIN or ENOMEM, the pool keeps its
 * two workers, and a later resize and the join work and leak nothing.
 */
START_TEST(pool_resize_growth_is_all_or_nothing)
{
	long k;
	int which;

	for (which = 0; which < 2; which++) {
		for (k = 1; k <= 3; k++) {
			workq_t *q = tu_queue(4);
			workq_pool_t *pool;
			int threads = tu_thread_baseline();
			long before = live();
			int rc;

			ck_assert_int_eq(workq_pool_start(&pool, q, 2, add,
			                                  NULL), 0);
			ck_assert_int_eq(tu_settle_threads(threads + 2),
			                 threads + 2);
			if (which == 0)
				arm(0, k);
			else
				arm(k, 0);
			rc = workq_pool_resize(pool, 5);
			disarm();
			ck_assert_int_eq(rc, which == 0 ? EAGAIN : ENOMEM);
			ck_assert_int_eq(tu_settle_threads(threads + 2),
			                 threads + 2);
			ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
			ck_assert_int_eq(workq_join(q), 0);
			ck_assert_int_eq(workq_pool_resize(pool, 5), 0);
			ck_assert_int_eq(tu_count_threads(), threads + 5);
			ck_assert_int_eq(workq_close(q), 0);
			ck_assert_int_eq(workq_pool_join(pool), 0);
			ck_assert_int_eq(tu_settle_threads(threads), threads);
			ck_assert_int_eq(live(), before);
			ck_assert_int_eq(workq_destroy(q), 0);
		}
	}
}
END_TEST

struct count_job {
	workq_task_t task;
	int runs;
};

static void count_run(workq_task_t *task, void *arg)
{
	(void)arg;
	((struct count_job *)task)->runs++;
}

/* A task pool runs jobs without allocating anything for them. */
START_TEST(task_jobs_never_allocate)
{
	enum { N = 1000 };
	static struct count_job jobs[N];
	workq_t *q = tu_queue(16);
	workq_pool_t *pool;
	long mallocs;
	int rc[N + 1];
	int i;

	for (i = 0; i < N; i++) {
		jobs[i].task.fn = count_run;
		jobs[i].runs = 0;
	}
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 3, NULL, NULL, NULL),
	                 0);
	arm(0, 0);
	for (i = 0; i < N; i++)
		rc[i] = workq_put(q, &jobs[i].task);
	rc[N] = workq_join(q);
	mallocs = mallocs_while_armed();
	disarm();
	ck_assert_int_eq(mallocs, 0);
	for (i = 0; i <= N; i++)
		ck_assert_int_eq(rc[i], 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(jobs[i].runs, 1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, create_reports_enomem_and_leaves_qp_alone);
	tcase_add_test(tc, create_then_destroy_frees_everything);
	tcase_add_test(tc, queue_calls_never_allocate);
	tcase_add_test(tc, pool_start_reports_enomem);
	tcase_add_test(tc, pool_start_unwinds_when_a_thread_cannot_start);
	tcase_add_test(tc, pool_works_after_a_failed_start);
	tcase_add_test(tc, pool_resize_growth_is_all_or_nothing);
	tcase_add_test(tc, task_jobs_never_allocate);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
#endif /* HAVE_LD_WRAP */
