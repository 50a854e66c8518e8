/*
 * check_attr.c - pool attributes: create and destroy, every setter's
 * EINVAL (changing nothing), thread names read back, the stack size,
 * start and stop hooks once per worker in its own thread, the allocator
 * (every block released, none from malloc), and the attribute object
 * destroyed right after the start.
 */
#include "testutil.h"

#include <limits.h>
#include <stdatomic.h>

#define MAXW 16

struct wrec {
	atomic_int starts;
	atomic_int stops;
	pid_t start_tid;
	pid_t stop_tid;
	char name[32];
	int name_err;
	size_t stack;           /* the thread's stack size, 0 if unknown */
};

struct actx {
	struct wrec w[MAXW];
	atomic_long items;
	atomic_long items_off_thread; /* fn on a thread not its worker's */
};

static _Thread_local long tl_index = -1;
static _Thread_local pid_t tl_tid;

static void on_start(size_t index, void *arg)
{
	struct actx *c = arg;
	struct wrec *w;

	if (index >= MAXW)
		return;
	w = &c->w[index];
	tl_index = (long)index;
	tl_tid = tu_gettid();
	w->start_tid = tl_tid;
	w->name_err = pthread_getname_np(pthread_self(), w->name,
	                                 sizeof(w->name));
#ifdef __GLIBC__
	{
		pthread_attr_t a;

		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			(void)pthread_attr_getstacksize(&a, &w->stack);
			pthread_attr_destroy(&a);
		}
	}
#endif
	atomic_fetch_add(&w->starts, 1);
}

static void on_stop(size_t index, void *arg)
{
	struct actx *c = arg;

	if (index >= MAXW)
		return;
	c->w[index].stop_tid = tu_gettid();
	atomic_fetch_add(&c->w[index].stops, 1);
}

static void fn(void *item, void *arg)
{
	struct actx *c = arg;

	(void)item;
	if (tl_index < 0 || tl_tid != tu_gettid())
		atomic_fetch_add(&c->items_off_thread, 1);
	atomic_fetch_add(&c->items, 1);
}

static void actx_init(struct actx *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < MAXW; i++) {
		atomic_init(&c->w[i].starts, 0);
		atomic_init(&c->w[i].stops, 0);
	}
	atomic_init(&c->items, 0);
	atomic_init(&c->items_off_thread, 0);
}

static workq_pool_attr_t *new_attr(struct actx *c)
{
	workq_pool_attr_t *attr = NULL;

	ck_assert_int_eq(workq_pool_attr_create(&attr), 0);
	ck_assert_ptr_nonnull(attr);
	ck_assert_int_eq(workq_pool_attr_set_hooks(attr, on_start, on_stop, c),
	                 0);
	return attr;
}

static void run_items(workq_t *q, long n)
{
	long i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(workq_put(q, tu_item((uintptr_t)i)), 0);
}

/* ------------------------------------------------------------------ */

START_TEST(attr_create_and_setters_einval)
{
	workq_pool_attr_t *attr;

	ck_assert_int_eq(workq_pool_attr_create(NULL), EINVAL);
	ck_assert_int_eq(workq_pool_attr_destroy(NULL), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_name(NULL, "x"), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_stack_size(NULL, 1 << 20),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_hooks(NULL, NULL, NULL, NULL),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_allocator(NULL, NULL, NULL, NULL),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_attr_create(&attr), 0);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, ""), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, "twelve-bytes"),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, "eleven-byte"), 0);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, NULL), 0);
	ck_assert_int_eq(workq_pool_attr_set_stack_size(attr, 0), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_stack_size(
	                         attr, (size_t)PTHREAD_STACK_MIN - 1), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_stack_size(
	                         attr, (size_t)PTHREAD_STACK_MIN), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
}
END_TEST

/* A refused name leaves the one set before; the names read back are
 * prefix + index, for the workers of a resize too; the attribute object
 * was destroyed right after the start. */
START_TEST(attr_names_read_back)
{
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q = tu_queue(8);
	char want[32];
	size_t i;

	actx_init(&c);
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, "tst-"), 0);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, "much-too-long-name"),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 3, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_pool_resize(pool, 5), 0);
	run_items(q, 20);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.items), 20);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(atomic_load(&c.w[i].starts), 1);
#if defined(HAVE_PTHREAD_SETNAME_NP_2) && defined(__GLIBC__)
		ck_assert_int_eq(c.w[i].name_err, 0);
		snprintf(want, sizeof(want), "tst-%zu", i);
		ck_assert_str_eq(c.w[i].name, want);
#else
		(void)want;
#endif
	}
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* A prefix of 11 bytes leaves 4 digits: a pool that would have worker
 * 10000 is refused by start and by resize, and nothing changes. */
