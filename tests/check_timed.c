/*
 * check_timed.c - timed_get and timed_put: ETIMEDOUT never earlier than
 * the timeout (on CLOCK_MONOTONIC), zero never waits, NULL waits forever,
 * invalid timespecs are EINVAL before anything else, WORKQ_CLOSED beats
 * ETIMEDOUT, and huge timeouts work.
 */
#include "testcall.h"

#include <limits.h>

/* The largest time_t (signed, 32 or 64 bits). */
#define TIME_T_MAX                                                             \
	((time_t)(sizeof(time_t) >= 8 ? (time_t)INT64_MAX : (time_t)INT32_MAX))

static int64_t ts_ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* A timed call run in its own thread                                  */
/* ------------------------------------------------------------------ */

/* Starts a timed call with timeout `ts` (NULL: none) and returns once its
 * thread sleeps inside it. */
static void timed_call_start_blocked(struct call *c, workq_t *q, enum op op,
                                     void *item, const struct timespec *ts)
{
	call_init(c, q, op, item);
	if (ts != NULL) {
		c->ts = *ts;
		c->timeout = &c->ts;
	} else {
		c->timeout = NULL;
	}
	call_start_blocked(c);
}

/* ------------------------------------------------------------------ */
/* Timing out                                                          */
/* ------------------------------------------------------------------ */

static const struct timespec short_timeouts[] = {
	{ 0, 50000000L },       /* 50 ms */
	{ 0, 30000001L },       /* 30 ms and a nanosecond */
	{ 0, 1L },              /* 1 ns */
};
#define N_SHORT (sizeof(short_timeouts) / sizeof(short_timeouts[0]))

