/*
 * check_select.c - waiting on several queues at once: a select performs
 * exactly one of its cases, as soon as one can proceed, and the others
 * do not happen.  Closed queues count as ready; try, timed and biased
 * forms; fairness; the same queue in several cases; capacity 0 on
 * either side (select against a plain call and against another
 * select); cancellation; destroy refused while a select waits; more
 * cases than the inline limit; and many threads mixing selects and
 * plain calls, every item delivered once and in each producer's order.
 *
 * Threads never assert: they record results, which the test's thread
 * checks after joining them.
 */
#include "testutil.h"

static void get_case(workq_select_case_t *c, workq_t *q)
{
	c->q = q;
	c->op = WORKQ_SELECT_GET;
	c->item = UNTOUCHED;
}

static void put_case(workq_select_case_t *c, workq_t *q, void *item)
{
	c->q = q;
	c->op = WORKQ_SELECT_PUT;
	c->item = item;
}

/* A select run in its own thread. */
struct sel_call {
	workq_select_case_t cases[4];
	size_t n;
	int biased;
	size_t chosen;
	int err;
	pid_t tid;              /* (tid_mu) set first thing by its thread */
};

/* A mutex rather than atomics: helgrind sees through it. */
static pthread_mutex_t tid_mu = PTHREAD_MUTEX_INITIALIZER;

static pid_t tid_of(struct sel_call *s)
{
	pid_t tid;

	pthread_mutex_lock(&tid_mu);
	tid = s->tid;
	pthread_mutex_unlock(&tid_mu);
	return tid;
}

/* Waits until the select's thread sleeps (past every look it takes
 * before sleeping: see testutil.h). */
static void wait_asleep(struct sel_call *s)
{
	int i;

	for (i = 0; i < 10000 && tid_of(s) == 0; i++)
		tu_sleep_ms(1);
	tu_wait_blocked(tid_of(s));
}

