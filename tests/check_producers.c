/*
 * check_producers.c - workq_add_producers() and workq_producer_done():
 * the queue closes, as by workq_close(), when the count of registered
 * producers falls back to zero, and only then (API-0.2.md, "Producers
 * that finish on their own").
 *
 * Threads other than the test's never assert: they record results in
 * their own structs, checked after joining them.
 */
#include "testutil.h"

#include <stdatomic.h>

START_TEST(producers_einval_for_null)
{
	ck_assert_int_eq(workq_add_producers(NULL, 1), EINVAL);
	ck_assert_int_eq(workq_add_producers(NULL, 0), EINVAL);
	ck_assert_int_eq(workq_producer_done(NULL), EINVAL);
}
END_TEST

START_TEST(add_zero_producers_changes_nothing)
{
	workq_t *q = tu_queue(2);

	/* With none registered: still none (done says ERANGE), still open. */
	ck_assert_int_eq(workq_add_producers(q, 0), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_is_closed(q), 0);
	/* With two registered: still two. */
	ck_assert_int_eq(workq_add_producers(q, 2), 0);
	ck_assert_int_eq(workq_add_producers(q, 0), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(producer_done_with_none_registered_erange)
{
	workq_t *q = tu_queue(2);
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	/* Nothing changed: open, the item still there. */
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(add_producers_on_closed_queue_refused)
{
	workq_t *q = tu_queue(2);

	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_add_producers(q, 1), WORKQ_CLOSED);
	ck_assert_int_eq(workq_add_producers(q, 5), WORKQ_CLOSED);
	/* n == 0 answers the same question: the queue is closed. */
	ck_assert_int_eq(workq_add_producers(q, 0), WORKQ_CLOSED);
	ck_assert_int_eq(workq_add_producers(NULL, 0), EINVAL);
	/* Nothing was registered. */
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* Closed by the last producer: no new ones either. */
	q = tu_queue(2);
	ck_assert_int_eq(workq_add_producers(q, 1), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_add_producers(q, 1), WORKQ_CLOSED);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* Closed by discard. */
	q = tu_queue(2);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	ck_assert_int_eq(workq_add_producers(q, 1), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(last_producer_done_closes_queue)
{
	workq_t *q = tu_queue(8);
	void *item = NULL, *out[4];
	size_t n;
	int i;

	ck_assert_int_eq(workq_add_producers(q, 2), 0);
	ck_assert_int_eq(workq_add_producers(q, 1), 0);    /* 3 in all */
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);     /* still open */
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	/* Closed as by workq_close: puts refused, items drained in order,
	 * then WORKQ_CLOSED with WORKQ_DONE, in every get variant. */
	ck_assert_int_eq(workq_put(q, tu_item(4)), WORKQ_CLOSED);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(workq_get(q, &item), 0);
		ck_assert_ptr_eq(item, tu_item(i));
	}
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	item = NULL;
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_ptr_eq(item, WORKQ_DONE);
	ck_assert_int_eq(workq_get_many(q, out, 4, &n), WORKQ_CLOSED);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A consumer that gets until the end and records what it saw. */
struct consumer {
	workq_t *q;
	atomic_int tid;
	int err;
	void *last;
	size_t got;
	atomic_uchar *seen;     /* per-item receipt counts, or NULL */
	size_t nseen;
};

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	void *item = NULL;
	int err;

	atomic_store(&c->tid, (int)tu_gettid());
	while ((err = workq_get(c->q, &item)) == 0) {
		c->got++;
		if (c->seen != NULL && tu_num(item) < c->nseen)
			atomic_fetch_add(&c->seen[tu_num(item)], 1);
	}
	c->err = err;
	c->last = item;
	return NULL;
}

static pthread_t start_consumer(struct consumer *c, workq_t *q,
                                atomic_uchar *seen, size_t nseen)
{
	memset(c, 0, sizeof(*c));
	c->q = q;
	c->seen = seen;
	c->nseen = nseen;
	c->err = -1;
	atomic_init(&c->tid, 0);
	return tu_spawn(consumer_main, c);
}

/* Consumers asleep on an empty queue wake when the last producer says it
 * is done, and see the end of the stream. */
START_TEST(last_producer_done_wakes_blocked_consumers)
{
	workq_t *q = tu_queue(4);
	struct consumer c[3];
	pthread_t t[3];
	int i, k;

	ck_assert_int_eq(workq_add_producers(q, 2), 0);
	for (i = 0; i < 3; i++) {
		t[i] = start_consumer(&c[i], q, NULL, 0);
		for (k = 0; k < 10000 && atomic_load(&c[i].tid) == 0; k++)
			tu_sleep_ms(1);
		tu_wait_blocked((pid_t)atomic_load(&c[i].tid));
	}
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);
	for (i = 0; i < 3; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(c[i].err, WORKQ_CLOSED);
		ck_assert_ptr_eq(c[i].last, WORKQ_DONE);
		ck_assert_uint_eq(c[i].got, 0);
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(producer_done_after_close_by_someone_else)
{
	workq_t *q = tu_queue(4);
	void *item;

	ck_assert_int_eq(workq_add_producers(q, 2), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_producer_done(q), 0);   /* count goes down */
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_producer_done(q), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_producer_done(q), ERANGE);  /* beyond */
	ck_assert_int_eq(workq_is_closed(q), 1);
	/* The item accepted before the close is still delivered. */
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many producers racing                                               */
/* ------------------------------------------------------------------ */

#define NPROD 16
#define NCONS 4

struct producer {
	workq_t *q;
	pthread_barrier_t *start;
	uintptr_t first, count;
	int put_err, done_err;
	uintptr_t put;          /* items accepted */
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	int err = 0;

	pthread_barrier_wait(p->start);
	while (p->put < p->count &&
	       (err = workq_put(p->q, tu_item(p->first + p->put))) == 0)
		p->put++;
	p->put_err = err;
	p->done_err = workq_producer_done(p->q);
	return NULL;
}

/*
 * 16 producers, registered up front, each put K items and say they are
 * done, all at once (a barrier starts them together), while 4 consumers
 * drain the queue.  No put may see the queue closed: it closes only
 * after the last producer's last put.  Every item arrives exactly once,
 * and every consumer ends with WORKQ_CLOSED.  Repeated, for the races.
 */
START_TEST(many_producers_racing_close_after_last_put)
{
	const uintptr_t per = (uintptr_t)tu_scaled(500);
	const uintptr_t total = per * NPROD;
	const int rounds = (int)tu_scaled(10);
	atomic_uchar *seen = calloc(total, sizeof(*seen));
	struct producer p[NPROD];
	struct consumer c[NCONS];
	pthread_t pt[NPROD], ct[NCONS];
	pthread_barrier_t start;
	int r, i;
	uintptr_t k, got;

	ck_assert_ptr_nonnull(seen);
	for (r = 0; r < rounds; r++) {
		workq_t *q = tu_queue(8);

		for (k = 0; k < total; k++)
			atomic_store(&seen[k], 0);
		ck_assert_int_eq(workq_add_producers(q, NPROD), 0);
		ck_assert_int_eq(pthread_barrier_init(&start, NULL, NPROD), 0);
		for (i = 0; i < NCONS; i++) {
			ct[i] = start_consumer(&c[i], q, seen, total);
		}
		for (i = 0; i < NPROD; i++) {
			memset(&p[i], 0, sizeof(p[i]));
			p[i].q = q;
			p[i].start = &start;
			p[i].first = (uintptr_t)i * per;
			p[i].count = per;
			pt[i] = tu_spawn(producer_main, &p[i]);
		}
		for (i = 0; i < NPROD; i++) {
			tu_join(pt[i]);
			ck_assert_int_eq(p[i].put_err, 0);
			ck_assert_uint_eq(p[i].put, per);
			ck_assert_int_eq(p[i].done_err, 0);
		}
		got = 0;
		for (i = 0; i < NCONS; i++) {
			tu_join(ct[i]);
			ck_assert_int_eq(c[i].err, WORKQ_CLOSED);
			ck_assert_ptr_eq(c[i].last, WORKQ_DONE);
			got += c[i].got;
		}
		ck_assert_uint_eq(got, total);
		for (k = 0; k < total; k++)
			ck_assert_msg(atomic_load(&seen[k]) == 1,
			              "round %d: item %lu seen %d times", r,
			              (unsigned long)k,
			              (int)atomic_load(&seen[k]));
		ck_assert_int_eq(workq_is_closed(q), 1);
		ck_assert_int_eq(workq_producer_done(q), ERANGE);
		ck_assert_int_eq(pthread_barrier_destroy(&start), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
	free(seen);
}
END_TEST

/*
 * Registering as you go: the test registers each producer just before
 * starting it, while earlier ones already run and finish.  It holds one
 * registration of its own meanwhile, so that early finishers cannot
 * bring the count to zero (closing the queue) before the last producer
 * is registered; once its own producer_done is in, the last producer to
 * finish closes the queue.
 */
START_TEST(producers_registered_one_by_one)
{
	const uintptr_t per = (uintptr_t)tu_scaled(200);
	const uintptr_t total = per * NPROD;
	atomic_uchar *seen = calloc(total, sizeof(*seen));
	workq_t *q = tu_queue(4);
	struct producer p[NPROD];
	struct consumer c;
	pthread_t pt[NPROD], ct;
	pthread_barrier_t start;
	int i;
	uintptr_t k;

	ck_assert_ptr_nonnull(seen);
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, 1), 0);
	ck_assert_int_eq(workq_add_producers(q, 1), 0);     /* the test's */
	ct = start_consumer(&c, q, seen, total);
	for (i = 0; i < NPROD; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].q = q;
		p[i].start = &start;          /* a barrier of one: no wait */
		p[i].first = (uintptr_t)i * per;
		p[i].count = per;
		ck_assert_int_eq(workq_add_producers(q, 1), 0);
		pt[i] = tu_spawn(producer_main, &p[i]);
	}
	ck_assert_int_eq(workq_producer_done(q), 0);       /* the test's */
	for (i = 0; i < NPROD; i++) {
		tu_join(pt[i]);
		ck_assert_int_eq(p[i].put_err, 0);
		ck_assert_int_eq(p[i].done_err, 0);
	}
	tu_join(ct);
	ck_assert_int_eq(c.err, WORKQ_CLOSED);
	ck_assert_uint_eq(c.got, total);
	for (k = 0; k < total; k++)
		ck_assert_int_eq(atomic_load(&seen[k]), 1);
	ck_assert_int_eq(pthread_barrier_destroy(&start), 0);
	free(seen);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *producers_suite(void)
{
	Suite *s = suite_create("producers");
	TCase *tc = tcase_create("counting");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, producers_einval_for_null);
	tcase_add_test(tc, add_zero_producers_changes_nothing);
	tcase_add_test(tc, producer_done_with_none_registered_erange);
	tcase_add_test(tc, add_producers_on_closed_queue_refused);
	tcase_add_test(tc, last_producer_done_closes_queue);
	tcase_add_test(tc, last_producer_done_wakes_blocked_consumers);
	tcase_add_test(tc, producer_done_after_close_by_someone_else);
	suite_add_tcase(s, tc);

	tc = tcase_create("racing");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, many_producers_racing_close_after_last_put);
	tcase_add_test(tc, producers_registered_one_by_one);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(producers_suite());
}
