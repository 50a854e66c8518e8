/*
 * check_discard.c - workq_discard: closes the queue and hands every queued
 * item to fn, oldest first, exactly once, with no lock held; discarded
 * items count as finished; blocked producers and consumers wake; items
 * are shared out exactly once between discard and running consumers.
 */
#include "testcall.h"

#include <semaphore.h>

/* ------------------------------------------------------------------ */
/* Recording what fn is handed                                         */
/* ------------------------------------------------------------------ */

enum { REC_MAX = 512 };

struct record {
	void *items[REC_MAX];
	size_t n;
};

static void record_item(void *item, void *arg)
{
	struct record *r = arg;

	if (r->n < REC_MAX)
		r->items[r->n] = item;
	r->n++;
}

/* ------------------------------------------------------------------ */
/* What discard does to the queue                                      */
/* ------------------------------------------------------------------ */

START_TEST(discard_hands_items_to_fn_oldest_first)
{
	workq_t *q = tu_queue(8);
	static struct record rec;
	void *want[5] = { tu_item(1), NULL, tu_item(3), tu_item(4), NULL };
	void *item;
	size_t i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(workq_put(q, want[i]), 0);
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	ck_assert_uint_eq(rec.n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_ptr_eq(rec.items[i], want[i]);

	/* Closed and empty. */
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 0);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_put(q, tu_item(9)), WORKQ_CLOSED);
	ck_assert_uint_eq(workq_size(q), 0);
	/* Nothing handed over twice. */
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	ck_assert_uint_eq(rec.n, 5);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(discard_with_null_fn_drops_items)
{
	workq_t *q = tu_queue(4);
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(discard_on_empty_queue_just_closes)
{
	workq_t *q = tu_queue(4);
	static struct record rec;
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	ck_assert_uint_eq(rec.n, 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), WORKQ_CLOSED);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	ck_assert_uint_eq(rec.n, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* On a queue closed earlier, discard hands over what consumers left. */
START_TEST(discard_on_closed_queue_hands_remaining_items)
{
	workq_t *q = tu_queue(4);
	static struct record rec;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_ptr_eq(rec.items[0], tu_item(2));
	ck_assert_ptr_eq(rec.items[1], tu_item(3));
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Batches of any size (discard may work in internal batches) keep the
 * order, hand each item over once, and work across the ring's end. */
START_TEST(discard_of_many_items_keeps_order)
{
	static const size_t counts[] = { 63, 64, 65, 127, 128, 129, 200, 300 };
	size_t t;

	for (t = 0; t < sizeof(counts) / sizeof(counts[0]); t++) {
		size_t n = counts[t], i;
		workq_t *q = tu_queue(300);
		static struct record rec;
		void *item;

		memset(&rec, 0, sizeof(rec));
		/* Start the ring near its end so that the items wrap. */
		for (i = 0; i < 250; i++) {
			ck_assert_int_eq(workq_put(q, NULL), 0);
			ck_assert_int_eq(workq_get(q, &item), 0);
			ck_assert_int_eq(workq_task_done(q), 0);
		}
		for (i = 0; i < n; i++)
			ck_assert_int_eq(workq_put(q, tu_item(i + 1)), 0);
		ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
		ck_assert_uint_eq(rec.n, n);
		for (i = 0; i < n; i++)
			ck_assert_msg(rec.items[i] == tu_item(i + 1),
			              "%zu items: #%zu is %zu", n, i,
			              (size_t)tu_num(rec.items[i]));
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_task_done(q), ERANGE);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* fn calling back into the queue                                      */
/* ------------------------------------------------------------------ */

struct reentry {
	workq_t *q;
	size_t calls;
	size_t size;
	size_t capacity;
	int is_closed;
	int put_err;
	int try_put_err;
	int put_done_err;
	int close_err;
	int try_get_err;
	void *try_got;
	int get_err;
	void *got;
	int task_done_err[2];
	int join_err;
	int discard_err;
};

static void reenter(void *item, void *arg)
{
	struct reentry *r = arg;

	(void)item;
	r->calls++;
	r->size = workq_size(r->q);
	r->capacity = workq_capacity(r->q);
	r->is_closed = workq_is_closed(r->q);
	r->put_err = workq_put(r->q, tu_item(50));
	r->try_put_err = workq_try_put(r->q, tu_item(51));
	r->put_done_err = workq_put(r->q, WORKQ_DONE);
	r->close_err = workq_close(r->q);
	r->try_got = UNTOUCHED;
	r->try_get_err = workq_try_get(r->q, &r->try_got);
	r->got = UNTOUCHED;
	r->get_err = workq_get(r->q, &r->got);          /* must not wait */
	/* The consumer's item is still unfinished; the discarded one is
	 * finished already. */
	r->task_done_err[0] = workq_task_done(r->q);
	r->task_done_err[1] = workq_task_done(r->q);
	r->join_err = workq_join(r->q);
	r->discard_err = workq_discard(r->q, NULL, NULL);
}

/* fn runs with no lock of the queue held: it may call the queue's own
 * functions (a held lock would deadlock here, and fail by timeout). */
START_TEST(discard_fn_may_call_queue_functions)
{
	workq_t *q = tu_queue(4);
	struct reentry r;
	void *item;

	memset(&r, 0, sizeof(r));
	r.q = q;
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);   /* taken, not done */
	ck_assert_int_eq(workq_discard(q, reenter, &r), 0);

	ck_assert_uint_eq(r.calls, 1);
	ck_assert_uint_eq(r.size, 0);
	ck_assert_uint_eq(r.capacity, 4);
	ck_assert_int_eq(r.is_closed, 1);
	ck_assert_int_eq(r.put_err, WORKQ_CLOSED);
	ck_assert_int_eq(r.try_put_err, WORKQ_CLOSED);
	ck_assert_int_eq(r.put_done_err, 0);
	ck_assert_int_eq(r.close_err, 0);
	ck_assert_int_eq(r.try_get_err, WORKQ_CLOSED);
	ck_assert_ptr_eq(r.try_got, WORKQ_DONE);
	ck_assert_int_eq(r.get_err, WORKQ_CLOSED);
	ck_assert_ptr_eq(r.got, WORKQ_DONE);
	ck_assert_int_eq(r.task_done_err[0], 0);
	ck_assert_int_eq(r.task_done_err[1], ERANGE);
	ck_assert_int_eq(r.join_err, 0);
	ck_assert_int_eq(r.discard_err, 0);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Discarded items are finished                                        */
/* ------------------------------------------------------------------ */

START_TEST(discarded_items_count_as_finished)
{
	workq_t *q = tu_queue(4);

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* task_done may finish items before any consumer took them (the count is
 * all that matters, as in Python); discarding those items must not count
 * them finished a second time: nothing is unfinished afterwards. */
START_TEST(discard_after_early_task_done_keeps_count_at_zero)
{
	workq_t *q = tu_queue(4);
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	/* Still nothing unfinished: ERANGE, and join returns at once. */
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(discard_releases_blocked_join)
{
	workq_t *q = tu_queue(4);
	struct call j;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Items a consumer took are not discarded: join still waits for their
 * task_done. */
START_TEST(discard_leaves_taken_items_unfinished)
{
	workq_t *q = tu_queue(4);
	struct call j;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(call_returned_after_pause(&j), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Items are finished as soon as discard removes them, before fn sees
 * them: a joiner returns while fn is still busy with the (only) item. */
START_TEST(discard_finishes_items_before_fn_sees_them)
{
	workq_t *q = tu_queue(4);
	struct call j, d;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	call_init(&j, q, OP_JOIN, NULL);
	call_start_blocked(&j);
	call_init(&d, q, OP_DISCARD, NULL);
	call_start(&d);
	while (sem_wait(&d.in_fn) != 0)
		;
	/* fn holds the item and waits for us; the join ends now. */
	ck_assert_int_eq(call_finish(&j), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	sem_post(&d.go);
	ck_assert_int_eq(call_finish(&d), 0);
	ck_assert_uint_eq(d.nfn, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waking blocked threads                                              */
/* ------------------------------------------------------------------ */

START_TEST(discard_wakes_blocked_producers)
{
	static const enum op ops[] = {
		OP_PUT, OP_PUT, OP_TIMED_PUT, OP_PUT_MANY
	};
	enum { N = sizeof(ops) / sizeof(ops[0]) };
	workq_t *q = tu_queue(2);
	static struct record rec;
	struct call c[N];
	size_t i;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	for (i = 0; i < N; i++) {
		call_init(&c[i], q, ops[i], tu_item(10 + i));
		c[i].items[0] = tu_item(20);
		c[i].items[1] = tu_item(21);
		c[i].n = 2;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(call_finish(&c[i]), WORKQ_CLOSED);
		if (ops[i] == OP_PUT_MANY)
			ck_assert_uint_eq(c[i].moved, 0);
	}
	/* fn saw the queued items only, not the refused ones. */
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_ptr_eq(rec.items[0], tu_item(1));
	ck_assert_ptr_eq(rec.items[1], tu_item(2));
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(discard_wakes_blocked_consumers)
{
	static const enum op ops[] = {
		OP_GET, OP_GET, OP_TIMED_GET, OP_GET_MANY
	};
	enum { N = sizeof(ops) / sizeof(ops[0]) };
	workq_t *q = tu_queue(2);
	static struct record rec;
	struct call c[N];
	size_t i;

	for (i = 0; i < N; i++) {
		call_init(&c[i], q, ops[i], UNTOUCHED);
		c[i].n = 2;
		call_start_blocked(&c[i]);
	}
	ck_assert_int_eq(workq_discard(q, record_item, &rec), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(call_finish(&c[i]), WORKQ_CLOSED);
		if (ops[i] == OP_GET_MANY)
			ck_assert_uint_eq(c[i].moved, 0);
		else
			ck_assert_ptr_eq(c[i].item, WORKQ_DONE);
	}
	ck_assert_uint_eq(rec.n, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Discard racing consumers                                            */
/* ------------------------------------------------------------------ */

enum { RACE_N = 200, RACE_CONSUMERS = 2 };

/* Per-thread tallies: how often each item came to this thread. */
struct tally {
	workq_t *q;
	pthread_barrier_t *start;
	unsigned char seen[RACE_N + 1];
	uintptr_t last;         /* items must come in increasing order */
	size_t count;
	int end_err;
	int bad;
};

static void tally_item(void *item, void *arg)
{
	struct tally *t = arg;
	uintptr_t v = tu_num(item);

	if (v < 1 || v > RACE_N || v <= t->last) {
		t->bad = 1;
		return;
	}
	t->seen[v]++;
	t->last = v;
	t->count++;
}

static void *race_consumer(void *arg)
{
	struct tally *t = arg;
	void *item = UNTOUCHED;
	int err;

	pthread_barrier_wait(t->start);
	while ((err = workq_get(t->q, &item)) == 0)
		tally_item(item, t);
	t->end_err = err;
	if (item != WORKQ_DONE)
		t->bad = 1;
	return NULL;
}

/* Consumers run while discard empties the queue: every accepted item
 * goes to exactly one consumer or to fn, exactly once; the consumers'
 * items stay unfinished, the discarded ones are finished. */
START_TEST(discard_racing_consumers_hands_each_item_once)
{
	long round, rounds = tu_scaled(300);

	for (round = 0; round < rounds; round++) {
		struct tally cons[RACE_CONSUMERS], fn;
		pthread_t t[RACE_CONSUMERS];
		pthread_barrier_t start;
		workq_t *q = tu_queue(RACE_N);
		size_t taken = 0, k;
		uintptr_t i;
		int c;

		for (i = 1; i <= RACE_N; i++)
			ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
		pthread_barrier_init(&start, NULL, RACE_CONSUMERS + 1);
		memset(&fn, 0, sizeof(fn));
		for (c = 0; c < RACE_CONSUMERS; c++) {
			memset(&cons[c], 0, sizeof(cons[c]));
			cons[c].q = q;
			cons[c].start = &start;
			cons[c].end_err = -1;
			t[c] = tu_spawn(race_consumer, &cons[c]);
		}
		pthread_barrier_wait(&start);
		ck_assert_int_eq(workq_discard(q, tally_item, &fn), 0);
		ck_assert_uint_eq(workq_size(q), 0);
		ck_assert_int_eq(workq_is_closed(q), 1);
		for (c = 0; c < RACE_CONSUMERS; c++)
			tu_join(t[c]);
		pthread_barrier_destroy(&start);

		ck_assert_int_eq(fn.bad, 0);
		for (c = 0; c < RACE_CONSUMERS; c++) {
			ck_assert_int_eq(cons[c].bad, 0);
			ck_assert_int_eq(cons[c].end_err, WORKQ_CLOSED);
			taken += cons[c].count;
		}
		for (i = 1; i <= RACE_N; i++) {
			int times = fn.seen[i];

			for (c = 0; c < RACE_CONSUMERS; c++)
				times += cons[c].seen[i];
			ck_assert_msg(times == 1,
			              "round %ld: item %zu handed out %d times",
			              round, (size_t)i, times);
		}
		ck_assert_uint_eq(taken + fn.count, RACE_N);
		/* Exactly the consumers' items are still unfinished. */
		for (k = 0; k < taken; k++)
			ck_assert_int_eq(workq_task_done(q), 0);
		ck_assert_int_eq(workq_task_done(q), ERANGE);
		ck_assert_int_eq(workq_join(q), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("discard");
	TCase *tq = tcase_create("queue");
	TCase *tf = tcase_create("finished");
	TCase *tw = tcase_create("wake");

	tcase_set_timeout(tq, TU_TIMEOUT);
	tcase_add_test(tq, discard_hands_items_to_fn_oldest_first);
	tcase_add_test(tq, discard_with_null_fn_drops_items);
	tcase_add_test(tq, discard_on_empty_queue_just_closes);
	tcase_add_test(tq, discard_on_closed_queue_hands_remaining_items);
	tcase_add_test(tq, discard_of_many_items_keeps_order);
	tcase_add_test(tq, discard_fn_may_call_queue_functions);
	suite_add_tcase(s, tq);

	tcase_set_timeout(tf, TU_TIMEOUT);
	tcase_add_test(tf, discarded_items_count_as_finished);
	tcase_add_test(tf, discard_after_early_task_done_keeps_count_at_zero);
	tcase_add_test(tf, discard_releases_blocked_join);
	tcase_add_test(tf, discard_leaves_taken_items_unfinished);
	tcase_add_test(tf, discard_finishes_items_before_fn_sees_them);
	suite_add_tcase(s, tf);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, discard_wakes_blocked_producers);
	tcase_add_test(tw, discard_wakes_blocked_consumers);
	tcase_add_test(tw, discard_racing_consumers_hands_each_item_once);
	suite_add_tcase(s, tw);
	return tu_run(s);
}