static void *run_select(void *arg)
{
	struct sel_call *s = arg;

	pthread_mutex_lock(&tid_mu);
	s->tid = tu_gettid();
	pthread_mutex_unlock(&tid_mu);
	s->chosen = 99;
	if (s->biased)
		s->err = workq_select_biased(s->cases, s->n, NULL, &s->chosen);
	else
		s->err = workq_select(s->cases, s->n, &s->chosen);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

START_TEST(bad_arguments_change_nothing)
{
	workq_t *q;
	workq_select_case_t c[2];
	struct timespec bad = tu_ts(0, 1000000000L);
	size_t chosen = 7;

	ck_assert_int_eq(workq_create(&q, 4), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	get_case(&c[0], q);
	put_case(&c[1], q, tu_item(2));
	ck_assert_int_eq(workq_select(NULL, 1, &chosen), EINVAL);
	ck_assert_int_eq(workq_select(c, 0, &chosen), EINVAL);
	ck_assert_int_eq(workq_timed_select(c, 2, &bad, &chosen), EINVAL);
	ck_assert_int_eq(workq_select_biased(c, 2, &bad, &chosen), EINVAL);
	c[1].op = 3;
	ck_assert_int_eq(workq_try_select(c, 2, &chosen), EINVAL);
	put_case(&c[1], q, WORKQ_DONE);
	ck_assert_int_eq(workq_try_select(c, 2, &chosen), EINVAL);
	c[0].q = c[1].q = NULL;         /* every case off */
	ck_assert_int_eq(workq_select(c, 2, &chosen), EINVAL);
	ck_assert_uint_eq(chosen, 7);
	ck_assert_ptr_eq(c[0].item, UNTOUCHED);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Try and timed                                                       */
/* ------------------------------------------------------------------ */

START_TEST(try_select_performs_one_ready_case)
{
	workq_t *a, *b;
	workq_select_case_t c[3];
	size_t chosen = 7;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 1), 0);
	ck_assert_int_eq(workq_put(b, tu_item(1)), 0);   /* b full */
	get_case(&c[0], a);                              /* empty */
	put_case(&c[1], b, tu_item(2));                  /* full */
	ck_assert_int_eq(workq_try_select(c, 2, &chosen), EAGAIN);
	ck_assert_uint_eq(chosen, 7);
	ck_assert_ptr_eq(c[0].item, UNTOUCHED);
	/* A case with no queue is off. */
	get_case(&c[2], NULL);
	get_case(&c[1], b);
	ck_assert_int_eq(workq_try_select(c, 3, &chosen), 0);
	ck_assert_uint_eq(chosen, 1);
	ck_assert_ptr_eq(c[1].item, tu_item(1));
	ck_assert_ptr_eq(c[0].item, UNTOUCHED);
	ck_assert_ptr_eq(c[2].item, UNTOUCHED);
	ck_assert_uint_eq(workq_size(b), 0);
	/* Now only the put into a can proceed. */
	put_case(&c[0], a, tu_item(3));
	get_case(&c[1], b);
	ck_assert_int_eq(workq_try_select(c, 2, NULL), 0);
	ck_assert_uint_eq(workq_size(a), 1);
	ck_assert_ptr_eq(c[1].item, UNTOUCHED);
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(timed_select_times_out)
{
	workq_t *a, *b;
	workq_select_case_t c[2];
	struct timespec zero = tu_ts(0, 0);
	struct timespec ts = tu_ms(50);
	int64_t t0;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 1), 0);
	get_case(&c[0], a);
	get_case(&c[1], b);
	ck_assert_int_eq(workq_timed_select(c, 2, &zero, NULL), ETIMEDOUT);
	ck_assert_int_eq(workq_select_biased(c, 2, &zero, NULL), EAGAIN);
	t0 = tu_now_ns();
	ck_assert_int_eq(workq_timed_select(c, 2, &ts, NULL), ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, 50000000LL);
	t0 = tu_now_ns();
	ck_assert_int_eq(workq_select_biased(c, 2, &ts, NULL), ETIMEDOUT);
	ck_assert_int_ge(tu_now_ns() - t0, 50000000LL);
	ck_assert_ptr_eq(c[0].item, UNTOUCHED);
	/* Nothing stays linked: destroy is not refused. */
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Blocking                                                            */
/* ------------------------------------------------------------------ */

START_TEST(select_wakes_for_an_item)
{
	workq_t *a, *b;
	struct sel_call s = { .n = 2 };
	pthread_t t;

	ck_assert_int_eq(workq_create(&a, 4), 0);
	ck_assert_int_eq(workq_create(&b, 4), 0);
	get_case(&s.cases[0], a);
	get_case(&s.cases[1], b);
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(workq_put(b, tu_item(5)), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.chosen, 1);
	ck_assert_ptr_eq(s.cases[1].item, tu_item(5));
	ck_assert_ptr_eq(s.cases[0].item, UNTOUCHED);
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(select_wakes_for_room)
{
	workq_t *a, *b;
	struct sel_call s = { .n = 2 };
	void *item;
	pthread_t t;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 1), 0);
	ck_assert_int_eq(workq_put(a, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(b, tu_item(2)), 0);
	put_case(&s.cases[0], a, tu_item(3));
	put_case(&s.cases[1], b, tu_item(4));
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(workq_get(a, &item), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.chosen, 0);
	ck_assert_int_eq(workq_get(a, &item), 0);
	ck_assert_ptr_eq(item, tu_item(3));
	ck_assert_uint_eq(workq_size(b), 1);    /* item 4 was not put */
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(bound_queue_room_comes_with_task_done)
{
	workq_attr_t *attr;
	workq_t *q;
	struct sel_call s = { .n = 1 };
	void *item;
	pthread_t t;

	ck_assert_int_eq(workq_attr_create(&attr), 0);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, 1), 0);
	ck_assert_int_eq(workq_create_attr(&q, 1, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);       /* unfinished */
	put_case(&s.cases[0], q, tu_item(2));
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(closed_queue_is_ready)
{
	workq_t *a, *b;
	workq_select_case_t c[2];
	struct sel_call s = { .n = 2 };
	size_t chosen = 7;
	pthread_t t;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 1), 0);
	ck_assert_int_eq(workq_put(b, tu_item(1)), 0);
	/* Closed with an item left: the item first, then the sentinel. */
	ck_assert_int_eq(workq_close(b), 0);
	get_case(&c[0], b);
	ck_assert_int_eq(workq_try_select(c, 1, &chosen), 0);
	ck_assert_ptr_eq(c[0].item, tu_item(1));
	ck_assert_int_eq(workq_try_select(c, 1, &chosen), WORKQ_CLOSED);
	ck_assert_uint_eq(chosen, 0);
	ck_assert_ptr_eq(c[0].item, WORKQ_DONE);
	/* A put into a closed queue: WORKQ_CLOSED, the item still ours. */
	put_case(&c[0], b, tu_item(2));
	ck_assert_int_eq(workq_try_select(c, 1, &chosen), WORKQ_CLOSED);
	ck_assert_uint_eq(workq_size(b), 0);
	/* Closing wakes a waiting select. */
	get_case(&s.cases[0], a);
	put_case(&s.cases[1], a, tu_item(3));
	ck_assert_int_eq(workq_put(a, tu_item(4)), 0);  /* a full */
	ck_assert_int_eq(workq_try_get(a, &s.cases[0].item), 0);
	ck_assert_int_eq(workq_put(a, tu_item(4)), 0);
	s.cases[0].q = NULL;            /* only the put: it must wait */
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(workq_close(a), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, WORKQ_CLOSED);
	ck_assert_uint_eq(s.chosen, 1);
	ck_assert_uint_eq(workq_size(a), 1);    /* item 4 only */
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fairness and bias                                                   */
/* ------------------------------------------------------------------ */

START_TEST(fair_between_ready_queues)
{
	workq_t *a, *b;
	workq_select_case_t c[2];
	size_t chosen, count[2] = { 0, 0 };
	int i;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 1), 0);
	ck_assert_int_eq(workq_put(a, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(b, tu_item(2)), 0);
	for (i = 0; i < 10000; i++) {
		get_case(&c[0], a);
		get_case(&c[1], b);
		ck_assert_int_eq(workq_select(c, 2, &chosen), 0);
		ck_assert_uint_lt(chosen, 2);
		count[chosen]++;
		/* Refill what was taken: both stay ready. */
		ck_assert_int_eq(workq_put(chosen == 0 ? a : b,
		                           c[chosen].item), 0);
	}
	ck_assert_uint_ge(count[0], 4000);
	ck_assert_uint_ge(count[1], 4000);
	/* Biased: the first ready case, every time. */
	for (i = 0; i < 100; i++) {
		get_case(&c[0], a);
		get_case(&c[1], b);
		ck_assert_int_eq(workq_select_biased(c, 2, NULL, &chosen), 0);
		ck_assert_uint_eq(chosen, 0);
		ck_assert_int_eq(workq_put(a, c[0].item), 0);
	}
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(same_queue_in_several_cases)
{
	workq_t *q;
	workq_select_case_t c[3];
	struct sel_call s = { .n = 2 };
	size_t chosen;
	void *item;
	pthread_t t;

	ck_assert_int_eq(workq_create(&q, 1), 0);
	/* Empty: of a get, a put and a get, only the put can proceed. */
	get_case(&c[0], q);
	put_case(&c[1], q, tu_item(1));
	get_case(&c[2], q);
	ck_assert_int_eq(workq_select(c, 3, &chosen), 0);
	ck_assert_uint_eq(chosen, 1);
	/* Full: only a get. */
	put_case(&c[1], q, tu_item(2));
	ck_assert_int_eq(workq_select(c, 3, &chosen), 0);
	ck_assert_uint_ne(chosen, 1);
	ck_assert_ptr_eq(c[chosen].item, tu_item(1));
	ck_assert_uint_eq(workq_size(q), 0);
	/* Two gets on one queue wait; one item wakes one of them. */
	get_case(&s.cases[0], q);
	get_case(&s.cases[1], q);
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, 0);
	ck_assert_ptr_eq(s.cases[s.chosen].item, tu_item(3));
	ck_assert_ptr_eq(s.cases[1 - s.chosen].item, UNTOUCHED);
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* More cases than WORKQ_SELECT_INLINE: the links are allocated. */
START_TEST(many_cases)
{
	enum { N = WORKQ_SELECT_INLINE * 3 };
	workq_t *q[N];
	workq_select_case_t c[N];
	struct timespec ts = tu_ms(20);
	size_t chosen;
	int i;

	for (i = 0; i < N; i++) {
		ck_assert_int_eq(workq_create(&q[i], 1), 0);
		get_case(&c[i], q[i]);
	}
	ck_assert_int_eq(workq_timed_select(c, N, &ts, &chosen), ETIMEDOUT);
	ck_assert_int_eq(workq_put(q[N - 1], tu_item(9)), 0);
	ck_assert_int_eq(workq_select(c, N, &chosen), 0);
	ck_assert_uint_eq(chosen, N - 1);
	ck_assert_ptr_eq(c[N - 1].item, tu_item(9));
	for (i = 0; i < N; i++)
		ck_assert_int_eq(workq_destroy(q[i]), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Capacity 0                                                          */
/* ------------------------------------------------------------------ */

struct plain_call {
	workq_t *q;
	int put;
	void *item;
	int err;
};

static void *run_plain(void *arg)
{
	struct plain_call *p = arg;

	if (p->put)
		p->err = workq_put(p->q, p->item);
	else
		p->err = workq_get(p->q, &p->item);
	return NULL;
}

START_TEST(rendezvous_select_get_meets_plain_put)
{
	workq_t *q, *other;
	struct sel_call s = { .n = 2 };
	struct plain_call p = { .put = 1 };
	pthread_t t, u;

	ck_assert_int_eq(workq_create(&q, 0), 0);
	ck_assert_int_eq(workq_create(&other, 4), 0);
	get_case(&s.cases[0], other);
	get_case(&s.cases[1], q);
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	/* The select counts as a consumer waiting: a try_put hands over. */
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.chosen, 1);
	ck_assert_ptr_eq(s.cases[1].item, tu_item(1));
	/* And a blocking put the other way round. */
	p.q = q;
	p.item = tu_item(2);
	u = tu_spawn(run_plain, &p);
	get_case(&s.cases[1], q);
	t = tu_spawn(run_select, &s);
	tu_join(t);
	tu_join(u);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(p.err, 0);
	ck_assert_ptr_eq(s.cases[1].item, tu_item(2));
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(workq_destroy(other), 0);
}
END_TEST

START_TEST(rendezvous_select_put_meets_plain_get)
{
	workq_t *q, *full;
	struct sel_call s = { .n = 2 };
	struct plain_call p = { .put = 0 };
	pthread_t t, u;

	ck_assert_int_eq(workq_create(&q, 0), 0);
	ck_assert_int_eq(workq_create(&full, 1), 0);
	ck_assert_int_eq(workq_put(full, tu_item(9)), 0);
	put_case(&s.cases[0], full, tu_item(8));
	put_case(&s.cases[1], q, tu_item(1));
	/* No consumer waiting: the put cannot proceed. */
	ck_assert_int_eq(workq_try_select(s.cases, 2, NULL), EAGAIN);
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	p.q = q;
	u = tu_spawn(run_plain, &p);
	tu_join(t);
	tu_join(u);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.chosen, 1);
	ck_assert_int_eq(p.err, 0);
	ck_assert_ptr_eq(p.item, tu_item(1));
	ck_assert_uint_eq(workq_size(full), 1);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(workq_destroy(full), 0);
}
END_TEST

/*
 * Two selects, each getting from one rendezvous queue and putting into
 * the other: they must meet, through one of the two queues, and the
 * item each put is the item the other got.
 */
START_TEST(rendezvous_crossed_selects_meet)
{
	workq_t *x, *y;
	struct sel_call a = { .n = 2 }, b = { .n = 2 };
	pthread_t t, u;
	int round;

	ck_assert_int_eq(workq_create(&x, 0), 0);
	ck_assert_int_eq(workq_create(&y, 0), 0);
	for (round = 0; round < 200; round++) {
		get_case(&a.cases[0], x);
		put_case(&a.cases[1], y, tu_item(1));
		get_case(&b.cases[0], y);
		put_case(&b.cases[1], x, tu_item(2));
		t = tu_spawn(run_select, &a);
		u = tu_spawn(run_select, &b);
		tu_join(t);
		tu_join(u);
		ck_assert_int_eq(a.err, 0);
		ck_assert_int_eq(b.err, 0);
		ck_assert_uint_ne(a.chosen, b.chosen);
		if (a.chosen == 0)
			ck_assert_ptr_eq(a.cases[0].item, tu_item(2));
		else
			ck_assert_ptr_eq(b.cases[0].item, tu_item(1));
	}
	ck_assert_uint_eq(workq_size(x), 0);
	ck_assert_uint_eq(workq_size(y), 0);
	ck_assert_int_eq(workq_destroy(x), 0);
	ck_assert_int_eq(workq_destroy(y), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancellation and destroy                                            */
/* ------------------------------------------------------------------ */

START_TEST(cancelled_select_performs_nothing)
{
	workq_t *a, *b;
	struct sel_call s = { .n = 2 };
	void *item;
	pthread_t t;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	ck_assert_int_eq(workq_create(&b, 0), 0);
	ck_assert_int_eq(workq_put(a, tu_item(1)), 0);
	put_case(&s.cases[0], a, tu_item(2));   /* full */
	get_case(&s.cases[1], b);               /* rendezvous: a getter */
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(pthread_cancel(t), 0);
	ck_assert_ptr_eq(tu_join(t), PTHREAD_CANCELED);
	/* Unlinked everywhere: no getter left on b, nothing put into a. */
	ck_assert_int_eq(workq_try_put(b, tu_item(3)), EAGAIN);
	ck_assert_uint_eq(workq_size(a), 1);
	ck_assert_int_eq(workq_get(a, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(destroy_refused_while_a_select_waits)
{
	workq_t *a;
	struct sel_call s = { .n = 1 };
	pthread_t t;

	ck_assert_int_eq(workq_create(&a, 1), 0);
	get_case(&s.cases[0], a);
	t = tu_spawn(run_select, &s);
	wait_asleep(&s);
	ck_assert_int_eq(workq_destroy(a), EBUSY);
	ck_assert_int_eq(workq_close(a), 0);
	tu_join(t);
	ck_assert_int_eq(s.err, WORKQ_CLOSED);
	ck_assert_ptr_eq(s.cases[0].item, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(a), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many threads                                                        */
/* ------------------------------------------------------------------ */

enum { MQ = 3, MP = 3, MC = 3, PER = 3000 };

struct mix {
	workq_t *q[MQ];
	size_t got[MP * PER];           /* deliveries per item (its slot) */
	int bad;                        /* out-of-order or unknown items */
	pthread_mutex_t mu;
};

struct mix_thread {
	struct mix *m;
	int id;
	int err;
	uintptr_t last[MP];             /* consumers: last seq per producer */
};

/* Items are 1 + producer * PER + seq. */
static void *mix_produce(void *arg)
{
	struct mix_thread *t = arg;
	workq_select_case_t c[MQ];
	int i, k;

	for (i = 0; i < PER; i++) {
		void *item = tu_item(1 + (uintptr_t)t->id * PER + (uintptr_t)i);

		/* Even producers select among all queues; odd ones put
		 * into one queue in turn with a plain put.  Per-producer
		 * order holds only per queue, so a producer that selects
		 * is checked for exactly-once only. */
		if (t->id % 2 == 0) {
			for (k = 0; k < MQ; k++)
				put_case(&c[k], t->m->q[k], item);
			t->err |= workq_select(c, MQ, NULL);
		} else {
			t->err |= workq_put(t->m->q[t->id % MQ], item);
		}
	}
	return NULL;
}

static void mix_take(struct mix_thread *t, void *item)
{
	uintptr_t n = tu_num(item) - 1;
	uintptr_t p = n / PER;

	pthread_mutex_lock(&t->m->mu);
	if (n >= MP * PER)
		t->m->bad++;
	else
		t->m->got[n]++;
	/* A plain producer's items reach each consumer in order. */
	if (n < MP * PER && p % 2 == 1) {
		if (n % PER + 1 <= t->last[p])
			t->m->bad++;
		t->last[p] = n % PER + 1;
	}
	pthread_mutex_unlock(&t->m->mu);
}

static void *mix_consume(void *arg)
{
	struct mix_thread *t = arg;
	workq_select_case_t c[MQ];
	int open = MQ;
	int k;

	while (open > 0) {
		size_t chosen;
		int err;

		for (k = 0; k < MQ; k++)
			get_case(&c[k], t->m->q[k]);
		err = workq_select(c, MQ, &chosen);
		if (err == WORKQ_CLOSED) {
			/* Every closed queue stays ready: stop at the first
			 * one, after draining the others plainly. */
			for (k = 0; k < MQ; k++) {
				void *item;

				while (workq_get(t->m->q[k], &item) == 0)
					mix_take(t, item);
			}
			open = 0;
		} else if (err == 0) {
			mix_take(t, c[chosen].item);
		} else {
			t->err = err;
			open = 0;
		}
	}
	return NULL;
}

START_TEST(many_threads_mix_selects_and_plain_calls)
{
	static struct mix m;
	struct mix_thread p[MP], c[MC];
	pthread_t pt[MP], ct[MC];
	size_t caps[MQ] = { 0, 1, 64 };
	int i;

	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&m.mu, NULL);
	for (i = 0; i < MQ; i++)
		ck_assert_int_eq(workq_create(&m.q[i], caps[i]), 0);
	for (i = 0; i < MC; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].m = &m;
		c[i].id = i;
		ct[i] = tu_spawn(mix_consume, &c[i]);
	}
	for (i = 0; i < MP; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].m = &m;
		p[i].id = i;
		pt[i] = tu_spawn(mix_produce, &p[i]);
	}
	for (i = 0; i < MP; i++) {
		tu_join(pt[i]);
		ck_assert_int_eq(p[i].err, 0);
	}
	for (i = 0; i < MQ; i++)
		ck_assert_int_eq(workq_close(m.q[i]), 0);
	for (i = 0; i < MC; i++) {
		tu_join(ct[i]);
		ck_assert_int_eq(c[i].err, 0);
	}
	ck_assert_int_eq(m.bad, 0);
	for (i = 0; i < MP * PER; i++)
		ck_assert_uint_eq(m.got[i], 1);
	for (i = 0; i < MQ; i++)
		ck_assert_int_eq(workq_destroy(m.q[i]), 0);
	pthread_mutex_destroy(&m.mu);
}
END_TEST

static Suite *select_suite(void)
{
	Suite *s = suite_create("select");
	TCase *tb = tcase_create("basics");
	TCase *tw = tcase_create("waits");
	TCase *tz = tcase_create("rendezvous");
	TCase *tx = tcase_create("cancel");
	TCase *tm = tcase_create("many");

	tcase_set_timeout(tb, TU_TIMEOUT);
	tcase_add_test(tb, bad_arguments_change_nothing);
	tcase_add_test(tb, try_select_performs_one_ready_case);
	tcase_add_test(tb, timed_select_times_out);
	tcase_add_test(tb, fair_between_ready_queues);
	tcase_add_test(tb, same_queue_in_several_cases);
	tcase_add_test(tb, many_cases);
	suite_add_tcase(s, tb);

	tcase_set_timeout(tw, TU_TIMEOUT);
	tcase_add_test(tw, select_wakes_for_an_item);
	tcase_add_test(tw, select_wakes_for_room);
	tcase_add_test(tw, bound_queue_room_comes_with_task_done);
	tcase_add_test(tw, closed_queue_is_ready);
	tcase_add_test(tw, destroy_refused_while_a_select_waits);
	suite_add_tcase(s, tw);

	tcase_set_timeout(tz, TU_TIMEOUT);
	tcase_add_test(tz, rendezvous_select_get_meets_plain_put);
	tcase_add_test(tz, rendezvous_select_put_meets_plain_get);
	tcase_add_test(tz, rendezvous_crossed_selects_meet);
	suite_add_tcase(s, tz);

	/* helgrind cannot follow a thread cancelled in a condvar wait. */
	tcase_set_timeout(tx, TU_TIMEOUT);
	tcase_add_test(tx, cancelled_select_performs_nothing);
	if (getenv("WORKQ_TEST_HELGRIND") == NULL)
		suite_add_tcase(s, tx);

	tcase_set_timeout(tm, TU_TIMEOUT * 3);
	tcase_add_test(tm, many_threads_mix_selects_and_plain_calls);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run(select_suite());
}