START_TEST(attr_name_that_cannot_fit_is_refused)
{
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *marker = (workq_pool_t *)&marker;
	workq_pool_t *pool = marker;
	workq_t *q = tu_queue(8);
	int base = tu_thread_baseline();

	actx_init(&c);
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_attr_set_name(attr, "elevenbytes"), 0);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 10001, fn, &c, attr),
	                 EINVAL);
	ck_assert_ptr_eq(pool, marker);
	if (base >= 0)          /* where threads can be counted */
		ck_assert_int_eq(tu_count_threads(), base);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 1, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_pool_resize(pool, 10001), EINVAL);
	if (base >= 0)
		ck_assert_int_eq(tu_count_threads(), base + 1);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.w[0].starts), 1);
	ck_assert_int_eq(atomic_load(&c.w[1].starts), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Each worker runs on_start once, before its items, and on_stop once,
 * in its own thread; the workers of a shrink run on_stop before the
 * resize returns. */
START_TEST(attr_hooks_once_per_worker_in_its_thread)
{
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q = tu_queue(8);
	size_t i, j;

	actx_init(&c);
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 6, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	run_items(q, 100);
	ck_assert_int_eq(workq_pool_resize(pool, 2), 0);
	for (i = 2; i < 6; i++)
		ck_assert_int_eq(atomic_load(&c.w[i].stops), 1);
	run_items(q, 100);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.items), 200);
	ck_assert_int_eq(atomic_load(&c.items_off_thread), 0);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(atomic_load(&c.w[i].starts), 1);
		ck_assert_int_eq(atomic_load(&c.w[i].stops), 1);
		if (tu_gettid() < 0)
			continue;       /* no thread ids to compare here */
		ck_assert_int_eq(c.w[i].start_tid, c.w[i].stop_tid);
		ck_assert_int_ne(c.w[i].start_tid, tu_gettid());
		for (j = 0; j < i; j++)
			ck_assert_int_ne(c.w[i].start_tid, c.w[j].start_tid);
	}
	ck_assert_int_eq(atomic_load(&c.w[6].starts), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(attr_stack_size_is_used)
{
	const size_t want = 1024 * 1024 + 64 * 1024;
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q = tu_queue(8);

	actx_init(&c);
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_attr_set_stack_size(attr, want), 0);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 2, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.w[0].starts), 1);
#ifdef __GLIBC__
	ck_assert_uint_ge(c.w[0].stack, want);
	ck_assert_uint_lt(c.w[0].stack, 2 * want);
	ck_assert_uint_ge(c.w[1].stack, want);
#endif
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* The caller's allocator: counted, given its ctx, every block released
 * by the join. */
struct counting {
	pthread_mutex_t mu;
	long allocs;
	long releases;
	long live;
	long bad_ctx;
};

static void *count_alloc(size_t size, void *ctx)
{
	struct counting *k = ctx;
	void *p = malloc(size);

	pthread_mutex_lock(&k->mu);
	k->allocs++;
	if (p != NULL)
		k->live++;
	pthread_mutex_unlock(&k->mu);
	return p;
}

static void count_release(void *ptr, void *ctx)
{
	struct counting *k = ctx;

	pthread_mutex_lock(&k->mu);
	k->releases++;
	k->live--;
	if (ptr == NULL)
		k->bad_ctx++;
	pthread_mutex_unlock(&k->mu);
	free(ptr);
}

START_TEST(attr_allocator_pairs_every_block)
{
	struct counting k;
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q = tu_queue(8);

	memset(&k, 0, sizeof(k));
	pthread_mutex_init(&k.mu, NULL);
	actx_init(&c);
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_attr_set_allocator(attr, count_alloc, NULL,
	                                               &k), EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_allocator(attr, NULL,
	                                               count_release, &k),
	                 EINVAL);
	ck_assert_int_eq(workq_pool_attr_set_allocator(attr, count_alloc,
	                                               count_release, &k), 0);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 2, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	ck_assert_int_ge(k.allocs, 1);
	ck_assert_int_eq(workq_pool_resize(pool, 9), 0);
	ck_assert_int_eq(workq_pool_resize(pool, 1), 0);
	ck_assert_int_eq(workq_pool_resize(pool, 4), 0);
	run_items(q, 50);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_ge(k.allocs, 1 + 9);      /* the pool, each worker */
	ck_assert_int_eq(k.allocs, k.releases);
	ck_assert_int_eq(k.live, 0);
	ck_assert_int_eq(k.bad_ctx, 0);
	ck_assert_int_eq(atomic_load(&c.items), 50);
	pthread_mutex_destroy(&k.mu);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* attr NULL: the defaults, names "workq-N" included. */
START_TEST(attr_null_gives_the_defaults)
{
	struct actx c;
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q = tu_queue(8);

	actx_init(&c);
	/* Hooks need an attr; the name is left as created. */
	attr = new_attr(&c);
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 2, fn, &c, attr), 0);
	ck_assert_int_eq(workq_pool_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
#if defined(HAVE_PTHREAD_SETNAME_NP_2) && defined(__GLIBC__)
	ck_assert_str_eq(c.w[0].name, "workq-0");
	ck_assert_str_eq(c.w[1].name, "workq-1");
#endif
	ck_assert_int_eq(workq_pool_start_attr(&pool, q, 2, fn, &c, NULL), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);     /* q is closed */
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static Suite *attr_suite(void)
{
	Suite *s = suite_create("attr");
	TCase *tc = tcase_create("attr");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, attr_create_and_setters_einval);
	tcase_add_test(tc, attr_names_read_back);
	tcase_add_test(tc, attr_name_that_cannot_fit_is_refused);
	tcase_add_test(tc, attr_hooks_once_per_worker_in_its_thread);
	tcase_add_test(tc, attr_stack_size_is_used);
	tcase_add_test(tc, attr_allocator_pairs_every_block);
	tcase_add_test(tc, attr_null_gives_the_defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(attr_suite());
}