START_TEST(timed_get_times_out_not_earlier_than_timeout)
{
	workq_t *q = tu_queue(2);
	size_t i;

	for (i = 0; i < N_SHORT; i++) {
		void *item = UNTOUCHED;
		int64_t t0 = tu_now_ns();
		int err = workq_timed_get(q, &item, &short_timeouts[i]);
		int64_t elapsed = tu_now_ns() - t0;

		ck_assert_int_eq(err, ETIMEDOUT);
		ck_assert_ptr_eq(item, UNTOUCHED);
		ck_assert_msg(elapsed >= ts_ns(short_timeouts[i]),
		              "timed out after %lld ns of %lld",
		              (long long)elapsed,
		              (long long)ts_ns(short_timeouts[i]));
	}
	/* Timing out changed nothing. */
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_put_times_out_not_earlier_than_timeout)
{
	workq_t *q = tu_queue(2);
	void *item;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	for (i = 0; i < N_SHORT; i++) {
		int64_t t0 = tu_now_ns();
		int err = workq_timed_put(q, tu_item(10 + i),
		                          &short_timeouts[i]);
		int64_t elapsed = tu_now_ns() - t0;

		ck_assert_int_eq(err, ETIMEDOUT);
		ck_assert_msg(elapsed >= ts_ns(short_timeouts[i]),
		              "timed out after %lld ns of %lld",
		              (long long)elapsed,
		              (long long)ts_ns(short_timeouts[i]));
	}
	/* None of the timed-out items was taken. */
	ck_assert_uint_eq(workq_size(q), 2);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A timeout whose nanoseconds carry into the deadline's seconds. */
START_TEST(timed_get_with_nanosecond_carry_not_early)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ts(0, 999999999L);
	void *item = UNTOUCHED;
	int64_t t0 = tu_now_ns();
	int err = workq_timed_get(q, &item, &ts);
	int64_t elapsed = tu_now_ns() - t0;

	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_msg(elapsed >= ts_ns(ts), "timed out after %lld ns",
	              (long long)elapsed);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The item a blocked timed_get was woken for is taken by somebody else:
 * the timed_get must go back to sleep until its own deadline. */
START_TEST(timed_get_not_early_after_losing_item)
{
	workq_t *q = tu_queue(2);
	struct timespec ts = tu_ms(100);
	int round;

	for (round = 0; round < 5; round++) {
		struct call c;
		void *stolen = UNTOUCHED;
		int steal;

		timed_call_start_blocked(&c, q, OP_TIMED_GET, UNTOUCHED, &ts);
		ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
		steal = workq_try_get(q, &stolen);
		ck_assert_int_eq(call_finish(&c), steal == 0 ? ETIMEDOUT : 0);
		if (steal == 0) {
			ck_assert_ptr_eq(stolen, tu_item(7));
			ck_assert_ptr_eq(c.item, UNTOUCHED);
			ck_assert_msg(c.elapsed_ns >= ts_ns(ts),
			              "timed out after %lld ns",
			              (long long)c.elapsed_ns);
		} else {
			ck_assert_int_eq(steal, EAGAIN);
			ck_assert_ptr_eq(c.item, tu_item(7));
		}
		ck_assert_uint_eq(workq_size(q), 0);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(zero_timeout_never_waits)
{
	workq_t *q = tu_queue(1);
	struct timespec zero = tu_ts(0, 0);
	void *item = UNTOUCHED;
	int64_t t0 = tu_now_ns();
	int i;

	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(workq_timed_get(q, &item, &zero), ETIMEDOUT);
		ck_assert_ptr_eq(item, UNTOUCHED);
	}
	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &zero), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(workq_timed_put(q, tu_item(2), &zero),
		                 ETIMEDOUT);
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_timed_get(q, &item, &zero), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Success within the timeout; NULL and huge timeouts                  */
/* ------------------------------------------------------------------ */

START_TEST(timed_calls_succeed_at_once_when_possible)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ms(50);
	struct timespec huge = tu_ts(TIME_T_MAX, 999999999L);
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_timed_put(q, tu_item(1), &ts), 0);
	ck_assert_int_eq(workq_timed_get(q, &item, &ts), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_timed_put(q, NULL, NULL), 0);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_timed_get(q, &item, NULL), 0);
	ck_assert_ptr_null(item);
	ck_assert_int_eq(workq_timed_put(q, tu_item(2), &huge), 0);
	ck_assert_int_eq(workq_timed_get(q, &item, &huge), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_get_succeeds_when_put_in_time)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ts(10, 0);
	struct call c;

	timed_call_start_blocked(&c, q, OP_TIMED_GET, UNTOUCHED, &ts);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_ptr_eq(c.item, tu_item(3));
	ck_assert_int_lt(c.elapsed_ns, ts_ns(ts));
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(timed_put_succeeds_when_get_in_time)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ts(10, 0);
	struct call c;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	timed_call_start_blocked(&c, q, OP_TIMED_PUT, tu_item(2), &ts);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_int_lt(c.elapsed_ns, ts_ns(ts));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(null_timeout_get_waits_until_put)
{
	workq_t *q = tu_queue(1);
	struct call c;

