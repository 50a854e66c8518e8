/*
 * check_batch.c - put_many and get_many: order, partial progress (put_many
 * fills slots as they free, get_many takes what is there), their argument
 * errors and closed results, *nput / *ngot on every return, and waking as
 * many single-item waiters as a batch made progress possible for.
 */
#include "testcall.h"

#include <semaphore.h>

/* Waits (up to about 5 s) until q holds n items: the state a blocked
 * put_many reaches once it has filled the slots it can. */
static void wait_for_size(workq_t *q, size_t n)
{
	int i;

	for (i = 0; i < 5000 && workq_size(q) != n; i++)
		tu_sleep_ms(1);
	ck_assert_uint_eq(workq_size(q), n);
}

/* ------------------------------------------------------------------ */
/* put_many                                                            */
/* ------------------------------------------------------------------ */

START_TEST(put_many_puts_all_in_order)
{
	workq_t *q = tu_queue(8);
	void *items[6] = {
		tu_item(1), tu_item(2), NULL, tu_item(4), tu_item(5), tu_item(6)
	};
	void *item;
	size_t moved = 99, i;

	ck_assert_int_eq(workq_put(q, tu_item(100)), 0);
	ck_assert_int_eq(workq_put_many(q, items, 6, &moved), 0);
	ck_assert_uint_eq(moved, 6);
	ck_assert_uint_eq(workq_size(q), 7);
	ck_assert_int_eq(workq_put_many(q, items, 1, &moved), 0);
	ck_assert_uint_eq(moved, 1);
	ck_assert_uint_eq(workq_size(q), 8);

	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(100));
	for (i = 0; i < 6; i++) {
		item = UNTOUCHED;
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, items[i]);
	}
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(put_many_of_zero_returns_at_once)
{
	workq_t *q = tu_queue(1);
	void *items[1] = { tu_item(1) };
	size_t moved;

	moved = 99;
	ck_assert_int_eq(workq_put_many(q, NULL, 0, &moved), 0);
	ck_assert_uint_eq(moved, 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, items, 0, &moved), 0);
	ck_assert_uint_eq(moved, 0);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_put_many(q, NULL, 0, NULL), EINVAL);

	/* On a full queue: nothing to wait for. */
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, NULL, 0, &moved), 0);
	ck_assert_uint_eq(moved, 0);
	ck_assert_uint_eq(workq_size(q), 1);

	/* On a closed queue: WORKQ_CLOSED. */
	ck_assert_int_eq(workq_close(q), 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, NULL, 0, &moved), WORKQ_CLOSED);
	ck_assert_uint_eq(moved, 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, items, 0, &moved), WORKQ_CLOSED);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_put_many(q, NULL, 0, NULL), EINVAL);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* WORKQ_DONE anywhere among the items: EINVAL, nothing put, the queue
 * stays open; before WORKQ_CLOSED, and without waiting for room. */
START_TEST(put_many_with_done_item_is_einval)
{
	workq_t *q = tu_queue(3);
	void *items[4];
	void *item;
	size_t moved, pos;

	for (pos = 0; pos < 4; pos++) {
		size_t i;

		for (i = 0; i < 4; i++)
			items[i] = i == pos ? WORKQ_DONE : tu_item(i + 1);
		/* Room for the items before the sentinel. */
		moved = 99;
		ck_assert_int_eq(workq_put_many(q, items, 4, &moved), EINVAL);
		ck_assert_uint_eq(moved, 0);
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_is_closed(q), 0);
	}
	/* Full: EINVAL at once, not a wait. */
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(8)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(9)), 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, items, 4, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_uint_eq(workq_size(q), 3);
	/* Closed: the argument error still comes first. */
	ck_assert_int_eq(workq_close(q), 0);
	moved = 99;
	ck_assert_int_eq(workq_put_many(q, items, 4, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);

	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(7));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(8));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(9));
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A put_many of more items than there is room for puts what fits, then
 * waits for each freed slot: it does not wait for room for all of them. */
