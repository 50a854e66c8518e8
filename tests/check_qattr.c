/*
 * check_qattr.c - queue attributes: every setter's EINVAL (changing
 * nothing), the defaults are workq_create's, WORKQ_SPIN_NEVER waits
 * without watching, the allocator (every block released, a failing one
 * gives ENOMEM), the unfinished bound (puts wait at N unfinished with
 * the ring empty, task_done, discard and close release them, put_many,
 * a pool's queued and running jobs, many producers and consumers
 * exactly once), and workq_unfinished on every queue.
 */
#include "testutil.h"

#include <stdatomic.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static workq_attr_t *new_attr(void)
{
	workq_attr_t *attr = NULL;

	ck_assert_int_eq(workq_attr_create(&attr), 0);
	ck_assert_ptr_nonnull(attr);
	return attr;
}

/* A queue whose items count against the capacity until finished. */
static workq_t *bound_queue(size_t capacity)
{
	workq_attr_t *attr = new_attr();
	workq_t *q = NULL;

	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, 1), 0);
	ck_assert_int_eq(workq_create_attr(&q, capacity, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	return q;
}

static struct workq_stats stats(const workq_t *q)
{
	struct workq_stats st;

	ck_assert_int_eq(workq_stats(q, &st), 0);
	return st;
}

/*
 * Polls until `want` producers sleep in a put (or consumers in a get),
 * for up to about 10 s; returns the last count.  A producer woken for
 * room it cannot use goes back to sleep, so the count may dip on the
 * way: only the final value matters.
 */
static size_t wait_blocked(const workq_t *q, int producers, size_t want)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 10000; i++) {
		struct workq_stats st = stats(q);

		n = producers ? st.blocked_producers : st.blocked_consumers;
		if (n == want)
			break;
		tu_sleep_ms(1);
	}
	return n;
}

/* Polls until *counter reaches want (about 10 s at most); returns it. */
static int wait_count(atomic_int *counter, int want)
{
	int i, n = atomic_load(counter);

	for (i = 0; i < 10000 && n != want; i++) {
		tu_sleep_ms(1);
		n = atomic_load(counter);
	}
	return n;
}

/* A thread that puts one item, or n with put_many. */
struct putter {
	workq_t *q;
	void *const *items;     /* NULL: put `item` with workq_put */
	void *item;
	size_t n;
	size_t nput;
	int err;
	atomic_int *returned;   /* incremented when the call returned */
};

static void *putter_main(void *arg)
{
	struct putter *p = arg;

	if (p->items == NULL)
		p->err = workq_put(p->q, p->item);
	else
		p->err = workq_put_many(p->q, p->items, p->n, &p->nput);
	atomic_fetch_add(p->returned, 1);
	return NULL;
}

static pthread_t start_putter(struct putter *p, workq_t *q, void *item,
                              atomic_int *returned)
{
	memset(p, 0, sizeof(*p));
	p->q = q;
	p->item = item;
	p->err = -1;
	p->returned = returned;
	return tu_spawn(putter_main, p);
}

/* Gets an item that must be there, and checks which. */
static void get_expect(workq_t *q, uintptr_t want)
{
	void *item = UNTOUCHED;

	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_uint_eq(tu_num(item), want);
}

/* The caller's allocator, counted. */
struct counting {
	pthread_mutex_t mu;
	long allocs;
	long releases;
	long live;
	long foreign;           /* releases of a pointer alloc never gave */
	long bad_ctx;
	int fail;               /* 1: alloc returns NULL */
	size_t last_size;
	void *blocks[16];
};

static void counting_init(struct counting *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->mu, NULL);
}

