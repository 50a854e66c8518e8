/*
 * check_fifo.c - items come out in the order the queue accepted them
 * (NULL included), across the ring's wrap-around; size and capacity; the
 * bounds: try_* gives EAGAIN, put blocks while full and get while empty.
 */
#include "testcall.h"

/* ------------------------------------------------------------------ */
/* Order                                                               */
/* ------------------------------------------------------------------ */

START_TEST(fifo_order_is_kept)
{
	workq_t *q = tu_queue(8);
	uintptr_t i;
	void *item;

	for (i = 1; i <= 8; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i * 3)), 0);
	for (i = 1; i <= 8; i++) {
		item = UNTOUCHED;
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i * 3));
	}
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* NULL is an item like any other, for every put and get variant. */
START_TEST(fifo_null_is_a_valid_item)
{
	workq_t *q = tu_queue(8);
	struct timespec ts = tu_ms(100);
	void *many[3] = { NULL, tu_item(5), NULL };
	void *out[4];
	size_t moved = 0;
	void *item;

	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_try_put(q, NULL), 0);
	ck_assert_int_eq(workq_timed_put(q, NULL, &ts), 0);
	ck_assert_int_eq(workq_put_many(q, many, 3, &moved), 0);
	ck_assert_uint_eq(moved, 3);
	ck_assert_uint_eq(workq_size(q), 7);
	ck_assert_int_eq(workq_is_closed(q), 0);

	item = UNTOUCHED;
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_null(item);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_null(item);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_timed_get(q, &item, &ts), 0);
	ck_assert_ptr_null(item);
	out[0] = out[1] = out[2] = out[3] = UNTOUCHED;
	ck_assert_int_eq(workq_get_many(q, out, 4, &moved), 0);
	ck_assert_uint_eq(moved, 3);
	ck_assert_ptr_null(out[0]);
	ck_assert_ptr_eq(out[1], tu_item(5));
	ck_assert_ptr_null(out[2]);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/*
 * Fills and drains a queue whose ring starts at `offset` (after as many
 * dummy puts and gets), checking order, size and the bounds at each step:
 * JSR166's ArrayBlockingQueueTest does the same to cover wrap-around.
 */
static void fill_and_drain_at(size_t cap, size_t offset, uintptr_t base)
{
	workq_t *q = tu_queue(cap);
	void *item;
	size_t i;

	for (i = 0; i < offset; i++) {
		ck_assert_int_eq(workq_put(q, tu_item(999999)), 0);
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(999999));
	}
	ck_assert_uint_eq(workq_size(q), 0);
	for (i = 0; i < cap; i++) {
		ck_assert_uint_eq(workq_size(q), i);
		ck_assert_uint_eq(workq_capacity(q), cap);
		ck_assert_int_eq(workq_try_put(q, tu_item(base + i)), 0);
	}
	ck_assert_uint_eq(workq_size(q), cap);
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), EAGAIN);
	ck_assert_uint_eq(workq_size(q), cap);
	for (i = 0; i < cap; i++) {
		ck_assert_uint_eq(workq_size(q), cap - i);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_try_get(q, &item), 0);
		ck_assert_msg(item == tu_item(base + i),
		              "cap %zu offset %zu: item %zu is %zu", cap,
		              offset, i, (size_t)tu_num(item) - base);
	}
	ck_assert_uint_eq(workq_size(q), 0);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_uint_eq(workq_capacity(q), cap);
	ck_assert_int_eq(workq_destroy(q), 0);
}

START_TEST(fifo_wraps_around_at_every_offset)
{
	size_t cap, offset;

	for (cap = 1; cap <= 9; cap++)
		for (offset = 0; offset <= 2 * cap; offset++)
			fill_and_drain_at(cap, offset, 1000);
}
END_TEST

START_TEST(fifo_wraps_around_at_random_offsets)
{
	unsigned seed = 20260101u;
	int round;

	for (round = 0; round < 40; round++) {
		size_t cap = 1 + (size_t)rand_r(&seed) % 50;
		size_t offset = (size_t)rand_r(&seed) % (3 * cap);

		fill_and_drain_at(cap, offset, 1 + (uintptr_t)round * 100);
	}
}
END_TEST

/* Random bursts of puts and gets against a model of the queue: the
 * items come out numbered 1, 2, 3, ... whatever the ring's position. */