START_TEST(put_many_fills_slots_as_they_free)
{
	workq_t *q = tu_queue(4);
	struct call c;
	uintptr_t i;

	call_init(&c, q, OP_PUT_MANY, NULL);
	c.n = 10;
	for (i = 0; i < 10; i++)
		c.items[i] = tu_item(i + 1);
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_uint_eq(workq_size(q), 4);        /* filled what it could */

	for (i = 1; i <= 10; i++) {
		void *item = UNTOUCHED;

		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i));
	}
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.moved, 10);
	ck_assert_uint_eq(workq_size(q), 0);

	/* Fewer items than the capacity, but more than the free slots: it
	 * still fills the free slots first. */
	ck_assert_int_eq(workq_put(q, tu_item(100)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(101)), 0);
	call_init(&c, q, OP_PUT_MANY, NULL);
	c.n = 3;
	for (i = 0; i < 3; i++)
		c.items[i] = tu_item(i + 1);
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_uint_eq(workq_size(q), 4);
	for (i = 0; i < 5; i++) {
		void *item = UNTOUCHED;

		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i < 2 ? 100 + i : i - 1));
	}
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.moved, 3);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

struct many_producer {
	workq_t *q;
	void **items;
	size_t n;
	size_t moved;
	int err;
};

static void *many_producer_main(void *arg)
{
	struct many_producer *p = arg;

	p->err = workq_put_many(p->q, p->items, p->n, &p->moved);
	return NULL;
}

/* One put_many far larger than the queue, against a consumer taking
 * batches: everything arrives, in order. */
START_TEST(put_many_larger_than_capacity_arrives_in_order)
{
	struct many_producer p;
	pthread_t t;
	size_t i, next = 0;

	p.n = (size_t)tu_scaled(20000);
	p.items = malloc(p.n * sizeof(void *));
	ck_assert_ptr_nonnull(p.items);
	for (i = 0; i < p.n; i++)
		p.items[i] = tu_item(i + 1);
	p.q = tu_queue(5);
	p.moved = 99;
	p.err = -1;
	t = tu_spawn(many_producer_main, &p);
	while (next < p.n) {
		void *out[3];
		size_t got = 0, k;
		int err = workq_get_many(p.q, out, 3, &got);

		if (err != 0 || got < 1 || got > 3)
			break;
		for (k = 0; k < got; k++)
			if (out[k] != tu_item(++next))
				break;
		if (k < got)
			break;
	}
	if (next < p.n)
		workq_close(p.q);       /* let the producer go, then fail */
	tu_join(t);
	ck_assert_uint_eq(next, p.n);
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.moved, p.n);
	ck_assert_uint_eq(workq_size(p.q), 0);
	ck_assert_int_eq(workq_destroy(p.q), 0);
	free(p.items);
}
END_TEST