static void *count_alloc(size_t size, void *ctx)
{
	struct counting *k = ctx;
	void *p = NULL;
	int i;

	pthread_mutex_lock(&k->mu);
	k->allocs++;
	k->last_size = size;
	if (!k->fail)
		p = malloc(size);
	for (i = 0; p != NULL && i < 16; i++) {
		if (k->blocks[i] == NULL) {
			k->blocks[i] = p;
			k->live++;
			break;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return p;
}

static void count_release(void *ptr, void *ctx)
{
	struct counting *k = ctx;
	int i;

	pthread_mutex_lock(&k->mu);
	k->releases++;
	for (i = 0; i < 16 && k->blocks[i] != ptr; i++)
		;
	if (i == 16 || ptr == NULL) {
		k->foreign++;
	} else {
		k->blocks[i] = NULL;
		k->live--;
	}
	pthread_mutex_unlock(&k->mu);
	free(ptr);
}

/* An allocator that must never be called. */
static void *wrong_alloc(size_t size, void *ctx)
{
	struct counting *k = ctx;

	(void)size;
	k->bad_ctx++;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The attribute object                                                */
/* ------------------------------------------------------------------ */

START_TEST(qattr_setters_einval_change_nothing)
{
	workq_attr_t *attr;
	workq_t *marker = (workq_t *)&marker;
	workq_t *q = marker;
	struct counting k;

	counting_init(&k);
	ck_assert_int_eq(workq_attr_create(NULL), EINVAL);
	ck_assert_int_eq(workq_attr_destroy(NULL), EINVAL);
	ck_assert_int_eq(workq_attr_set_spin(NULL, WORKQ_SPIN_NEVER), EINVAL);
	ck_assert_int_eq(workq_attr_set_allocator(NULL, NULL, NULL, NULL),
	                 EINVAL);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(NULL, 1), EINVAL);
	ck_assert_uint_eq(workq_unfinished(NULL), 0);

	attr = new_attr();
	ck_assert_int_eq(workq_attr_set_spin(attr, WORKQ_SPIN_NEVER), 0);
	ck_assert_int_eq(workq_attr_set_spin(attr, 2), EINVAL);
	ck_assert_int_eq(workq_attr_set_spin(attr, -1), EINVAL);
	ck_assert_int_eq(workq_attr_set_spin(attr, WORKQ_SPIN_ADAPTIVE), 0);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, 1), 0);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, 2), EINVAL);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, -1), EINVAL);
	ck_assert_int_eq(workq_attr_set_allocator(attr, count_alloc,
	                                          count_release, &k), 0);
	ck_assert_int_eq(workq_attr_set_allocator(attr, wrong_alloc, NULL,
	                                          &k), EINVAL);
	ck_assert_int_eq(workq_attr_set_allocator(attr, NULL, count_release,
	                                          &k), EINVAL);

	/* A refused create asks for no memory and writes nothing. */
	ck_assert_int_eq(workq_create_attr(NULL, 4, attr), EINVAL);
	ck_assert_int_eq(workq_create_attr(&q, 0, attr), EINVAL);
	ck_assert_int_eq(workq_create_attr(&q, (size_t)-1, attr), EINVAL);
	ck_assert_ptr_eq(q, marker);
	ck_assert_int_eq(k.allocs, 0);

	/* The refused values left the bound on and the counting
	 * allocator in place. */
	ck_assert_int_eq(workq_create_attr(&q, 1, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	ck_assert_int_eq(k.allocs, 1);
	ck_assert_int_eq(k.bad_ctx, 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	get_expect(q, 1);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), EAGAIN);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(k.releases, 1);
	ck_assert_int_eq(k.live, 0);
	ck_assert_int_eq(k.foreign, 0);
	pthread_mutex_destroy(&k.mu);
}
END_TEST

/* NULL attributes and new ones both make what workq_create makes: the
 * capacity bounds the items queued only, and malloc is used. */
