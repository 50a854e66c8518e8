/*
 * check_join.c - task_done and join, as Python's queue.Queue: every
 * accepted item is unfinished until task_done; join waits until none is;
 * task_done with none unfinished is ERANGE and changes nothing; the done
 * sentinel is never counted.
 */
#include "testcall.h"

/* ------------------------------------------------------------------ */
/* Without waiting                                                     */
/* ------------------------------------------------------------------ */

START_TEST(join_returns_at_once_with_nothing_unfinished)
{
	workq_t *q = tu_queue(2);
	void *item;

	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_join(q), 0);
	/* Closed makes no difference. */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(task_done_with_nothing_unfinished_is_erange)
{
	workq_t *q = tu_queue(2);
	void *item;

	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	/* ERANGE changed nothing: the queue is still open and empty. */
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The refused task_done calls leave no debt or credit behind: two new
 * items need exactly two task_done calls before join returns. */
START_TEST(task_done_erange_leaves_counts_alone)
{
	workq_t *q = tu_queue(4);
	struct call j;
	void *item;
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

/* A joiner is released by the last task_done, not before. */
START_TEST(join_waits_for_every_task_done)
{
	workq_t *q = tu_queue(4);
	struct call j;
	void *item;
	int i;

	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(workq_get(q, &item), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	for (i = 1; i <= 2; i++) {
		ck_assert_int_eq(workq_task_done(q), 0);
		ck_assert_msg(!call_returned_after_pause(&j),
		              "join returned after %d of 3 task_done", i);
	}
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Items still queued, and items taken without task_done, keep a joiner
 * waiting. */
START_TEST(join_waits_for_queued_and_taken_items)
{
	workq_t *q = tu_queue(4);
	struct call j;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Closing does not end a join by itself. */
START_TEST(close_does_not_release_join)
{
	workq_t *q = tu_queue(4);
	struct call j;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(several_joiners_all_released)
{
	enum { N = 4 };
	workq_t *q = tu_queue(4);
	struct call j[N];
	void *item;
	int i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	for (i = 0; i < N; i++) {
		call_init(&j[i], q, OP_JOIN, NULL);
		call_start_blocked(&j[i]);
	}
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(call_returned_after_pause(&j[i]), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(call_finish(&j[i]), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The sentinel is not counted                                         */
/* ------------------------------------------------------------------ */

START_TEST(done_sentinel_is_not_counted)
{
	workq_t *q = tu_queue(2);
	void *item;

	/* Putting WORKQ_DONE adds nothing unfinished... */
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	/* ...nor does receiving it, or re-posting it. */
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A consumer that calls task_done for each real item and stops at the
 * sentinel (re-posting it). */
struct worker {
	workq_t *q;
	uintptr_t sum;          /* read by the test after workq_join */
	size_t count;
	int last_err;
	int bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		void *item = UNTOUCHED;
		int err = workq_get(w->q, &item);

		if (item == WORKQ_DONE) {
			w->last_err = err;
			if (workq_put(w->q, WORKQ_DONE) != 0)
				w->bad = 1;
			break;
		}
		if (err != 0) {
			w->bad = 1;
			break;
		}
		w->sum += tu_num(item);
		w->count++;
		if (workq_task_done(w->q) != 0)
			w->bad = 1;
	}
	return NULL;
}

/* Close, then a consumer drains the queue and takes the sentinel: join
 * returns once the real items are done (a counted sentinel would keep
 * it waiting for ever). */
START_TEST(join_after_close_waits_only_for_real_items)
{
	workq_t *q = tu_queue(4);
	struct worker w;
	struct call j;
	pthread_t t;
	uintptr_t i;

	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.last_err = -1;
	t = tu_spawn(worker_main, &w);
	ck_assert_int_eq(call_finish(&j), 0);
	tu_join(t);
	ck_assert_int_eq(w.bad, 0);
	ck_assert_int_eq(w.last_err, WORKQ_CLOSED);
	ck_assert_uint_eq(w.count, 3);
	ck_assert_uint_eq(w.sum, 6);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Python's test_queue.queue_join_test: two workers, 100 items; when join
 * returns, the sum is complete.  Twice, on the same queue. */
START_TEST(join_returns_when_workers_finished_everything)
{
	enum { NWORKERS = 2 };
	workq_t *q = tu_queue(10);
	struct worker w[NWORKERS];
	pthread_t t[NWORKERS];
	uintptr_t i, want = 0;
	int k, round;

	for (k = 0; k < NWORKERS; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].q = q;
		w[k].last_err = -1;
		t[k] = tu_spawn(worker_main, &w[k]);
	}
	for (round = 0; round < 2; round++) {
		uintptr_t sum = 0;
		size_t count = 0;

		for (i = 0; i < 100; i++) {
			ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
			want += i;
		}
		ck_assert_int_eq(workq_join(q), 0);
		/* The workers added each item before its task_done, and join
		 * returned after the last one: their sums are final. */
		for (k = 0; k < NWORKERS; k++) {
			sum += w[k].sum;
			count += w[k].count;
		}
		ck_assert_uint_eq(count, 100u * (size_t)(round + 1));
		ck_assert_uint_eq(sum, want);
		ck_assert_int_eq(workq_task_done(q), ERANGE);
	}
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	for (k = 0; k < NWORKERS; k++) {
		tu_join(t[k]);
		ck_assert_int_eq(w[k].bad, 0);
		ck_assert_int_eq(w[k].last_err, WORKQ_CLOSED);
	}
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("join");
	TCase *tc = tcase_create("count");
	TCase *tw = tcase_create("wait");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, join_returns_at_once_with_nothing_unfinished);
	tcase_add_test(tc, task_done_with_nothing_unfinished_is_erange);
	tcase_add_test(tc, task_done_erange_leaves_counts_alone);
	tcase_add_test(tc, done_sentinel_is_not_counted);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, join_waits_for_every_task_done);
	tcase_add_test(tw, join_waits_for_queued_and_taken_items);
	tcase_add_test(tw, close_does_not_release_join);
	tcase_add_test(tw, several_joiners_all_released);
	tcase_add_test(tw, join_after_close_waits_only_for_real_items);
	tcase_add_test(tw, join_returns_when_workers_finished_everything);
	suite_add_tcase(s, tw);
	return tu_run(s);
}