/* Two producers' put_many interleave, each keeping its own order. */
START_TEST(put_many_keeps_order_among_other_producers)
{
	enum { NPROD = 2 };
	struct many_producer p[NPROD];
	pthread_t t[NPROD];
	uintptr_t next[NPROD];
	size_t n = (size_t)tu_scaled(10000), i, total = 0;
	workq_t *q = tu_queue(3);
	int k, bad = 0;

	for (k = 0; k < NPROD; k++) {
		p[k].q = q;
		p[k].n = n;
		p[k].items = malloc(n * sizeof(void *));
		ck_assert_ptr_nonnull(p[k].items);
		for (i = 0; i < n; i++)
			p[k].items[i] = tu_item(((uintptr_t)k << 24) | (i + 1));
		p[k].err = -1;
		next[k] = 1;
		t[k] = tu_spawn(many_producer_main, &p[k]);
	}
	for (total = 0; total < NPROD * n; total++) {
		void *item;
		uintptr_t v, who;

		if (workq_get(q, &item) != 0) {
			bad = 1;
			break;
		}
		v = tu_num(item);
		who = v >> 24;
		if (who >= NPROD || (v & 0xffffff) != next[who]) {
			bad = 1;
			break;
		}
		next[who]++;
	}
	if (bad)
		workq_close(q);
	for (k = 0; k < NPROD; k++) {
		tu_join(t[k]);
		free(p[k].items);
	}
	ck_assert_int_eq(bad, 0);
	for (k = 0; k < NPROD; k++) {
		ck_assert_int_eq(p[k].err, 0);
		ck_assert_uint_eq(p[k].moved, n);
		ck_assert_uint_eq(next[k], n + 1);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A put_many cut short by close reports how many it put; exactly those
 * are received. */
START_TEST(put_many_cut_short_by_close_reports_count)
{
	workq_t *q = tu_queue(3);
	struct call c;
	uintptr_t i;
	void *item;

	call_init(&c, q, OP_PUT_MANY, NULL);
	c.n = 10;
	for (i = 0; i < 10; i++)
		c.items[i] = tu_item(i + 1);
	call_start_blocked(&c);
	ck_assert_uint_eq(workq_size(q), 3);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	wait_for_size(q, 3);            /* it put 4 and 5, and waits again */
	ck_assert_int_eq(call_returned_after_pause(&c), 0);

	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	ck_assert_uint_eq(c.moved, 5);
	for (i = 3; i <= 5; i++) {
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i));
	}
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The same, racing: a put_many, a consumer and close start together.
 * The consumer receives exactly items 1..*nput, in order. */
enum { RACE_N = 8 };

struct race {
	workq_t *q;
	pthread_barrier_t *start;
	void *items[RACE_N];
	size_t nput;
	int put_err;
	uintptr_t got[RACE_N + 1];
	size_t ngot;
	int get_err;
	int bad;
};

static void *race_producer(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(r->start);
	r->put_err = workq_put_many(r->q, r->items, RACE_N, &r->nput);
	return NULL;
}

static void *race_consumer(void *arg)
{
	struct race *r = arg;
	void *out[2];
	size_t got = 99, k;
	int err;

	pthread_barrier_wait(r->start);
	while ((err = workq_get_many(r->q, out, 2, &got)) == 0) {
		for (k = 0; k < got; k++) {
			if (r->ngot >= RACE_N) {
				r->bad = 1;
				break;
			}
			r->got[r->ngot++] = tu_num(out[k]);
		}
	}
	r->get_err = err;
	if (got != 0)
		r->bad = 1;
	return NULL;
}

START_TEST(put_many_racing_close_puts_exactly_nput)
{
	long round, rounds = tu_scaled(1000);

	for (round = 0; round < rounds; round++) {
		pthread_barrier_t start;
		struct race r;
		pthread_t tp, tc;
		size_t i;

		memset(&r, 0, sizeof(r));
		r.q = tu_queue(round % 2 == 0 ? 1 : 3);
		r.start = &start;
		for (i = 0; i < RACE_N; i++)
			r.items[i] = tu_item(i + 1);
		r.nput = 99;
		r.put_err = r.get_err = -1;
		pthread_barrier_init(&start, NULL, 3);
		tp = tu_spawn(race_producer, &r);
		tc = tu_spawn(race_consumer, &r);
		pthread_barrier_wait(&start);
		ck_assert_int_eq(workq_close(r.q), 0);
		tu_join(tp);
		tu_join(tc);
		pthread_barrier_destroy(&start);

		ck_assert_int_eq(r.bad, 0);
		ck_assert_int_eq(r.get_err, WORKQ_CLOSED);
		ck_assert_uint_le(r.nput, RACE_N);
		/* 0 when all were put, else WORKQ_CLOSED. */
		ck_assert_int_eq(r.put_err,
		                 r.nput == RACE_N ? 0 : WORKQ_CLOSED);
		ck_assert_msg(r.ngot == r.nput,
		              "round %ld: put %zu, received %zu", round, r.nput,
		              r.ngot);
		for (i = 0; i < r.ngot; i++)
			ck_assert_uint_eq(r.got[i], i + 1);
		ck_assert_int_eq(workq_destroy(r.q), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* get_many                                                            */
/* ------------------------------------------------------------------ */

START_TEST(get_many_takes_what_is_queued_up_to_max)
{
	workq_t *q = tu_queue(8);
	void *out[10];
	size_t moved, i;
	uintptr_t n;

	for (n = 1; n <= 5; n++)
		ck_assert_int_eq(workq_put(q, tu_item(n)), 0);
	for (i = 0; i < 10; i++)
		out[i] = UNTOUCHED;
	ck_assert_int_eq(workq_get_many(q, out, 3, &moved), 0);
	ck_assert_uint_eq(moved, 3);
	ck_assert_ptr_eq(out[0], tu_item(1));
	ck_assert_ptr_eq(out[1], tu_item(2));
	ck_assert_ptr_eq(out[2], tu_item(3));
	ck_assert_ptr_eq(out[3], UNTOUCHED);        /* max respected */
	ck_assert_uint_eq(workq_size(q), 2);

	/* Fewer queued than max: takes them and returns, no waiting. */
	ck_assert_int_eq(workq_get_many(q, out, 10, &moved), 0);
	ck_assert_uint_eq(moved, 2);
	ck_assert_ptr_eq(out[0], tu_item(4));
	ck_assert_ptr_eq(out[1], tu_item(5));
	ck_assert_uint_eq(workq_size(q), 0);

	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(workq_get_many(q, out, 1, &moved), 0);
	ck_assert_uint_eq(moved, 1);
	ck_assert_ptr_null(out[0]);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(get_many_max_zero_is_einval)
{
	workq_t *q = tu_queue(2);
	void *out[2] = { UNTOUCHED, UNTOUCHED };
	size_t moved;

	moved = 99;
	ck_assert_int_eq(workq_get_many(q, out, 0, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	moved = 99;
	ck_assert_int_eq(workq_get_many(q, out, 0, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_ptr_eq(out[0], UNTOUCHED);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_close(q), 0);
	moved = 99;
	ck_assert_int_eq(workq_get_many(q, out, 0, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_get_many(q, out, 2, &moved), 0);
	ck_assert_uint_eq(moved, 1);
	moved = 99;
	ck_assert_int_eq(workq_get_many(q, out, 0, &moved), EINVAL);
	ck_assert_uint_eq(moved, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(get_many_blocks_while_empty_until_put)
{
	workq_t *q = tu_queue(4);
	void *two[2] = { tu_item(7), tu_item(8) };
	size_t moved;
	struct call c;

	call_init(&c, q, OP_GET_MANY, NULL);
	c.n = 4;
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_put_many(q, two, 2, &moved), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.moved, 2);              /* both were there */
	ck_assert_ptr_eq(c.items[0], tu_item(7));
	ck_assert_ptr_eq(c.items[1], tu_item(8));
	ck_assert_ptr_eq(c.items[2], UNTOUCHED);

	/* One item releases it with one. */
	call_init(&c, q, OP_GET_MANY, NULL);
	c.n = 4;
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.moved, 1);
	ck_assert_ptr_null(c.items[0]);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(get_many_after_close_drains_then_closed)
{
	workq_t *q = tu_queue(8);
	void *out[3];
	size_t moved;
	uintptr_t n;
	int i;

	for (n = 1; n <= 5; n++)
		ck_assert_int_eq(workq_put(q, tu_item(n)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_get_many(q, out, 3, &moved), 0);
	ck_assert_uint_eq(moved, 3);
	ck_assert_ptr_eq(out[0], tu_item(1));
	ck_assert_ptr_eq(out[2], tu_item(3));
	ck_assert_int_eq(workq_get_many(q, out, 3, &moved), 0);
	ck_assert_uint_eq(moved, 2);
	ck_assert_ptr_eq(out[0], tu_item(4));
	ck_assert_ptr_eq(out[1], tu_item(5));
	for (i = 0; i < 10; i++) {
		moved = 99;
		ck_assert_int_eq(workq_get_many(q, out, 3, &moved),
		                 WORKQ_CLOSED);
		ck_assert_uint_eq(moved, 0);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Moves a batch of two through the empty queue q (capacity >= 2), which
 * starts the consumers' streak, then starts c as a get_many of up to 8
 * and checks that it blocks. */
static void start_get_many_after_a_batch(workq_t *q, struct call *c)
{
	void *two[2] = { tu_item(1), tu_item(2) };
	void *out[8];
	size_t moved;

	ck_assert_int_eq(workq_put_many(q, two, 2, &moved), 0);
	ck_assert_int_eq(workq_get_many(q, out, 8, &moved), 0);
	ck_assert_uint_eq(moved, 2);
	call_init(c, q, OP_GET_MANY, NULL);
	c->n = 8;
	call_start_blocked(c);
	ck_assert_int_eq(call_returned_after_pause(c), 0);
}

/*
 * A get_many that follows batches of two or more items treats the queue
 * as streaming and holds off briefly before it first looks at an empty
 * queue (lib/queue.c, hold_off()): it must still wake for one item, and
 * for close.
 */
START_TEST(get_many_after_batches_still_wakes_for_one_and_close)
{
	workq_t *q = tu_queue(8);
	struct call c;

	start_get_many_after_a_batch(q, &c);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(c.moved, 1);
	ck_assert_ptr_eq(c.items[0], tu_item(3));

	start_get_many_after_a_batch(q, &c);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	ck_assert_uint_eq(c.moved, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The producers' counterpart: after put_many found room for two or more,
 * a put blocked on a full queue holds off first, and must still wake for
 * one free slot, and for close. */
START_TEST(put_after_batches_still_wakes_for_one_slot_and_close)
{
	workq_t *q = tu_queue(4);
	void *four[4] = { tu_item(1), tu_item(2), tu_item(3), tu_item(4) };
	void *item = UNTOUCHED;
	size_t moved;
	struct call c;

	ck_assert_int_eq(workq_put_many(q, four, 4, &moved), 0);
	call_init(&c, q, OP_PUT, tu_item(5));
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(workq_size(q), 4);

	call_init(&c, q, OP_PUT, tu_item(6));
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(call_finish(&c), WORKQ_CLOSED);
	ck_assert_uint_eq(workq_size(q), 4);        /* 6 stayed the caller's */
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Both batch calls across the ring's end, at every offset. */
START_TEST(batches_wrap_around_the_ring)
{
	size_t cap = 5, offset;

	for (offset = 0; offset < 2 * cap; offset++) {
		workq_t *q = tu_queue(cap);
		void *in[5], *out[5];
		size_t i, moved;
		void *item;

		for (i = 0; i < offset; i++) {
			ck_assert_int_eq(workq_put(q, tu_item(99)), 0);
			ck_assert_int_eq(workq_get(q, &item), 0);
		}
		for (i = 0; i < cap; i++)
			in[i] = tu_item(10 + i);
		ck_assert_int_eq(workq_put_many(q, in, cap, &moved), 0);
		ck_assert_uint_eq(moved, cap);
		ck_assert_uint_eq(workq_size(q), cap);
		ck_assert_int_eq(workq_get_many(q, out, cap, &moved), 0);
		ck_assert_uint_eq(moved, cap);
		for (i = 0; i < cap; i++)
			ck_assert_ptr_eq(out[i], in[i]);
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Batches wake as many waiters as they made progress possible for     */
/* ------------------------------------------------------------------ */

/* Lost-wakeup check: four consumers blocked in get, one put_many of
 * four; all four return, with nothing else happening. */
START_TEST(put_many_wakes_as_many_blocked_consumers)
{
	enum { N = 4 };
	workq_t *q = tu_queue(N);
	void *items[N];
	struct call c[N];
	int seen[N + 1] = { 0 };
	size_t moved, i;

	for (i = 0; i < N; i++) {
		call_init(&c[i], q, OP_GET, UNTOUCHED);
		call_start_blocked(&c[i]);
		items[i] = tu_item(i + 1);
	}
	ck_assert_int_eq(workq_put_many(q, items, N, &moved), 0);
	ck_assert_uint_eq(moved, N);
	for (i = 0; i < N; i++) {
		uintptr_t v;

		ck_assert_int_eq(call_finish(&c[i]), 0);
		v = tu_num(c[i].item);
		ck_assert(v >= 1 && v <= N);
		seen[v]++;
	}
	for (i = 1; i <= N; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Three consumers blocked, a put_many of two: two return, the third
 * keeps waiting (and gets the next item). */
START_TEST(put_many_of_fewer_items_wakes_that_many)
{
	enum { N = 3 };
	workq_t *q = tu_queue(4);
	void *items[2] = { tu_item(1), tu_item(2) };
	struct call c[N];
	sem_t any;
	size_t moved, i, waiting = N;
	int seen[N + 1] = { 0 };

	sem_init(&any, 0, 0);
	for (i = 0; i < N; i++) {
		call_init(&c[i], q, OP_GET, UNTOUCHED);
		c[i].notify = &any;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_put_many(q, items, 2, &moved), 0);
	while (sem_wait(&any) != 0)
		;
	while (sem_wait(&any) != 0)
		;
	tu_sleep_ms(50);        /* a chance for the third to return wrongly */
	ck_assert_int_ne(sem_trywait(&any), 0);
	for (i = 0; i < N; i++)
		if (!call_has_returned(&c[i]))
			waiting = i;
	ck_assert_uint_lt(waiting, N);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	for (i = 0; i < N; i++) {
		uintptr_t v;

		ck_assert_int_eq(call_finish(&c[i]), 0);
		v = tu_num(c[i].item);
		ck_assert(v >= 1 && v <= N);
		seen[v]++;
	}
	ck_assert_ptr_eq(c[waiting].item, tu_item(3));
	for (i = 1; i <= N; i++)
		ck_assert_int_eq(seen[i], 1);
	sem_destroy(&any);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Four producers blocked on a full queue of four; one get_many of four
 * frees four slots, and all four producers return. */
START_TEST(get_many_wakes_as_many_blocked_producers)
{
	enum { N = 4 };
	workq_t *q = tu_queue(N);
	struct call c[N];
	void *out[N];
	int seen[N] = { 0 };
	size_t moved, i;

	for (i = 0; i < N; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i + 1)), 0);
	for (i = 0; i < N; i++) {
		call_init(&c[i], q, OP_PUT, tu_item(10 + i));
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_get_many(q, out, N, &moved), 0);
	ck_assert_uint_eq(moved, N);
	for (i = 0; i < N; i++)
		ck_assert_ptr_eq(out[i], tu_item(i + 1));
	for (i = 0; i < N; i++)
		ck_assert_int_eq(call_finish(&c[i]), 0);
	ck_assert_uint_eq(workq_size(q), N);
	for (i = 0; i < N; i++) {
		void *item;
		uintptr_t v;

		ck_assert_int_eq(workq_try_get(q, &item), 0);
		v = tu_num(item);
		ck_assert(v >= 10 && v < 10 + N);
		seen[v - 10]++;
	}
	for (i = 0; i < N; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Three producers blocked, a get_many of two: two return, the third
 * keeps waiting until one more slot frees. */
START_TEST(get_many_of_fewer_slots_wakes_that_many)
{
	enum { N = 3 };
	workq_t *q = tu_queue(N);
	struct call c[N];
	void *out[2];
	sem_t any;
	size_t moved, i, waiting = N;
	void *item;

	sem_init(&any, 0, 0);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i + 1)), 0);
	for (i = 0; i < N; i++) {
		call_init(&c[i], q, OP_PUT, tu_item(10 + i));
		c[i].notify = &any;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_get_many(q, out, 2, &moved), 0);
	ck_assert_uint_eq(moved, 2);
	while (sem_wait(&any) != 0)
		;
	while (sem_wait(&any) != 0)
		;
	tu_sleep_ms(50);
	ck_assert_int_ne(sem_trywait(&any), 0);
	ck_assert_uint_eq(workq_size(q), N);
	for (i = 0; i < N; i++)
		if (!call_has_returned(&c[i]))
			waiting = i;
	ck_assert_uint_lt(waiting, N);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(3));
	for (i = 0; i < N; i++)
		ck_assert_int_eq(call_finish(&c[i]), 0);
	ck_assert_uint_eq(workq_size(q), N);
	sem_destroy(&any);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batch");
	TCase *tp = tcase_create("put_many");
	TCase *tg = tcase_create("get_many");
	TCase *tw = tcase_create("wake");

	tcase_set_timeout(tp, TU_TIMEOUT);
	tcase_add_test(tp, put_many_puts_all_in_order);
	tcase_add_test(tp, put_many_of_zero_returns_at_once);
	tcase_add_test(tp, put_many_with_done_item_is_einval);
	tcase_add_test(tp, put_many_fills_slots_as_they_free);
	tcase_add_test(tp, put_many_larger_than_capacity_arrives_in_order);
	tcase_add_test(tp, put_many_keeps_order_among_other_producers);
	tcase_add_test(tp, put_many_cut_short_by_close_reports_count);
	tcase_add_test(tp, put_many_racing_close_puts_exactly_nput);
	suite_add_tcase(s, tp);

	tcase_set_timeout(tg, TU_TIMEOUT);
	tcase_add_test(tg, get_many_takes_what_is_queued_up_to_max);
	tcase_add_test(tg, get_many_max_zero_is_einval);
	tcase_add_test(tg, get_many_blocks_while_empty_until_put);
	tcase_add_test(tg, get_many_after_close_drains_then_closed);
	tcase_add_test(tg, get_many_after_batches_still_wakes_for_one_and_close);
	tcase_add_test(tg, put_after_batches_still_wakes_for_one_slot_and_close);
	tcase_add_test(tg, batches_wrap_around_the_ring);
	suite_add_tcase(s, tg);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, put_many_wakes_as_many_blocked_consumers);
	tcase_add_test(tw, put_many_of_fewer_items_wakes_that_many);
	tcase_add_test(tw, get_many_wakes_as_many_blocked_producers);
	tcase_add_test(tw, get_many_of_fewer_slots_wakes_that_many);
	suite_add_tcase(s, tw);
	return tu_run(s);
}
