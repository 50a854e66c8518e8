/*
 * check_create.c - creating and destroying queues; argument errors (EINVAL
 * for every NULL and out-of-range argument, before anything happens); the
 * two constants; destroy refusing with EBUSY while a thread is inside a
 * blocking call.
 */
#include "testcall.h"

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

/* The largest capacity workq_create must not reject as EINVAL. */
#define CAP_LIMIT (PTRDIFF_MAX / sizeof(void *) - 1)

/* ------------------------------------------------------------------ */
/* create / destroy                                                    */
/* ------------------------------------------------------------------ */

START_TEST(create_gives_empty_open_queue)
{
	static const size_t caps[] = { 1, 2, 7, 64, 1000 };
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		workq_t *q = NULL;

		ck_assert_int_eq(workq_create(&q, caps[i]), 0);
		ck_assert_ptr_nonnull(q);
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_uint_eq(workq_capacity(q), caps[i]);
		ck_assert_int_eq(workq_is_closed(q), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

START_TEST(create_gives_distinct_queues)
{
	workq_t *a = tu_queue(2);
	workq_t *b = tu_queue(3);
	void *item = UNTOUCHED;

	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(workq_put(a, tu_item(1)), 0);
	ck_assert_uint_eq(workq_size(a), 1);
	ck_assert_uint_eq(workq_size(b), 0);
	ck_assert_int_eq(workq_try_get(b, &item), EAGAIN);
	ck_assert_int_eq(workq_close(b), 0);
	ck_assert_int_eq(workq_is_closed(a), 0);
	ck_assert_int_eq(workq_get(a, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(create_null_qp_is_einval)
{
	ck_assert_int_eq(workq_create(NULL, 1), EINVAL);
	ck_assert_int_eq(workq_create(NULL, 0), EINVAL);
	ck_assert_int_eq(workq_create(NULL, CAP_LIMIT + 1), EINVAL);
}
END_TEST

/* Since 0.3 capacity 0 is valid: a rendezvous queue (check_rendezvous). */
START_TEST(create_zero_capacity_is_rendezvous)
{
	workq_t *q = UNTOUCHED;

	ck_assert_int_eq(workq_create(&q, 0), 0);
	ck_assert_ptr_ne(q, UNTOUCHED);
	ck_assert_uint_eq(workq_capacity(q), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), EAGAIN);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(create_capacity_over_limit_is_einval)
{
	const size_t too_big[] = {
		CAP_LIMIT + 1,
		CAP_LIMIT + 2,
		PTRDIFF_MAX / sizeof(void *),
		(size_t)PTRDIFF_MAX,
		SIZE_MAX / sizeof(void *),      /* * sizeof(void *) fits... */
		SIZE_MAX / sizeof(void *) + 1,  /* ...and this overflows */
		SIZE_MAX / 2,
		SIZE_MAX - 1,
		SIZE_MAX,
	};
	size_t i;

	for (i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
		workq_t *q = UNTOUCHED;

		ck_assert_msg(workq_create(&q, too_big[i]) == EINVAL,
		              "capacity %zu should be EINVAL", too_big[i]);
		ck_assert_ptr_eq(q, UNTOUCHED);
	}
}
END_TEST

/* The limit itself is valid: it may not fit in memory (ENOMEM), but it is
 * not an argument error; and a failed create leaves *qp alone. */
START_TEST(create_capacity_at_limit_is_not_einval)
{
	const size_t near[] = { CAP_LIMIT, CAP_LIMIT - 1, CAP_LIMIT / 2 };
	size_t i;

	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		workq_t *q = UNTOUCHED;
		int err = workq_create(&q, near[i]);

		ck_assert_msg(err == 0 || err == ENOMEM,
		              "capacity %zu gave %d", near[i], err);
		if (err == 0) {
			void *item = NULL;

			ck_assert_ptr_ne(q, UNTOUCHED);
			ck_assert_uint_eq(workq_capacity(q), near[i]);
			ck_assert_int_eq(workq_put(q, tu_item(5)), 0);
			ck_assert_int_eq(workq_get(q, &item), 0);
			ck_assert_ptr_eq(item, tu_item(5));
			ck_assert_int_eq(workq_destroy(q), 0);
		} else {
			ck_assert_ptr_eq(q, UNTOUCHED);
		}
	}
}
END_TEST

START_TEST(destroy_null_is_einval)
{
	ck_assert_int_eq(workq_destroy(NULL), EINVAL);
}
END_TEST

/* Destroy does not touch queued items and does not need an empty or
 * closed queue. */
START_TEST(destroy_accepts_queue_with_items)
{
	workq_t *q = tu_queue(4);
	workq_t *r = tu_queue(4);

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(workq_destroy(q), 0);

	ck_assert_int_eq(workq_put(r, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(r), 0);
	ck_assert_int_eq(workq_destroy(r), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* NULL arguments                                                      */
/* ------------------------------------------------------------------ */

static void count_calls(void *item, void *arg)
{
	(void)item;
	(*(int *)arg)++;
}

START_TEST(null_queue_is_einval_everywhere)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec later = tu_ms(50);
	void *items[2] = { tu_item(1), tu_item(2) };
	void *item = UNTOUCHED;
	size_t moved = 99;
	int calls = 0;

	ck_assert_int_eq(workq_destroy(NULL), EINVAL);
	ck_assert_int_eq(workq_put(NULL, tu_item(1)), EINVAL);
	ck_assert_int_eq(workq_put(NULL, NULL), EINVAL);
	ck_assert_int_eq(workq_put(NULL, WORKQ_DONE), EINVAL);
	ck_assert_int_eq(workq_try_put(NULL, tu_item(1)), EINVAL);
	ck_assert_int_eq(workq_try_put(NULL, WORKQ_DONE), EINVAL);
	ck_assert_int_eq(workq_timed_put(NULL, tu_item(1), NULL), EINVAL);
	ck_assert_int_eq(workq_timed_put(NULL, tu_item(1), &zero), EINVAL);
	ck_assert_int_eq(workq_timed_put(NULL, tu_item(1), &later), EINVAL);
	ck_assert_int_eq(workq_timed_put(NULL, WORKQ_DONE, &later), EINVAL);

	ck_assert_int_eq(workq_put_many(NULL, items, 2, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(NULL, NULL, 0, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);

	ck_assert_int_eq(workq_get(NULL, &item), EINVAL);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_int_eq(workq_try_get(NULL, &item), EINVAL);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_int_eq(workq_timed_get(NULL, &item, NULL), EINVAL);
	ck_assert_int_eq(workq_timed_get(NULL, &item, &zero), EINVAL);
	ck_assert_int_eq(workq_timed_get(NULL, &item, &later), EINVAL);
	ck_assert_ptr_eq(item, UNTOUCHED);
	moved = 99;
	ck_assert_int_eq(workq_get_many(NULL, items, 2, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_ptr_eq(items[0], tu_item(1));

	ck_assert_int_eq(workq_close(NULL), EINVAL);
	ck_assert_int_eq(workq_discard(NULL, count_calls, &calls), EINVAL);
	ck_assert_int_eq(workq_discard(NULL, NULL, NULL), EINVAL);
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(workq_task_done(NULL), EINVAL);
	ck_assert_int_eq(workq_join(NULL), EINVAL);

	ck_assert_uint_eq(workq_size(NULL), 0);
	ck_assert_uint_eq(workq_capacity(NULL), 0);
	ck_assert_int_eq(workq_is_closed(NULL), 0);
}
END_TEST

/* NULL itemp: EINVAL at once, even on an empty queue (no waiting first),
 * and nothing is taken from a queue that has items. */
START_TEST(null_itemp_is_einval)
{
	workq_t *q = tu_queue(4);
	struct timespec ts = tu_ms(50);

	ck_assert_int_eq(workq_get(q, NULL), EINVAL);
	ck_assert_int_eq(workq_try_get(q, NULL), EINVAL);
	ck_assert_int_eq(workq_timed_get(q, NULL, NULL), EINVAL);
	ck_assert_int_eq(workq_timed_get(q, NULL, &ts), EINVAL);

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, NULL), EINVAL);
	ck_assert_int_eq(workq_try_get(q, NULL), EINVAL);
	ck_assert_int_eq(workq_timed_get(q, NULL, &ts), EINVAL);
	ck_assert_uint_eq(workq_size(q), 1);

	/* Argument errors come before WORKQ_CLOSED. */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_get(q, NULL), EINVAL);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(null_items_or_counts_are_einval)
{
	workq_t *q = tu_queue(4);
	void *items[3] = { tu_item(1), tu_item(2), tu_item(3) };
	void *out[3] = { UNTOUCHED, UNTOUCHED, UNTOUCHED };
	size_t moved;

	/* put_many: items NULL with n > 0, or nput NULL. */
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, NULL, 2, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_put_many(q, items, 3, NULL), EINVAL);
	ck_assert_int_eq(workq_put_many(q, NULL, 0, NULL), EINVAL);
	ck_assert_uint_eq(workq_size(q), 0);

	/* get_many on an empty queue: EINVAL at once, no waiting. */
	moved = 99;
	ck_assert_int_eq(workq_get_many(q, NULL, 3, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_get_many(q, out, 3, NULL), EINVAL);

	/* ... and on one with items: nothing is taken. */
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	moved = 99;
	ck_assert_int_eq(workq_get_many(q, NULL, 3, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_get_many(q, out, 3, NULL), EINVAL);
	ck_assert_ptr_eq(out[0], UNTOUCHED);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Constants                                                           */
/* ------------------------------------------------------------------ */

START_TEST(done_sentinel_is_distinct_pointer)
{
	int local = 0;
	static int global;
	void *heap = malloc(16);
	void *a = WORKQ_DONE;
	void *b = WORKQ_DONE;

	ck_assert_ptr_nonnull(heap);
	ck_assert_ptr_nonnull(WORKQ_DONE);
	ck_assert_ptr_ne(WORKQ_DONE, NULL);
	ck_assert_ptr_eq(a, b);                 /* one value, always */
	ck_assert_ptr_ne(WORKQ_DONE, &local);
	ck_assert_ptr_ne(WORKQ_DONE, &global);
	ck_assert_ptr_ne(WORKQ_DONE, heap);
	ck_assert_ptr_ne(WORKQ_DONE, UNTOUCHED);
	free(heap);
}
END_TEST

START_TEST(closed_code_is_epipe)
{
	ck_assert_int_eq(WORKQ_CLOSED, EPIPE);
	ck_assert_int_gt(WORKQ_CLOSED, 0);
	ck_assert_int_ne(WORKQ_CLOSED, EAGAIN);
	ck_assert_int_ne(WORKQ_CLOSED, ETIMEDOUT);
	ck_assert_int_ne(WORKQ_CLOSED, EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* errno                                                               */
/* ------------------------------------------------------------------ */

/* An errno value no workq call has a reason to store. */
#define ERRNO_MARK EDOM

/* Functions return their error; they never set errno, whatever the
 * outcome. */
START_TEST(errno_untouched_by_every_call)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec short_ts = tu_ms(5);
	struct timespec bad = tu_ts(0, -1);
	void *items[2] = { tu_item(1), tu_item(2) };
	workq_t *q = NULL, *r = UNTOUCHED;
	void *item;
	size_t moved;
	int err[40], n = 0;

	errno = ERRNO_MARK;
	err[n++] = workq_create(&q, 2);
	err[n++] = workq_create(&r, CAP_LIMIT + 1);
	err[n++] = workq_create(NULL, 2);
	err[n++] = workq_put(q, tu_item(1));
	err[n++] = workq_try_put(q, tu_item(2));
	err[n++] = workq_try_put(q, tu_item(3));
	err[n++] = workq_timed_put(q, tu_item(3), &zero);
	err[n++] = workq_timed_put(q, tu_item(3), &short_ts);
	err[n++] = workq_timed_put(q, tu_item(3), &bad);
	err[n++] = workq_put(NULL, tu_item(3));
	err[n++] = workq_get(q, &item);
	err[n++] = workq_try_get(q, &item);
	err[n++] = workq_timed_get(q, &item, &short_ts);
	err[n++] = workq_try_get(q, &item);
	err[n++] = workq_timed_get(q, &item, &zero);
	err[n++] = workq_timed_get(q, &item, &short_ts);
	err[n++] = workq_get(q, NULL);
	err[n++] = workq_put_many(q, items, 2, &moved);
	err[n++] = workq_get_many(q, items, 0, &moved);
	err[n++] = workq_get_many(q, items, 2, &moved);
	err[n++] = workq_task_done(q);
	err[n++] = workq_task_done(q);
	err[n++] = workq_task_done(q);
	err[n++] = workq_task_done(q);
	err[n++] = workq_task_done(q);
	err[n++] = workq_task_done(q);
	err[n++] = workq_join(q);
	err[n++] = workq_close(q);
	err[n++] = workq_get(q, &item);
	err[n++] = workq_put(q, WORKQ_DONE);
	err[n++] = workq_discard(q, NULL, NULL);
	ck_assert_int_eq(errno, ERRNO_MARK);
	(void)workq_size(q);
	(void)workq_capacity(q);
	(void)workq_is_closed(q);
	(void)workq_is_closed(NULL);
	err[n++] = workq_destroy(q);
	ck_assert_int_eq(errno, ERRNO_MARK);

	/* The calls did fail in every way they can. */
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(err[1], EINVAL);
	ck_assert_int_eq(err[5], EAGAIN);
	ck_assert_int_eq(err[7], ETIMEDOUT);
	ck_assert_int_eq(err[8], EINVAL);
	ck_assert_int_eq(err[15], ETIMEDOUT);
	ck_assert_int_eq(err[25], ERANGE);
	ck_assert_int_eq(err[28], WORKQ_CLOSED);
	ck_assert_int_eq(err[n - 1], 0);
}
END_TEST

/* ENOMEM is returned, not left in errno (malloc sets errno when it
 * fails; the library must not pass that on). */
START_TEST(errno_untouched_by_failed_allocation)
{
	workq_t *q = UNTOUCHED;
	int err;

	errno = ERRNO_MARK;
	err = workq_create(&q, CAP_LIMIT);
	ck_assert_int_eq(errno, ERRNO_MARK);
	if (err == 0)
		ck_assert_int_eq(workq_destroy(q), 0);
	else
		ck_assert_int_eq(err, ENOMEM);
}
END_TEST

/* ------------------------------------------------------------------ */
/* destroy while busy                                                  */
/* ------------------------------------------------------------------ */

START_TEST(destroy_busy_while_consumer_blocked)
{
	static const enum op ops[] = {
		OP_GET, OP_TIMED_GET, OP_TIMED_GET, OP_GET_MANY
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		workq_t *q = tu_queue(2);
		struct call c;

		call_init(&c, q, ops[i], UNTOUCHED);
		c.n = 4;
		c.ts = tu_ts(60, 0);
		c.timeout = i == 1 ? NULL : &c.ts;
		call_start_blocked(&c);

		ck_assert_int_eq(workq_destroy(q), EBUSY);
		ck_assert_int_eq(workq_destroy(q), EBUSY);
		/* Nothing was freed: the queue still works. */
		ck_assert_uint_eq(workq_capacity(q), 2);
		ck_assert_int_eq(workq_is_closed(q), 0);
		ck_assert_int_eq(workq_put(q, tu_item(42)), 0);

		ck_assert_int_eq(call_finish(&c), 0);
		if (ops[i] == OP_GET_MANY) {
			ck_assert_uint_eq(c.moved, 1);
			ck_assert_ptr_eq(c.items[0], tu_item(42));
		} else {
			ck_assert_ptr_eq(c.item, tu_item(42));
		}
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

START_TEST(destroy_busy_while_producer_blocked)
{
	static const enum op ops[] = {
		OP_PUT, OP_TIMED_PUT, OP_TIMED_PUT, OP_PUT_MANY
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		workq_t *q = tu_queue(1);
		void *item = UNTOUCHED;
		struct call c;

		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		call_init(&c, q, ops[i], UNTOUCHED);
		c.item = tu_item(2);
		c.items[0] = tu_item(2);
		c.n = 1;
		c.ts = tu_ts(60, 0);
		c.timeout = i == 1 ? NULL : &c.ts;
		call_start_blocked(&c);

		ck_assert_int_eq(workq_destroy(q), EBUSY);
		ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(1));

		ck_assert_int_eq(call_finish(&c), 0);
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(2));
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

START_TEST(destroy_busy_while_joiner_blocked)
{
	workq_t *q = tu_queue(2);
	void *item = NULL;
	struct call c;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	call_init(&c, q, OP_JOIN, UNTOUCHED);
	call_start_blocked(&c);

	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_task_done(q), 0);

	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* discard is in progress while its fn runs. */
START_TEST(destroy_busy_while_discard_runs)
{
	workq_t *q = tu_queue(2);
	struct call c;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	call_init(&c, q, OP_DISCARD, UNTOUCHED);
	call_start(&c);
	while (sem_wait(&c.in_fn) != 0)
		;
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	sem_post(&c.go);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.nfn, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Every way out of a call (success, EAGAIN, ETIMEDOUT, WORKQ_CLOSED,
 * EINVAL) leaves the queue destroyable: nothing stays counted as busy. */
START_TEST(destroy_succeeds_after_every_kind_of_return)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec short_ts = tu_ms(5);
	struct timespec bad = tu_ts(-1, 0);
	void *items[2] = { tu_item(1), tu_item(2) };
	void *item;
	size_t moved;
	workq_t *q;

	/* Successes. */
	q = tu_queue(2);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &short_ts), 0);
	ck_assert_int_eq(workq_timed_get(q, &item, &short_ts), 0);
	ck_assert_int_eq(workq_put_many(q, items, 2, &moved), 0);
	ck_assert_int_eq(workq_get_many(q, items, 2, &moved), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* Would-wait and argument errors. */
	q = tu_queue(1);
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_timed_get(q, &item, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_get(q, &item, &short_ts), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_get(q, &item, &bad), EINVAL);
	ck_assert_int_eq(workq_get_many(q, items, 0, &moved), EINVAL);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), EAGAIN);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &short_ts), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &bad), EINVAL);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* Closed. */
	q = tu_queue(1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &short_ts),
	                 WORKQ_CLOSED);
	ck_assert_int_eq(workq_put_many(q, items, 2, &moved), WORKQ_CLOSED);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_get(q, &item, &short_ts), WORKQ_CLOSED);
	ck_assert_int_eq(workq_get_many(q, items, 2, &moved), WORKQ_CLOSED);
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("create");
	TCase *tc = tcase_create("create");
	TCase *tn = tcase_create("null");
	TCase *tb = tcase_create("busy");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, create_gives_empty_open_queue);
	tcase_add_test(tc, create_gives_distinct_queues);
	tcase_add_test(tc, create_null_qp_is_einval);
	tcase_add_test(tc, create_zero_capacity_is_rendezvous);
	tcase_add_test(tc, create_capacity_over_limit_is_einval);
	tcase_add_test(tc, create_capacity_at_limit_is_not_einval);
	tcase_add_test(tc, destroy_null_is_einval);
	tcase_add_test(tc, destroy_accepts_queue_with_items);
	tcase_add_test(tc, done_sentinel_is_distinct_pointer);
	tcase_add_test(tc, closed_code_is_epipe);
	tcase_add_test(tc, errno_untouched_by_every_call);
	tcase_add_test(tc, errno_untouched_by_failed_allocation);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tn, TU_TIMEOUT);
	tcase_add_test(tn, null_queue_is_einval_everywhere);
	tcase_add_test(tn, null_itemp_is_einval);
	tcase_add_test(tn, null_items_or_counts_are_einval);
	suite_add_tcase(s, tn);

	tcase_set_timeout(tb, TU_TIMEOUT);
	tcase_add_test(tb, destroy_busy_while_consumer_blocked);
	tcase_add_test(tb, destroy_busy_while_producer_blocked);
	tcase_add_test(tb, destroy_busy_while_joiner_blocked);
	tcase_add_test(tb, destroy_busy_while_discard_runs);
	tcase_add_test(tb, destroy_succeeds_after_every_kind_of_return);
	suite_add_tcase(s, tb);
	return tu_run(s);
}
