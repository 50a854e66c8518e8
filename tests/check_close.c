/*
 * check_close.c - closing: idempotent; every put variant refuses with
 * WORKQ_CLOSED without taking the item; accepted items still come out in
 * order, then every get variant gives WORKQ_CLOSED and WORKQ_DONE, in
 * every consumer, forever; putting WORKQ_DONE closes and never waits;
 * blocked producers and consumers all wake.
 */
#include "testcall.h"

/* Takes everything left with try_get, checking it is want[0..n) in
 * order, and then that the queue reports closed and drained. */
static void expect_drain(workq_t *q, const uintptr_t *want, size_t n)
{
	size_t i;
	void *item;

	for (i = 0; i < n; i++) {
		item = UNTOUCHED;
		ck_assert_int_eq(workq_try_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(want[i]));
	}
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_uint_eq(workq_size(q), 0);
}

/* ------------------------------------------------------------------ */
/* close itself                                                        */
/* ------------------------------------------------------------------ */

START_TEST(close_is_idempotent)
{
	workq_t *q = tu_queue(2);

	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_uint_eq(workq_capacity(q), 2);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(is_closed_reports_zero_then_one)
{
	workq_t *q = tu_queue(3);
	void *item;

	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	/* Closed, not yet drained. */
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(close_on_full_queue_does_not_block)
{
	workq_t *q = tu_queue(2);
	static const uintptr_t want[] = { 1, 2 };

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 2);  /* the sentinel not counted */
	expect_drain(q, want, 2);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Producers after close                                               */
/* ------------------------------------------------------------------ */

START_TEST(every_put_variant_is_refused_after_close)
{
	workq_t *q = tu_queue(4);
	struct timespec zero = tu_ts(0, 0);
	struct timespec ms50 = tu_ms(50);
	void *many[2] = { tu_item(20), tu_item(21) };
	static const uintptr_t want[] = { 1 };
	size_t moved;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);

	ck_assert_int_eq(workq_put(q, tu_item(10)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_put(q, NULL), WORKQ_CLOSED);
	ck_assert_int_eq(workq_try_put(q, tu_item(11)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(12), NULL), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(13), &zero), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(14), &ms50),
	                 WORKQ_CLOSED);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, many, 2, &moved), WORKQ_CLOSED);
	ck_assert_uint_eq(moved, 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, NULL, 0, &moved), WORKQ_CLOSED);
	ck_assert_uint_eq(moved, 0);

	/* None of them is in the queue. */
	ck_assert_uint_eq(workq_size(q), 1);
	expect_drain(q, want, 1);
	/* Still refused once drained. */
	ck_assert_int_eq(workq_put(q, tu_item(15)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_try_put(q, tu_item(16)), WORKQ_CLOSED);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A full, closed queue refuses at once rather than waiting for room. */
START_TEST(put_on_full_closed_queue_is_refused_at_once)
{
	workq_t *q = tu_queue(1);
	struct timespec ms50 = tu_ms(50);
	void *many[1] = { tu_item(9) };
	static const uintptr_t want[] = { 1 };
	size_t moved = 99;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_try_put(q, tu_item(3)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(4), NULL), WORKQ_CLOSED);
	ck_assert_int_eq(workq_timed_put(q, tu_item(5), &ms50), WORKQ_CLOSED);
	ck_assert_int_eq(workq_put_many(q, many, 1, &moved), WORKQ_CLOSED);
	ck_assert_uint_eq(moved, 0);
	expect_drain(q, want, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Consumers after close                                               */
/* ------------------------------------------------------------------ */

/* Items accepted before the close come out in order through every get
 * variant. */
START_TEST(close_keeps_accepted_items_in_order)
{
	workq_t *q = tu_queue(8);
	struct timespec zero = tu_ts(0, 0);
	struct timespec ms50 = tu_ms(50);
	void *out[3];
	void *item;
	size_t moved;
	uintptr_t i;

	for (i = 1; i <= 8; i++)
		ck_assert_int_eq(workq_put(q, i == 4 ? NULL : tu_item(i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_uint_eq(workq_size(q), 8);

	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_timed_get(q, &item, &zero), 0);
	ck_assert_ptr_eq(item, tu_item(3));
	ck_assert_int_eq(workq_timed_get(q, &item, &ms50), 0);
	ck_assert_ptr_null(item);
	ck_assert_int_eq(workq_timed_get(q, &item, NULL), 0);
	ck_assert_ptr_eq(item, tu_item(5));
	ck_assert_int_eq(workq_get_many(q, out, 3, &moved), 0);
	ck_assert_uint_eq(moved, 3);
	ck_assert_ptr_eq(out[0], tu_item(6));
	ck_assert_ptr_eq(out[1], tu_item(7));
	ck_assert_ptr_eq(out[2], tu_item(8));
	expect_drain(q, NULL, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(drained_queue_gives_done_forever)
{
	workq_t *q = tu_queue(2);
	struct timespec zero = tu_ts(0, 0);
	struct timespec ms50 = tu_ms(50);
	int64_t t0;
	int i;

	ck_assert_int_eq(workq_close(q), 0);
	t0 = tu_now_ns();
	for (i = 0; i < 100; i++) {
		void *out[2] = { UNTOUCHED, UNTOUCHED };
		void *item;
		size_t moved;

		item = UNTOUCHED;
		ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, &zero),
		                 WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, &ms50),
		                 WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_timed_get(q, &item, NULL),
		                 WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		moved = 99;
		ck_assert_int_eq(workq_get_many(q, out, 2, &moved),
		                 WORKQ_CLOSED);
		ck_assert_uint_eq(moved, 0);
		ck_assert_uint_eq(workq_size(q), 0);
	}
	/* At once: none of the 100 timed_gets waited its 50 ms. */
	ck_assert_int_lt(tu_now_ns() - t0, 5000000000LL);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Putting WORKQ_DONE                                                  */
/* ------------------------------------------------------------------ */

/* put, try_put and timed_put given WORKQ_DONE close the queue and
 * return 0, on an open queue (items kept), a full one (no waiting) and a
 * closed one. */
START_TEST(put_done_closes_queue)
{
	struct timespec zero = tu_ts(0, 0);
	struct timespec ms50 = tu_ms(50);
	static const uintptr_t want[] = { 1, 2 };
	int variant;

	for (variant = 0; variant < 5; variant++) {
		int full;

		for (full = 0; full <= 1; full++) {
			workq_t *q = tu_queue(full ? 2 : 3);
			int err = -1, again;

			ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
			ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
			for (again = 0; again <= 1; again++) {
				switch (variant) {
				case 0:
					err = workq_put(q, WORKQ_DONE);
					break;
				case 1:
					err = workq_try_put(q, WORKQ_DONE);
					break;
				case 2:
					err = workq_timed_put(q, WORKQ_DONE,
					                      NULL);
					break;
				case 3:
					err = workq_timed_put(q, WORKQ_DONE,
					                      &zero);
					break;
				case 4:
					err = workq_timed_put(q, WORKQ_DONE,
					                      &ms50);
					break;
				}
				ck_assert_msg(err == 0,
				              "variant %d full %d again %d: %d",
				              variant, full, again, err);
				ck_assert_int_eq(workq_is_closed(q), 1);
				ck_assert_uint_eq(workq_size(q), 2);
			}
			ck_assert_int_eq(workq_put(q, tu_item(3)),
			                 WORKQ_CLOSED);
			expect_drain(q, want, 2);
			/* And on the closed, drained queue. */
			ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
			ck_assert_int_eq(workq_try_put(q, WORKQ_DONE), 0);
			ck_assert_int_eq(workq_timed_put(q, WORKQ_DONE, &zero),
			                 0);
			expect_drain(q, NULL, 0);
			ck_assert_int_eq(workq_destroy(q), 0);
		}
	}
}
END_TEST

/* Closing by putting WORKQ_DONE wakes blocked threads like close. */
START_TEST(put_done_on_full_queue_wakes_blocked_producer)
{
	workq_t *q = tu_queue(1);
	static const uintptr_t want[] = { 1 };
	struct call c;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	call_init(&c, q, OP_PUT, tu_item(2));
	call_start_blocked(&c);
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	expect_drain(q, want, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waking blocked threads                                              */
/* ------------------------------------------------------------------ */

START_TEST(close_wakes_all_blocked_consumers)
{
	static const enum op ops[] = {
		OP_GET, OP_GET, OP_GET, OP_TIMED_GET, OP_TIMED_GET,
		OP_GET_MANY, OP_GET_MANY
	};
	enum { N = sizeof(ops) / sizeof(ops[0]) };
	workq_t *q = tu_queue(2);
	struct call c[N];
	size_t i;

	for (i = 0; i < N; i++) {
		call_init(&c[i], q, ops[i], UNTOUCHED);
		c[i].n = 2;
		c[i].items[0] = UNTOUCHED;
		c[i].ts = tu_ts(60, 0);
		c[i].timeout = i == 3 ? NULL : &c[i].ts;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(call_finish(&c[i]), WORKQ_CLOSED);
		if (ops[i] == OP_GET_MANY) {
			ck_assert_uint_eq(c[i].moved, 0);
		} else {
			ck_assert_ptr_eq(c[i].item, WORKQ_DONE);
		}
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(close_wakes_all_blocked_producers)
{
	static const enum op ops[] = {
		OP_PUT, OP_PUT, OP_PUT, OP_TIMED_PUT, OP_TIMED_PUT,
		OP_PUT_MANY
	};
	enum { N = sizeof(ops) / sizeof(ops[0]) };
	static const uintptr_t want[] = { 1, 2 };
	workq_t *q = tu_queue(2);
	struct call c[N];
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	for (i = 0; i < N; i++) {
		call_init(&c[i], q, ops[i], tu_item(10 + i));
		c[i].items[0] = tu_item(100);
		c[i].items[1] = tu_item(101);
		c[i].n = 2;
		c[i].ts = tu_ts(60, 0);
		c[i].timeout = i == 3 ? NULL : &c[i].ts;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_close(q), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(call_finish(&c[i]), WORKQ_CLOSED);
		if (ops[i] == OP_PUT_MANY)
			ck_assert_uint_eq(c[i].moved, 0);
	}
	/* Their items are not in the queue. */
	ck_assert_uint_eq(workq_size(q), 2);
	expect_drain(q, want, 2);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The seed program's protocol                                         */
/* ------------------------------------------------------------------ */

/* A consumer as in the seed program: on seeing the sentinel it re-posts
 * it for the others and stops. */
struct consumer {
	workq_t *q;
	uintptr_t sum;
	size_t count;
	int last_err;           /* what get returned with the sentinel */
	int repost_err;         /* what put(WORKQ_DONE) returned */
	int bad;                /* a wrong item or return code */
};

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;

	for (;;) {
		void *item = UNTOUCHED;
		int err = workq_get(c->q, &item);

		if (item == WORKQ_DONE) {
			c->last_err = err;
			c->repost_err = workq_put(c->q, WORKQ_DONE);
			break;
		}
		if (err != 0 || item == UNTOUCHED) {
			c->bad = 1;
			break;
		}
		c->sum += tu_num(item);
		c->count++;
	}
	return NULL;
}

START_TEST(consumers_reposting_done_all_terminate)
{
	enum { NCONS = 4 };
	struct consumer c[NCONS];
	pthread_t t[NCONS];
	workq_t *q = tu_queue(4);
	uintptr_t n = (uintptr_t)tu_scaled(5000), i, sum = 0;
	size_t count = 0;
	int k;

	for (k = 0; k < NCONS; k++) {
		memset(&c[k], 0, sizeof(c[k]));
		c[k].q = q;
		c[k].last_err = -1;
		c[k].repost_err = -1;
		t[k] = tu_spawn(consumer_main, &c[k]);
	}
	for (i = 1; i <= n; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	/* The pusher's last act, as in the seed program. */
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	for (k = 0; k < NCONS; k++) {
		tu_join(t[k]);
		ck_assert_int_eq(c[k].bad, 0);
		ck_assert_int_eq(c[k].last_err, WORKQ_CLOSED);
		ck_assert_int_eq(c[k].repost_err, 0);
		sum += c[k].sum;
		count += c[k].count;
	}
	ck_assert_uint_eq(count, n);
	ck_assert_uint_eq(sum, n * (n + 1) / 2);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* close racing put                                                    */
/* ------------------------------------------------------------------ */

enum { RACE_ITEMS = 6 };

struct race {
	workq_t *q;
	pthread_barrier_t *start;
	int variant;
	int put_err[RACE_ITEMS + 1];    /* indexed by item number */
	int got[RACE_ITEMS + 1];        /* times each item was received */
	uintptr_t order[RACE_ITEMS];    /* items in the order received */
	size_t ngot;
	int end_err;
	int bad;
};

static void *race_producer(void *arg)
{
	struct race *r = arg;
	struct timespec ts = tu_ts(10, 0);
	uintptr_t i;

	pthread_barrier_wait(r->start);
	for (i = 1; i <= RACE_ITEMS; i++) {
		switch ((r->variant + (int)i) % 4) {
		case 0:
			r->put_err[i] = workq_put(r->q, tu_item(i));
			break;
		case 1:
			do
				r->put_err[i] = workq_try_put(r->q, tu_item(i));
			while (r->put_err[i] == EAGAIN);
			break;
		case 2:
			r->put_err[i] = workq_timed_put(r->q, tu_item(i), &ts);
			break;
		default: {
			void *one[1];
			size_t moved = 99;

			one[0] = tu_item(i);
			r->put_err[i] = workq_put_many(r->q, one, 1, &moved);
			if (moved != (r->put_err[i] == 0 ? 1u : 0u))
				r->bad = 1;
			break;
		}
		}
	}
	return NULL;
}

static void *race_consumer(void *arg)
{
	struct race *r = arg;
	void *item = UNTOUCHED;
	int err;

	pthread_barrier_wait(r->start);
	while ((err = workq_get(r->q, &item)) == 0) {
		uintptr_t n = tu_num(item);

		if (n < 1 || n > RACE_ITEMS || r->ngot >= RACE_ITEMS) {
			r->bad = 1;
			continue;
		}
		r->got[n]++;
		r->order[r->ngot++] = n;
	}
	r->end_err = err;
	if (item != WORKQ_DONE)
		r->bad = 1;
	return NULL;
}

/* close races a producer (and a consumer on a queue small enough that the
 * producer sometimes blocks): an item is received iff its put returned
 * 0, once, in order, and once a put is refused every later one is. */
START_TEST(close_racing_put_loses_no_item)
{
	long round, rounds = tu_scaled(2000);

	for (round = 0; round < rounds; round++) {
		pthread_barrier_t start;
		struct race r;
		pthread_t tp, tc;
		uintptr_t i;
		size_t k;

		memset(&r, 0, sizeof(r));
		r.q = tu_queue(round % 3 == 0 ? 1 : 2);
		r.start = &start;
		r.variant = (int)(round % 4);
		r.end_err = -1;
		pthread_barrier_init(&start, NULL, 3);
		tp = tu_spawn(race_producer, &r);
		tc = tu_spawn(race_consumer, &r);
		pthread_barrier_wait(&start);
		if (round % 2 == 0)
			ck_assert_int_eq(workq_close(r.q), 0);
		else
			ck_assert_int_eq(workq_put(r.q, WORKQ_DONE), 0);
		tu_join(tp);
		tu_join(tc);
		pthread_barrier_destroy(&start);

		ck_assert_int_eq(r.bad, 0);
		ck_assert_int_eq(r.end_err, WORKQ_CLOSED);
		for (i = 1; i <= RACE_ITEMS; i++) {
			ck_assert_msg(r.put_err[i] == 0 ||
			              r.put_err[i] == WORKQ_CLOSED,
			              "round %ld item %zu: put gave %d", round,
			              (size_t)i, r.put_err[i]);
			ck_assert_msg(r.got[i] == (r.put_err[i] == 0),
			              "round %ld item %zu: put gave %d, "
			              "received %d times", round, (size_t)i,
			              r.put_err[i], r.got[i]);
			if (i > 1 && r.put_err[i - 1] == WORKQ_CLOSED)
				ck_assert_int_eq(r.put_err[i], WORKQ_CLOSED);
		}
		for (k = 0; k < r.ngot; k++)
			ck_assert_uint_eq(r.order[k], k + 1);
		ck_assert_uint_eq(workq_size(r.q), 0);
		ck_assert_int_eq(workq_destroy(r.q), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("close");
	TCase *tc = tcase_create("close");
	TCase *td = tcase_create("done");
	TCase *tw = tcase_create("wake");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, close_is_idempotent);
	tcase_add_test(tc, is_closed_reports_zero_then_one);
	tcase_add_test(tc, close_on_full_queue_does_not_block);
	tcase_add_test(tc, every_put_variant_is_refused_after_close);
	tcase_add_test(tc, put_on_full_closed_queue_is_refused_at_once);
	tcase_add_test(tc, close_keeps_accepted_items_in_order);
	tcase_add_test(tc, drained_queue_gives_done_forever);
	suite_add_tcase(s, tc);

	tcase_set_timeout(td, TU_TIMEOUT);
	tcase_add_test(td, put_done_closes_queue);
	tcase_add_test(td, put_done_on_full_queue_wakes_blocked_producer);
	tcase_add_test(td, consumers_reposting_done_all_terminate);
	suite_add_tcase(s, td);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, close_wakes_all_blocked_consumers);
	tcase_add_test(tw, close_wakes_all_blocked_producers);
	tcase_add_test(tw, close_racing_put_loses_no_item);
	suite_add_tcase(s, tw);
	return tu_run(s);
}