START_TEST(qattr_defaults_are_workq_create)
{
	workq_attr_t *attr = new_attr();
	workq_t *qs[3];
	int i;

	ck_assert_int_eq(workq_create_attr(&qs[0], 2, NULL), 0);
	ck_assert_int_eq(workq_create_attr(&qs[1], 2, attr), 0);
	ck_assert_int_eq(workq_create(&qs[2], 2), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	for (i = 0; i < 3; i++) {
		workq_t *q = qs[i];
		struct timespec zero = tu_ts(0, 0);

		ck_assert_uint_eq(workq_capacity(q), 2);
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
		ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
		get_expect(q, 1);
		/* Taken but not finished: no bound, so room. */
		ck_assert_int_eq(workq_try_put(q, tu_item(3)), 0);
		ck_assert_uint_eq(workq_unfinished(q), 3);
		ck_assert_uint_eq(workq_size(q), 2);
		ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
		get_expect(q, 2);
		get_expect(q, 3);
		ck_assert_int_eq(workq_task_done(q), 0);
		ck_assert_int_eq(workq_task_done(q), 0);
		ck_assert_int_eq(workq_task_done(q), 0);
		ck_assert_int_eq(workq_timed_join(q, &zero), 0);
		ck_assert_int_eq(workq_destroy(q), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* The waiting policy                                                  */
/* ------------------------------------------------------------------ */

/* How long one timed call of 1 ns takes on a new queue: an empty one
 * for a get, a full one for a put. */
static int64_t first_wait_ns(const workq_attr_t *attr, int put)
{
	struct timespec tiny = tu_ts(0, 1);
	workq_t *q = NULL;
	void *item;
	int64_t t0, t1;
	int err;

	ck_assert_int_eq(workq_create_attr(&q, 1, attr), 0);
	if (put)
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	t0 = tu_now_ns();
	if (put)
		err = workq_timed_put(q, tu_item(2), &tiny);
	else
		err = workq_timed_get(q, &item, &tiny);
	t1 = tu_now_ns();
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_int_eq(workq_destroy(q), 0);
	return t1 - t0;
}

/*
 * A new queue's first waiter, under the adaptive policy, watches the
 * queue for its whole first budget (20 us, lib/wait.c's guess of a
 * wake-up) before it sleeps: nothing can end the watch early on a queue
 * no other thread touches.  So the fastest of many 1 ns timed calls
 * takes that much longer than the call's own cost, every time.  Under
 * WORKQ_SPIN_NEVER it sleeps at once, and the fastest of many takes
 * only the call's own cost, however loaded the machine (one unhurried
 * call is enough).  Were the policy ignored, both minima would be the
 * same up to noise, well under the margin.
 *
 * The sleep of a timed wait whose deadline has passed still ends on a
 * timer, which Linux lets run late by the thread's timer slack (50 us
 * by default): that would hide the watch, which ends before it.  Hence
 * a slack of 1 ns.  Where the slack cannot be set, the minima are only
 * printed.
 */
START_TEST(qattr_spin_never_sleeps_at_once)
{
	const int64_t margin_ns = 5000;
	workq_attr_t *never = new_attr();
	int64_t min_never[2] = { INT64_MAX, INT64_MAX };
	int64_t min_adaptive[2] = { INT64_MAX, INT64_MAX };
	int round, put;
	int exact_timers = 0;

#if defined(__linux__) && defined(PR_SET_TIMERSLACK)
	exact_timers = prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
#endif
	ck_assert_int_eq(workq_attr_set_spin(never, WORKQ_SPIN_NEVER), 0);
	for (round = 0; round < 50; round++) {
		for (put = 0; put < 2; put++) {
			int64_t n = first_wait_ns(never, put);
			int64_t a = first_wait_ns(NULL, put);

			if (n < min_never[put])
				min_never[put] = n;
			if (a < min_adaptive[put])
				min_adaptive[put] = a;
		}
	}
	ck_assert_int_eq(workq_attr_destroy(never), 0);
	for (put = 0; put < 2; put++) {
		if (!exact_timers) {
			printf("%s: fastest first wait %lld ns with "
			       "WORKQ_SPIN_NEVER, %lld ns adaptive (timer "
			       "slack not set: not compared)\n",
			       put ? "put" : "get", (long long)min_never[put],
			       (long long)min_adaptive[put]);
			continue;
		}
		ck_assert_msg(min_never[put] + margin_ns < min_adaptive[put],
		              "%s: fastest first wait %lld ns with "
		              "WORKQ_SPIN_NEVER, %lld ns adaptive",
		              put ? "put" : "get", (long long)min_never[put],
		              (long long)min_adaptive[put]);
	}
}
END_TEST

static void *getter_main(void *arg)
{
	workq_t *q = arg;
	void *item = NULL;

	return workq_get(q, &item) == 0 ? item : NULL;
}

/* A get under WORKQ_SPIN_NEVER sleeps, is counted, and is woken by a
 * put like any other. */
START_TEST(qattr_spin_never_get_is_woken)
{
	workq_attr_t *attr = new_attr();
	workq_t *q = NULL;
	pthread_t t;
	struct workq_stats st;

	ck_assert_int_eq(workq_attr_set_spin(attr, WORKQ_SPIN_NEVER), 0);
	ck_assert_int_eq(workq_create_attr(&q, 1, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	t = tu_spawn(getter_main, q);
	ck_assert_uint_eq(wait_blocked(q, 0, 1), 1);
	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	ck_assert_uint_eq(tu_num(tu_join(t)), 7);
	st = stats(q);
	ck_assert_uint_eq(st.get_waits, 1);
	ck_assert_uint_eq(st.blocked_consumers, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The allocator                                                       */
/* ------------------------------------------------------------------ */

START_TEST(qattr_allocator_pairs_every_block)
{
	static const size_t caps[] = { 1, 100, 4096 };
	workq_attr_t *attr = new_attr();
	workq_t *qs[3];
	struct counting k;
	size_t i;

	counting_init(&k);
	ck_assert_int_eq(workq_attr_set_allocator(attr, count_alloc,
	                                          count_release, &k), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(workq_create_attr(&qs[i], caps[i], attr), 0);
		ck_assert_uint_ge(k.last_size, caps[i] * sizeof(void *));
	}
	/* The queue copied the allocator: the object can go now. */
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	ck_assert_int_eq(k.allocs, 3);
	ck_assert_int_eq(k.live, 3);
	for (i = 0; i < 3; i++) {
		int fd;

		ck_assert_int_eq(workq_put(qs[i], tu_item(i)), 0);
		ck_assert_int_eq(workq_pollfd(qs[i], &fd), 0);
		get_expect(qs[i], i);
		ck_assert_int_eq(workq_close(qs[i]), 0);
	}
	ck_assert_int_eq(k.releases, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(workq_destroy(qs[i]), 0);
	ck_assert_int_eq(k.allocs, 3);
	ck_assert_int_eq(k.releases, 3);
	ck_assert_int_eq(k.live, 0);
	ck_assert_int_eq(k.foreign, 0);
	pthread_mutex_destroy(&k.mu);
}
END_TEST

/* A destroy refused with EBUSY releases nothing. */
static void noop(void *item, void *arg)
{
	(void)item;
	(void)arg;
}

START_TEST(qattr_allocator_not_released_while_busy)
{
	workq_attr_t *attr = new_attr();
	workq_pool_t *pool;
	workq_t *q = NULL;
	struct counting k;

	counting_init(&k);
	ck_assert_int_eq(workq_attr_set_allocator(attr, count_alloc,
	                                          count_release, &k), 0);
	ck_assert_int_eq(workq_create_attr(&q, 4, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_pool_start(&pool, q, 1, noop, NULL), 0);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(k.releases, 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(k.releases, 1);
	ck_assert_int_eq(k.live, 0);
	pthread_mutex_destroy(&k.mu);
}
END_TEST

START_TEST(qattr_allocator_failure_is_enomem)
{
	workq_attr_t *attr = new_attr();
	workq_t *marker = (workq_t *)&marker;
	workq_t *q = marker;
	struct counting k;

	counting_init(&k);
	k.fail = 1;
	ck_assert_int_eq(workq_attr_set_allocator(attr, count_alloc,
	                                          count_release, &k), 0);
	ck_assert_int_eq(workq_create_attr(&q, 8, attr), ENOMEM);
	ck_assert_ptr_eq(q, marker);
	ck_assert_int_eq(k.allocs, 1);
	ck_assert_int_eq(k.releases, 0);
	ck_assert_int_eq(k.live, 0);
	/* Both NULL: malloc and free again. */
	ck_assert_int_eq(workq_attr_set_allocator(attr, NULL, NULL, NULL), 0);
	ck_assert_int_eq(workq_create_attr(&q, 8, attr), 0);
	ck_assert_int_eq(k.allocs, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(k.releases, 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	pthread_mutex_destroy(&k.mu);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The unfinished bound                                                */
/* ------------------------------------------------------------------ */

/* Two taken and not finished fill a bound queue of two, its ring
 * empty; a task_done lets a sleeping put in. */
START_TEST(qattr_bound_put_waits_with_ring_empty)
{
	workq_t *q = bound_queue(2);
	struct timespec zero = tu_ts(0, 0), short_wait = tu_ms(20);
	struct workq_stats st;
	struct putter p;
	atomic_int returned;
	pthread_t t;

	atomic_init(&returned, 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	get_expect(q, 1);
	get_expect(q, 2);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_uint_eq(workq_unfinished(q), 2);
	ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
	ck_assert_int_eq(workq_timed_put(q, tu_item(3), &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_timed_put(q, tu_item(3), &short_wait),
	                 ETIMEDOUT);
	st = stats(q);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.puts, 2);
	ck_assert_uint_eq(st.put_waits, 1);     /* the 20 ms one slept */

	t = start_putter(&p, q, tu_item(3), &returned);
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(atomic_load(&returned), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_uint_eq(workq_unfinished(q), 2);
	ck_assert_int_eq(workq_try_put(q, tu_item(4)), EAGAIN);
	get_expect(q, 3);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(4)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(5)), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(6)), EAGAIN);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Three producers asleep at the bound: each task_done lets exactly
 * one in, and none is left asleep with room. */
START_TEST(qattr_bound_each_task_done_wakes_one)
{
	workq_t *q = bound_queue(2);
	struct putter p[3];
	pthread_t t[3];
	atomic_int returned;
	int i;

	atomic_init(&returned, 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	get_expect(q, 1);
	get_expect(q, 2);
	for (i = 0; i < 3; i++)
		t[i] = start_putter(&p[i], q, tu_item(10 + i), &returned);
	ck_assert_uint_eq(wait_blocked(q, 1, 3), 3);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(wait_count(&returned, 1), 1);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(wait_count(&returned, 2), 2);
	/* The third stays asleep: two items queued, both unfinished. */
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(atomic_load(&returned), 2);
	ck_assert_uint_eq(workq_unfinished(q), 2);
	ck_assert_uint_eq(workq_size(q), 2);
	/* Getting one frees a slot of the ring, not of the bound. */
	{
		void *item;

		ck_assert_int_eq(workq_try_get(q, &item), 0);
	}
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(atomic_load(&returned), 2);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(wait_count(&returned, 3), 3);
	for (i = 0; i < 3; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(p[i].err, 0);
	}
	ck_assert_uint_eq(workq_unfinished(q), 2);
	ck_assert_uint_eq(stats(q).puts, 5);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* put_many puts what the bound allows, sleeps, and goes on as items
 * are finished, in order. */
START_TEST(qattr_bound_put_many)
{
	static void *const items[] = { (void *)1, (void *)2, (void *)3,
		                       (void *)4, (void *)5 };
	workq_t *q = bound_queue(3);
	atomic_int returned;
	struct putter p;
	pthread_t t;

	atomic_init(&returned, 0);
	memset(&p, 0, sizeof(p));
	p.q = q;
	p.items = items;
	p.n = 5;
	p.err = -1;
	p.returned = &returned;
	t = tu_spawn(putter_main, &p);
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_uint_eq(workq_size(q), 3);
	get_expect(q, 1);
	get_expect(q, 2);
	get_expect(q, 3);
	/* The ring is empty; the bound still holds the rest back. */
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(atomic_load(&returned), 0);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(9)), EAGAIN);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	ck_assert_uint_eq(p.nput, 5);
	get_expect(q, 4);
	get_expect(q, 5);
	ck_assert_uint_eq(workq_unfinished(q), 3);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static void count_item(void *item, void *arg)
{
	(void)item;
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Discarding finishes the items it removes; closing (which discard
 * does first) releases the producers waiting at the bound. */
START_TEST(qattr_bound_discard_and_close)
{
	workq_t *q = bound_queue(2);
	struct timespec zero = tu_ts(0, 0);
	atomic_int returned, discarded;
	struct putter p;
	pthread_t t;

	atomic_init(&returned, 0);
	atomic_init(&discarded, 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	get_expect(q, 1);
	t = start_putter(&p, q, tu_item(3), &returned);
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(workq_discard(q, count_item, &discarded), 0);
	tu_join(t);
	ck_assert_int_eq(p.err, WORKQ_CLOSED);
	ck_assert_int_eq(atomic_load(&discarded), 1);
	ck_assert_uint_eq(workq_unfinished(q), 1);      /* item 1 */
	ck_assert_int_eq(workq_timed_join(q, &zero), ETIMEDOUT);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_int_eq(workq_timed_join(q, &zero), 0);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* A plain close, with nothing to discard. */
	q = bound_queue(1);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	get_expect(q, 1);
	t = start_putter(&p, q, tu_item(2), &returned);
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	ck_assert_int_eq(workq_close(q), 0);
	tu_join(t);
	ck_assert_int_eq(p.err, WORKQ_CLOSED);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A pool's jobs, running and queued, on a bound queue. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long tokens;            /* jobs allowed to finish; < 0: all */
	atomic_int running;     /* jobs inside fn now */
	atomic_int max_running;
	atomic_int ran;
	atomic_int over_bound;  /* workq_unfinished above the capacity */
	workq_t *q;
};

static void gate_init(struct gate *g, workq_t *q, long tokens)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->tokens = tokens;
	atomic_init(&g->running, 0);
	atomic_init(&g->max_running, 0);
	atomic_init(&g->ran, 0);
	atomic_init(&g->over_bound, 0);
	g->q = q;
}

static void gate_open(struct gate *g, long n)
{
	pthread_mutex_lock(&g->mu);
	g->tokens = n < 0 ? -1 : g->tokens + n;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gated_job(void *item, void *arg)
{
	struct gate *g = arg;
	int now = atomic_fetch_add(&g->running, 1) + 1;
	int max = atomic_load(&g->max_running);

	(void)item;
	while (now > max &&
	       !atomic_compare_exchange_weak(&g->max_running, &max, now))
		;
	if (workq_unfinished(g->q) > workq_capacity(g->q))
		atomic_fetch_add(&g->over_bound, 1);
	pthread_mutex_lock(&g->mu);
	while (g->tokens == 0)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->tokens > 0)
		g->tokens--;
	pthread_mutex_unlock(&g->mu);
	atomic_fetch_sub(&g->running, 1);
	atomic_fetch_add(&g->ran, 1);
}

/* Four workers, a bound of two: two jobs run, none is queued, and the
 * next put waits for one to finish. */
START_TEST(qattr_bound_pool_waits_for_running_jobs)
{
	workq_t *q = bound_queue(2);
	workq_pool_t *pool;
	struct gate g;
	struct putter p;
	atomic_int returned;
	pthread_t t;

	atomic_init(&returned, 0);
	gate_init(&g, q, 0);
	ck_assert_int_eq(workq_pool_start(&pool, q, 4, gated_job, &g), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(wait_count(&g.running, 2), 2);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
	t = start_putter(&p, q, tu_item(3), &returned);
	ck_assert_uint_eq(wait_blocked(q, 1, 1), 1);
	gate_open(&g, 1);
	tu_join(t);
	ck_assert_int_eq(p.err, 0);
	ck_assert_int_eq(wait_count(&g.running, 2), 2);
	gate_open(&g, -1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&g.ran), 3);
	ck_assert_int_eq(atomic_load(&g.max_running), 2);
	ck_assert_int_eq(atomic_load(&g.over_bound), 0);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Streaming: never more jobs running than the bound allows. */
START_TEST(qattr_bound_pool_streaming)
{
	const long n = tu_scaled(4000);
	workq_t *q = bound_queue(3);
	workq_pool_t *pool;
	struct gate g;
	long i;

	gate_init(&g, q, -1);
	ck_assert_int_eq(workq_pool_start(&pool, q, 6, gated_job, &g), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(workq_put(q, tu_item((uintptr_t)i)), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&g.ran), n);
	ck_assert_int_le(atomic_load(&g.max_running), 3);
	ck_assert_int_eq(atomic_load(&g.over_bound), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Many producers and consumers through a small bound queue: every item
 * exactly once, the bound never exceeded, nobody left asleep. */
#define MP 4
#define MC 4

struct mp_shared {
	workq_t *q;
	long per_producer;
	atomic_int *seen;
};

struct mp_slot {
	struct mp_shared *sh;
	int index;
	int err;                /* the first unexpected return, or 0 */
	long over_bound;
	long got;
};

static void *mp_producer(void *arg)
{
	struct mp_slot *s = arg;
	struct mp_shared *sh = s->sh;
	long base = s->index * sh->per_producer;
	long i = 0;

	while (i < sh->per_producer && s->err == 0) {
		void *batch[3];
		size_t k, nput = 0;

		/* Odd producers put in batches of up to three. */
		if (s->index % 2 == 1 && sh->per_producer - i >= 3) {
			for (k = 0; k < 3; k++)
				batch[k] = tu_item((uintptr_t)(base + i + k) + 1);
			s->err = workq_put_many(sh->q, batch, 3, &nput);
			i += (long)nput;
		} else {
			s->err = workq_put(sh->q,
			                   tu_item((uintptr_t)(base + i) + 1));
			i++;
		}
	}
	if (workq_producer_done(sh->q) != 0 && s->err == 0)
		s->err = -1;
	return NULL;
}

static void *mp_consumer(void *arg)
{
	struct mp_slot *s = arg;
	struct mp_shared *sh = s->sh;

	for (;;) {
		void *items[4];
		size_t k, n = 1;
		int err;

		/* Odd consumers take up to four at once. */
		if (s->index % 2 == 1)
			err = workq_get_many(sh->q, items, 4, &n);
		else
			err = workq_get(sh->q, &items[0]);
		if (err == WORKQ_CLOSED)
			break;
		if (err != 0) {
			s->err = err;
			break;
		}
		if (workq_unfinished(sh->q) > workq_capacity(sh->q))
			s->over_bound++;
		for (k = 0; k < n; k++) {
			atomic_fetch_add(&sh->seen[tu_num(items[k]) - 1], 1);
			s->got++;
			err = workq_task_done(sh->q);
			if (err != 0 && s->err == 0)
				s->err = err;
		}
	}
	return NULL;
}

START_TEST(qattr_bound_many_threads_exactly_once)
{
	struct mp_shared sh;
	struct mp_slot ps[MP], cs[MC];
	pthread_t pt[MP], ct[MC];
	long total, i, got = 0;
	int j;

	sh.q = bound_queue(4);
	sh.per_producer = tu_scaled(20000);
	total = MP * sh.per_producer;
	sh.seen = calloc((size_t)total, sizeof(*sh.seen));
	ck_assert_ptr_nonnull(sh.seen);
	ck_assert_int_eq(workq_add_producers(sh.q, MP), 0);
	for (j = 0; j < MC; j++) {
		memset(&cs[j], 0, sizeof(cs[j]));
		cs[j].sh = &sh;
		cs[j].index = j;
		ct[j] = tu_spawn(mp_consumer, &cs[j]);
	}
	for (j = 0; j < MP; j++) {
		memset(&ps[j], 0, sizeof(ps[j]));
		ps[j].sh = &sh;
		ps[j].index = j;
		pt[j] = tu_spawn(mp_producer, &ps[j]);
	}
	for (j = 0; j < MP; j++) {
		tu_join(pt[j]);
		ck_assert_int_eq(ps[j].err, 0);
	}
	for (j = 0; j < MC; j++) {
		tu_join(ct[j]);
		ck_assert_int_eq(cs[j].err, 0);
		ck_assert_int_eq(cs[j].over_bound, 0);
		got += cs[j].got;
	}
	ck_assert_int_eq(got, total);
	for (i = 0; i < total; i++)
		ck_assert_int_eq(atomic_load(&sh.seen[i]), 1);
	ck_assert_uint_eq(workq_unfinished(sh.q), 0);
	ck_assert_int_eq(workq_join(sh.q), 0);
	ck_assert_uint_eq(stats(sh.q).puts, (unsigned long long)total);
	ck_assert_uint_eq(stats(sh.q).blocked_producers, 0);
	free(sh.seen);
	ck_assert_int_eq(workq_destroy(sh.q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* workq_unfinished                                                    */
/* ------------------------------------------------------------------ */

START_TEST(qattr_unfinished_on_every_queue)
{
	workq_t *q = tu_queue(8);
	atomic_int discarded;
	void *item;

	atomic_init(&discarded, 0);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_uint_eq(workq_unfinished(q), 3);
	get_expect(q, 1);
	get_expect(q, 2);
	ck_assert_uint_eq(workq_unfinished(q), 3);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_uint_eq(workq_unfinished(q), 2);
	/* task_done ahead of its item: the queued one counts as done. */
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	get_expect(q, 3);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	/* Discarded items are finished. */
	ck_assert_int_eq(workq_put(q, tu_item(4)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(5)), 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_int_eq(workq_discard(q, count_item, &discarded), 0);
	ck_assert_int_eq(atomic_load(&discarded), 1);
	ck_assert_uint_eq(workq_unfinished(q), 1);
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert_uint_eq(workq_unfinished(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *qattr_suite(void)
{
	Suite *s = suite_create("qattr");
	TCase *tc = tcase_create("qattr");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, qattr_setters_einval_change_nothing);
	tcase_add_test(tc, qattr_defaults_are_workq_create);
	tcase_add_test(tc, qattr_spin_never_sleeps_at_once);
	tcase_add_test(tc, qattr_spin_never_get_is_woken);
	tcase_add_test(tc, qattr_allocator_pairs_every_block);
	tcase_add_test(tc, qattr_allocator_not_released_while_busy);
	tcase_add_test(tc, qattr_allocator_failure_is_enomem);
	tcase_add_test(tc, qattr_bound_put_waits_with_ring_empty);
	tcase_add_test(tc, qattr_bound_each_task_done_wakes_one);
	tcase_add_test(tc, qattr_bound_put_many);
	tcase_add_test(tc, qattr_bound_discard_and_close);
	tcase_add_test(tc, qattr_bound_pool_waits_for_running_jobs);
	tcase_add_test(tc, qattr_bound_pool_streaming);
	tcase_add_test(tc, qattr_bound_many_threads_exactly_once);
	tcase_add_test(tc, qattr_unfinished_on_every_queue);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(qattr_suite());
}
