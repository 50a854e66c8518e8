/*
 * check_unwind.c - callbacks and workers that end their thread early.
 *
 * A discard callback or a pool function may call pthread_exit or be
 * cancelled at a cancellation point; a pool worker may be cancelled while
 * it waits for work.  None of that may lose items, leave destroy refusing
 * for ever, or hang a join.
 */
#include "testutil.h"

#include <sched.h>

struct exit_after {
	workq_t *q;
	int limit;              /* calls before fn ends its thread */
	int calls;              /* fn calls seen */
	uintptr_t seen[64];
};

/* Discard callback that calls pthread_exit on its limit-th call. */
static void exiting_fn(void *item, void *arg)
{
	struct exit_after *e = arg;

	e->seen[e->calls++] = tu_num(item);
	if (e->calls == e->limit)
		pthread_exit(NULL);
}

static void *discard_thread(void *arg)
{
	struct exit_after *e = arg;

	workq_discard(e->q, exiting_fn, e);
	return tu_item(1);      /* not reached: fn ends the thread first */
}

START_TEST(discard_fn_exit_keeps_the_rest_queued)
{
	struct exit_after e = { NULL, 3, 0, { 0 } };
	uintptr_t i;
	void *it;

	e.q = tu_queue(16);
	for (i = 1; i <= 10; i++)
		ck_assert_int_eq(workq_put(e.q, tu_item(i)), 0);
	ck_assert_ptr_null(tu_join(tu_spawn(discard_thread, &e)));
	/* fn got items 1..3, in order; it owns them. */
	ck_assert_int_eq(e.calls, 3);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(e.seen[i], i + 1);
	/* 4..10 are still queued, for a consumer, in order. */
	ck_assert_int_eq(workq_is_closed(e.q), 1);
	ck_assert_uint_eq(workq_size(e.q), 7);
	for (i = 4; i <= 10; i++) {
		ck_assert_int_eq(workq_get(e.q, &it), 0);
		ck_assert_uint_eq(tu_num(it), i);
	}
	/* The abandoned discard no longer counts as inside the queue. */
	ck_assert_int_eq(workq_destroy(e.q), 0);
}
END_TEST

/* Pool function that ends its worker on item 2, and counts the rest. */
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned done_count;

static void count_or_exit(void *item, void *arg)
{
	(void)arg;
	if (tu_num(item) == 2)
		pthread_exit(NULL);
	pthread_mutex_lock(&done_mu);
	done_count++;
	pthread_mutex_unlock(&done_mu);
}

START_TEST(pool_fn_exit_still_joins)
{
	workq_t *q = tu_queue(8);
	workq_pool_t *pool;
	uintptr_t i;

	done_count = 0;
	ck_assert_int_eq(workq_pool_start(&pool, q, 3, count_or_exit, NULL), 0);
	for (i = 1; i <= 50; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	/* The item whose worker died counts as done: join returns. */
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_uint_eq(done_count, 49);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A pool function that reports its thread, then waits to be cancelled. */
struct victim {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	int known;
};

static void report_and_block(void *item, void *arg)
{
	struct victim *v = arg;

	(void)item;
	pthread_mutex_lock(&v->mu);
	v->tid = pthread_self();
	v->known = 1;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	/* Wait for the cancel at an explicit cancellation point: sanitizers
	 * lose track of locks taken while a cancel unwinds from inside a
	 * blocking system call's signal handler. */
	for (;;) {
		pthread_testcancel();
		sched_yield();
	}
}

START_TEST(pool_worker_cancelled_in_fn_still_joins)
{
	struct victim v = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	                    pthread_self(), 0 };
	workq_t *q = tu_queue(4);
	workq_pool_t *pool;

	ck_assert_int_eq(workq_pool_start(&pool, q, 1, report_and_block, &v),
	                 0);
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	pthread_mutex_lock(&v.mu);
	while (!v.known)
		pthread_cond_wait(&v.cv, &v.mu);
	pthread_mutex_unlock(&v.mu);
	ck_assert_int_eq(pthread_cancel(v.tid), 0);
	ck_assert_int_eq(workq_join(q), 0);     /* the item counts as done */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Two workers wait in workq_get; one is cancelled there from outside
 * (through the id it reported earlier); the other still does the work,
 * and the pool still joins. */
static pthread_mutex_t ids_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ids_cv = PTHREAD_COND_INITIALIZER;
static pthread_t ids[2];
static pid_t tids[2];
static int nids;
static unsigned handled;

static void note_self(void *item, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ids_mu);
	if (tu_num(item) == 0 && nids < 2) {
		ids[nids] = pthread_self();
		tids[nids++] = tu_gettid();
		pthread_cond_broadcast(&ids_cv);
		/* Hold both workers here until each has reported. */
		while (nids < 2)
			pthread_cond_wait(&ids_cv, &ids_mu);
	} else {
		handled++;
	}
	pthread_mutex_unlock(&ids_mu);
}

START_TEST(pool_worker_cancelled_in_get_still_joins)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *pool;
	uintptr_t i;

	nids = 0;
	handled = 0;
	ck_assert_int_eq(workq_pool_start(&pool, q, 2, note_self, NULL), 0);
	ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
	pthread_mutex_lock(&ids_mu);
	while (nids < 2)
		pthread_cond_wait(&ids_cv, &ids_mu);
	pthread_mutex_unlock(&ids_mu);
	tu_wait_blocked(tids[0]);               /* back in workq_get */
	ck_assert_int_eq(pthread_cancel(ids[0]), 0);
	for (i = 1; i <= 20; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_uint_eq(handled, 20);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("unwind");
	TCase *tc = tcase_create("unwind");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, discard_fn_exit_keeps_the_rest_queued);
	tcase_add_test(tc, pool_fn_exit_still_joins);
	tcase_add_test(tc, pool_worker_cancelled_in_fn_still_joins);
	tcase_add_test(tc, pool_worker_cancelled_in_get_still_joins);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