	timed_call_start_blocked(&c, q, OP_TIMED_GET, UNTOUCHED, NULL);
	ck_assert_int_eq(call_returned_after(&c, 100), 0);
	ck_assert_int_eq(workq_put(q, tu_item(4)), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_ptr_eq(c.item, tu_item(4));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(null_timeout_put_waits_until_get)
{
	workq_t *q = tu_queue(1);
	struct call c;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	timed_call_start_blocked(&c, q, OP_TIMED_PUT, tu_item(2), NULL);
	ck_assert_int_eq(call_returned_after(&c, 100), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static const struct timespec huge_timeouts[] = {
	{ TIME_T_MAX, 999999999L },
	{ TIME_T_MAX, 0 },
	{ TIME_T_MAX - 1, 500000000L },
	{ (time_t)INT32_MAX, 0 },
	{ (time_t)(TIME_T_MAX / 2), 999999999L },
};
#define N_HUGE (sizeof(huge_timeouts) / sizeof(huge_timeouts[0]))

/* A huge timeout neither fails nor expires: the call waits until another
 * thread releases it. */
START_TEST(huge_timeout_get_waits_until_put)
{
	workq_t *q = tu_queue(1);
	size_t i;

	for (i = 0; i < N_HUGE; i++) {
		struct call c;

		timed_call_start_blocked(&c, q, OP_TIMED_GET, UNTOUCHED,
		                         &huge_timeouts[i]);
		ck_assert_msg(!call_returned_after(&c, 30),
		              "timeout %zu: returned %d at once", i, c.err);
		ck_assert_int_eq(workq_put(q, tu_item(10 + i)), 0);
		ck_assert_int_eq(call_finish(&c), 0);
		ck_assert_ptr_eq(c.item, tu_item(10 + i));
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(huge_timeout_put_waits_until_get)
{
	workq_t *q = tu_queue(1);
	void *item;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	for (i = 0; i < N_HUGE; i++) {
		struct call c;

		timed_call_start_blocked(&c, q, OP_TIMED_PUT, tu_item(10 + i),
		                         &huge_timeouts[i]);
		ck_assert_msg(!call_returned_after(&c, 30),
		              "timeout %zu: returned %d at once", i, c.err);
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_int_eq(call_finish(&c), 0);
		ck_assert_uint_eq(workq_size(q), 1);
	}
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(10 + N_HUGE - 1));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Invalid timeouts                                                    */
/* ------------------------------------------------------------------ */

static const struct timespec bad_timeouts[] = {
	{ -1, 0 },
	{ -1, 500000000L },
	{ (time_t)INT32_MIN, 0 },
	{ 0, -1 },
	{ 0, 1000000000L },
	{ 1, 1000000000L },
	{ 0, LONG_MAX },
	{ 0, LONG_MIN },
	{ -1, -1 },
};
#define N_BAD (sizeof(bad_timeouts) / sizeof(bad_timeouts[0]))

START_TEST(invalid_timeout_is_einval_on_open_queue)
{
	workq_t *q = tu_queue(2);
	int64_t t0 = tu_now_ns();
	void *item;
	size_t i;

	for (i = 0; i < N_BAD; i++) {
		const struct timespec *bad = &bad_timeouts[i];

		/* Empty: get would wait; EINVAL instead, *itemp alone. */
		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, bad), EINVAL);
		ck_assert_ptr_eq(item, UNTOUCHED);
		/* Room: put would succeed; EINVAL, nothing put. */
		ck_assert_int_eq(workq_timed_put(q, tu_item(5), bad), EINVAL);
		ck_assert_uint_eq(workq_size(q), 0);
		/* WORKQ_DONE would close; EINVAL, still open. */
		ck_assert_int_eq(workq_timed_put(q, WORKQ_DONE, bad), EINVAL);
		ck_assert_int_eq(workq_is_closed(q), 0);

		/* An item there: get would succeed; EINVAL, nothing taken. */
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		ck_assert_int_eq(workq_timed_get(q, &item, bad), EINVAL);
		ck_assert_ptr_eq(item, UNTOUCHED);
		ck_assert_uint_eq(workq_size(q), 1);

		/* Full: put would wait; EINVAL instead. */
		ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		ck_assert_int_eq(workq_timed_put(q, tu_item(3), bad), EINVAL);
		ck_assert_int_eq(workq_timed_put(q, WORKQ_DONE, bad), EINVAL);
		ck_assert_int_eq(workq_is_closed(q), 0);
		ck_assert_uint_eq(workq_size(q), 2);

		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(1));
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(2));
	}
	/* None of them waited. */
	ck_assert_int_lt(tu_now_ns() - t0, 1000000000LL);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(invalid_timeout_is_einval_on_closed_queue)
{
	workq_t *q = tu_queue(2);
	void *item;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < N_BAD; i++) {
		const struct timespec *bad = &bad_timeouts[i];

		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, bad), EINVAL);
		ck_assert_ptr_eq(item, UNTOUCHED);
		ck_assert_uint_eq(workq_size(q), 1);
		ck_assert_int_eq(workq_timed_put(q, tu_item(2), bad), EINVAL);
		ck_assert_int_eq(workq_timed_put(q, WORKQ_DONE, bad), EINVAL);
	}
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	/* Closed and drained: still EINVAL, and no WORKQ_DONE stored. */
	for (i = 0; i < N_BAD; i++) {
		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, &bad_timeouts[i]),
		                 EINVAL);
		ck_assert_ptr_eq(item, UNTOUCHED);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Closed beats timed out                                              */