START_TEST(fifo_order_survives_random_bursts)
{
	workq_t *q = tu_queue(7);
	unsigned seed = 4242u;
	uintptr_t next_in = 1, next_out = 1;
	long round, rounds = tu_scaled(2000);

	for (round = 0; round < rounds; round++) {
		int burst = rand_r(&seed) % 9;
		int putting = rand_r(&seed) % 2;
		int k;

		for (k = 0; k < burst; k++) {
			size_t len = (size_t)(next_in - next_out);
			void *item = UNTOUCHED;

			ck_assert_uint_eq(workq_size(q), len);
			if (putting) {
				int err = workq_try_put(q, tu_item(next_in));

				ck_assert_int_eq(err, len < 7 ? 0 : EAGAIN);
				if (err == 0)
					next_in++;
			} else {
				int err = workq_try_get(q, &item);

				ck_assert_int_eq(err, len > 0 ? 0 : EAGAIN);
				if (err == 0) {
					ck_assert_ptr_eq(item,
					                 tu_item(next_out));
					next_out++;
				} else {
					ck_assert_ptr_eq(item, UNTOUCHED);
				}
			}
		}
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(capacity_one_holds_one_item)
{
	workq_t *q = tu_queue(1);
	uintptr_t i;
	void *item;

	for (i = 1; i <= 5; i++) {
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_try_put(q, tu_item(i)), 0);
		ck_assert_uint_eq(workq_size(q), 1);
		ck_assert_uint_eq(workq_capacity(q), 1);
		ck_assert_int_eq(workq_try_put(q, tu_item(100 + i)), EAGAIN);
		ck_assert_uint_eq(workq_size(q), 1);
		item = UNTOUCHED;
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i));
		ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The bounds without waiting                                          */
/* ------------------------------------------------------------------ */

START_TEST(try_put_on_full_queue_is_eagain_and_keeps_item)
{
	workq_t *q = tu_queue(3);
	uintptr_t i;
	void *item;

	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(77)), EAGAIN);
	ck_assert_int_eq(workq_try_put(q, NULL), EAGAIN);
	ck_assert_uint_eq(workq_size(q), 3);
	ck_assert_int_eq(workq_is_closed(q), 0);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(workq_try_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i));
	}
	/* The refused items are nowhere in the queue. */
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_ptr_eq(item, UNTOUCHED);
	/* Room again: try_put succeeds. */
	ck_assert_int_eq(workq_try_put(q, tu_item(78)), 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(78));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(try_get_on_empty_queue_is_eagain_and_keeps_itemp)
{
	workq_t *q = tu_queue(2);
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_ptr_null(item);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_ptr_eq(item, UNTOUCHED);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Blocking                                                            */
/* ------------------------------------------------------------------ */

START_TEST(put_blocks_while_full_until_get)
{
	workq_t *q = tu_queue(2);
	struct call c;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	call_init(&c, q, OP_PUT, tu_item(3));
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_uint_eq(workq_size(q), 2);

	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_uint_eq(workq_size(q), 2);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(3));             /* arrives last */
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(put_blocks_on_capacity_one)
{
	workq_t *q = tu_queue(1);
	struct call c;
	void *item;

	ck_assert_int_eq(workq_put(q, NULL), 0);
	call_init(&c, q, OP_PUT, tu_item(9));
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_null(item);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(9));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(get_blocks_while_empty_until_put)
{
	workq_t *q = tu_queue(2);
	struct call c;

	call_init(&c, q, OP_GET, UNTOUCHED);
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_put(q, tu_item(5)), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_ptr_eq(c.item, tu_item(5));
	ck_assert_uint_eq(workq_size(q), 0);

	/* Once more with NULL as the item that releases it. */
	call_init(&c, q, OP_GET, UNTOUCHED);
	call_start_blocked(&c);
	ck_assert_int_eq(call_returned_after_pause(&c), 0);
	ck_assert_int_eq(workq_put(q, NULL), 0);
	ck_assert_int_eq(call_finish(&c), 0);
	ck_assert_ptr_null(c.item);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A producer thread and this thread take turns blocking on a small
 * queue; the order holds throughout. */
struct producer {
	workq_t *q;
	uintptr_t n;
	int err;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	uintptr_t i;

	p->err = 0;
	for (i = 1; i <= p->n && p->err == 0; i++)
		p->err = workq_put(p->q, tu_item(i));
	return NULL;
}

START_TEST(fifo_order_holds_across_blocking)
{
	struct producer p;
	pthread_t t;
	uintptr_t i;

	p.q = tu_queue(3);
	p.n = (uintptr_t)tu_scaled(20000);
	t = tu_spawn(producer_main, &p);
	for (i = 1; i <= p.n; i++) {
		void *item = UNTOUCHED;
		int err = workq_get(p.q, &item);

		if (err != 0 || item != tu_item(i)) {
			/* Let the producer finish before failing. */
			workq_close(p.q);
			tu_join(t);
			ck_abort_msg("item %zu: err %d, got %zu", (size_t)i,
			             err, (size_t)tu_num(item));
		}
	}
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(workq_size(p.q), 0);
	ck_assert_int_eq(workq_destroy(p.q), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fifo");
	TCase *to = tcase_create("order");
	TCase *tb = tcase_create("bounds");

	tcase_set_timeout(to, TU_TIMEOUT);
	tcase_add_test(to, fifo_order_is_kept);
	tcase_add_test(to, fifo_null_is_a_valid_item);
	tcase_add_test(to, fifo_wraps_around_at_every_offset);
	tcase_add_test(to, fifo_wraps_around_at_random_offsets);
	tcase_add_test(to, fifo_order_survives_random_bursts);
	tcase_add_test(to, capacity_one_holds_one_item);
	suite_add_tcase(s, to);

	tcase_set_timeout(tb, TU_TIMEOUT);
	tcase_add_test(tb, try_put_on_full_queue_is_eagain_and_keeps_item);
	tcase_add_test(tb, try_get_on_empty_queue_is_eagain_and_keeps_itemp);
	tcase_add_test(tb, put_blocks_while_full_until_get);
	tcase_add_test(tb, put_blocks_on_capacity_one);
	tcase_add_test(tb, get_blocks_while_empty_until_put);
	tcase_add_test(tb, fifo_order_holds_across_blocking);
	suite_add_tcase(s, tb);
	return tu_run(s);
}
