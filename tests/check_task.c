/*
 * check_task.c - task pools (workq_pool_start_attr with fn NULL): jobs
 * of several kinds, embedded in the caller's own structs, each run once
 * by its own function with the pool's arg; NULL items and tasks without
 * fn finished without a crash; workq_pool_start still refusing NULL;
 * workq_join and workq_timed_join returning EDEADLK in a pool's worker
 * (and only for that pool's queue).
 */
#include "testutil.h"

#include <stdatomic.h>
#include <stddef.h>

/* Two job kinds; the task is not the first member of the second, so
 * the function must find the job from the task's address. */
struct add_job {
	workq_task_t task;
	atomic_long *sum;
	long value;
	atomic_int runs;
};

struct mul_job {
	long factor;
	workq_task_t task;
	atomic_long *product_sum;
	atomic_int runs;
	void *seen_arg;
};

static void add_run(workq_task_t *task, void *arg)
{
	struct add_job *j = (struct add_job *)task;

	(void)arg;
	atomic_fetch_add(j->sum, j->value);
	atomic_fetch_add(&j->runs, 1);
}

static void mul_run(workq_task_t *task, void *arg)
{
	struct mul_job *j = (struct mul_job *)(void *)((char *)task -
	                                       offsetof(struct mul_job, task));

	j->seen_arg = arg;
	atomic_fetch_add(j->product_sum, j->factor * 2);
	atomic_fetch_add(&j->runs, 1);
}

START_TEST(task_pool_runs_mixed_job_kinds_once_each)
{
	enum { N = 500 };
	static struct add_job adds[N];
	static struct mul_job muls[N];
	atomic_long sum, psum;
	workq_t *q = tu_queue(16);
	workq_pool_t *pool;
	int marker;
	long want = 0, pwant = 0;
	int i;

	atomic_init(&sum, 0);
	atomic_init(&psum, 0);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 3, NULL, &marker,
	                                       NULL), 0);
	for (i = 0; i < N; i++) {
		adds[i].task.fn = add_run;
		adds[i].sum = &sum;
		adds[i].value = i;
		atomic_init(&adds[i].runs, 0);
		muls[i].task.fn = mul_run;
		muls[i].factor = i + 1;
		muls[i].product_sum = &psum;
		muls[i].seen_arg = NULL;
		atomic_init(&muls[i].runs, 0);
		want += i;
		pwant += 2L * (i + 1);
		ck_assert_int_eq(workq_put(q, &adds[i].task), 0);
		ck_assert_int_eq(workq_put(q, &muls[i].task), 0);
	}
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&sum), want);
	ck_assert_int_eq(atomic_load(&psum), pwant);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(atomic_load(&adds[i].runs), 1);
		ck_assert_int_eq(atomic_load(&muls[i].runs), 1);
		ck_assert_ptr_eq(muls[i].seen_arg, &marker);
	}
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(task_pool_finishes_null_items_and_tasks_without_fn)
{
	static struct add_job after;
	workq_task_t empty = { NULL };
	atomic_long sum;
	workq_t *q = tu_queue(4);
	workq_pool_t *pool;

	atomic_init(&sum, 0);
	after.task.fn = add_run;
	after.sum = &sum;
	after.value = 7;
	atomic_init(&after.runs, 0);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 1, NULL, NULL, NULL),
	                 0);
	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(workq_put(q, &empty), 0);
	ck_assert_int_eq(workq_put(q, &after.task), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&sum), 7);
	ck_assert_int_eq(atomic_load(&after.runs), 1);
	ck_assert_int_eq(workq_task_done(q), ERANGE);   /* all finished */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static void noop(void *item, void *arg)
{
	(void)item;
	(void)arg;
}

START_TEST(pool_start_still_refuses_null_fn)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *marker = (workq_pool_t *)&marker;
	workq_pool_t *pool = marker;

	ck_assert_int_eq(workq_pool_start(&pool, q, 2, NULL, NULL), EINVAL);
	ck_assert_ptr_eq(pool, marker);
	ck_assert_int_eq(workq_pool_start_attr(NULL, q, 2, NULL, NULL, NULL),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_start_attr(&pool, NULL, 2, noop, NULL,
	                                       NULL), EINVAL);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 0, NULL, NULL, NULL),
	                 EINVAL);
	ck_assert_ptr_eq(pool, marker);
	ck_assert_int_eq(workq_destroy(q), 0);          /* nothing attached */
}
END_TEST

/* A job that calls the joins from inside a worker. */
struct join_job {
	workq_task_t task;
	workq_t *q;             /* the pool's queue */
	workq_t *other;         /* a queue no pool serves */
	int join_err;
	int timed_err;
	int timed_zero_err;
	int other_err;
};

static void join_run(workq_task_t *task, void *arg)
{
	struct join_job *j = (struct join_job *)task;
	const struct timespec zero = tu_ts(0, 0);
	const struct timespec second = tu_ts(1, 0);

	(void)arg;
	j->join_err = workq_join(j->q);
	j->timed_err = workq_timed_join(j->q, &second);
	j->timed_zero_err = workq_timed_join(j->q, &zero);
	j->other_err = workq_join(j->other);
}

START_TEST(workq_join_from_a_worker_gives_edeadlk)
{
	workq_t *q = tu_queue(4);
	workq_t *other = tu_queue(4);
	workq_pool_t *pool;
	struct join_job j;
	const struct timespec bad = tu_ts(0, 1000000000L);

	memset(&j, 0, sizeof(j));
	j.task.fn = join_run;
	j.q = q;
	j.other = other;
	j.join_err = j.timed_err = j.timed_zero_err = j.other_err = -1;
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 2, NULL, NULL, NULL),
	                 0);
	ck_assert_int_eq(workq_put(q, &j.task), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(j.join_err, EDEADLK);
	ck_assert_int_eq(j.timed_err, EDEADLK);
	ck_assert_int_eq(j.timed_zero_err, EDEADLK);
	ck_assert_int_eq(j.other_err, 0);
	/* EINVAL still comes first, and other threads still join. */
	ck_assert_int_eq(workq_timed_join(q, &bad), EINVAL);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(workq_destroy(other), 0);
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tcase_create("task");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, task_pool_runs_mixed_job_kinds_once_each);
	tcase_add_test(tc, task_pool_finishes_null_items_and_tasks_without_fn);
	tcase_add_test(tc, pool_start_still_refuses_null_fn);
	tcase_add_test(tc, workq_join_from_a_worker_gives_edeadlk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(task_suite());
}