/* ------------------------------------------------------------------ */

START_TEST(closed_queue_gives_closed_not_timeout)
{
	workq_t *q = tu_queue(1);
	struct timespec zero = tu_ts(0, 0);
	struct timespec ms50 = tu_ms(50);
	struct timespec long_ts = tu_ts(10, 0);
	const struct timespec *tss[] = { &zero, &ms50, &long_ts, NULL };
	int64_t t0;
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	t0 = tu_now_ns();
	/* Full and closed: put would time out; closed wins. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(workq_timed_put(q, tu_item(2), tss[i]),
		                 WORKQ_CLOSED);
	ck_assert_uint_eq(workq_size(q), 1);
	{
		void *item = UNTOUCHED;

		ck_assert_int_eq(workq_timed_get(q, &item, &zero), 0);
		ck_assert_ptr_eq(item, tu_item(1));
	}
	/* Empty and closed: get would time out; closed wins, with the
	 * sentinel. */
	for (i = 0; i < 4; i++) {
		void *item = UNTOUCHED;

		ck_assert_int_eq(workq_timed_get(q, &item, tss[i]),
		                 WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		ck_assert_int_eq(workq_timed_put(q, tu_item(3), tss[i]),
		                 WORKQ_CLOSED);
	}
	/* Nothing waited for the 10 s timeout (or for ever). */
	ck_assert_int_lt(tu_now_ns() - t0, 5000000000LL);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(close_wakes_timed_put_with_closed)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ts(10, 0);
	struct call c;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	timed_call_start_blocked(&c, q, OP_TIMED_PUT, tu_item(2), &ts);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	ck_assert_int_lt(c.elapsed_ns, ts_ns(ts));
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(close_wakes_timed_get_with_closed)
{
	workq_t *q = tu_queue(1);
	struct timespec ts = tu_ts(10, 0);
	struct call c;

	timed_call_start_blocked(&c, q, OP_TIMED_GET, UNTOUCHED, &ts);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	ck_assert_ptr_eq(c.item, WORKQ_DONE);
	ck_assert_int_lt(c.elapsed_ns, ts_ns(ts));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timed");
	TCase *tt = tcase_create("timeout");
	TCase *tw = tcase_create("wait");
	TCase *ti = tcase_create("invalid");

	tcase_set_timeout(tt, TU_TIMEOUT);
	tcase_add_test(tt, timed_get_times_out_not_earlier_than_timeout);
	tcase_add_test(tt, timed_put_times_out_not_earlier_than_timeout);
	tcase_add_test(tt, timed_get_with_nanosecond_carry_not_early);
	tcase_add_test(tt, timed_get_not_early_after_losing_item);
	tcase_add_test(tt, zero_timeout_never_waits);
	suite_add_tcase(s, tt);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, timed_calls_succeed_at_once_when_possible);
	tcase_add_test(tw, timed_get_succeeds_when_put_in_time);
	tcase_add_test(tw, timed_put_succeeds_when_get_in_time);
	tcase_add_test(tw, null_timeout_get_waits_until_put);
	tcase_add_test(tw, null_timeout_put_waits_until_get);
	tcase_add_test(tw, huge_timeout_get_waits_until_put);
	tcase_add_test(tw, huge_timeout_put_waits_until_get);
	tcase_add_test(tw, close_wakes_timed_put_with_closed);
	tcase_add_test(tw, close_wakes_timed_get_with_closed);
	suite_add_tcase(s, tw);

	tcase_set_timeout(ti, TU_TIMEOUT);
	tcase_add_test(ti, invalid_timeout_is_einval_on_open_queue);
	tcase_add_test(ti, invalid_timeout_is_einval_on_closed_queue);
	tcase_add_test(ti, closed_queue_gives_closed_not_timeout);
	suite_add_tcase(s, ti);
	return tu_run(s);
}
