/*
 * check_pool.c - worker pools: argument errors, every item run exactly
 * once, stopping on close or on the done sentinel, workq_join through
 * the workers' task_done, destroy refusing while a pool is attached,
 * EDEADLK from a worker, thread names and signal masks, several pools
 * on one queue, Go's TestMultiConsumer.
 *
 * Worker threads never assert: they write into per-worker slots (found
 * through a thread-local pointer) or per-item counters, and the test's
 * own thread checks them after workq_pool_join().
 */
#include "testutil.h"

#include <signal.h>
#include <stdatomic.h>

#define MAX_WORKERS 64

/* What one worker thread recorded. */
struct wslot {
	long count;              /* items it ran */
	uintmax_t sum;           /* sum of their numbers */
	char name[32];           /* pthread_getname_np, "" if unknown */
	int name_err;            /* what pthread_getname_np returned */
	int all_blocked;         /* every blockable signal was blocked */
	int unblocked_sig;       /* the first one that was not, or 0 */
	int join_err;            /* workq_pool_join from inside fn */
};

/* Shared by the test and the workers of one or more pools. */
struct pctx {
	workq_t *q;
	workq_pool_t *pool;      /* for the EDEADLK probe */
	size_t nitems;           /* items are tu_item(0 .. nitems-1) */
	atomic_int *counts;      /* how often each item ran */
	atomic_long processed;   /* items run, all workers together */
	atomic_long bogus;       /* items outside [0, nitems) */
	atomic_size_t nslots;    /* worker slots handed out */
	struct wslot slots[MAX_WORKERS];
	int probe;               /* record name and signal mask */
	int join_self;           /* call workq_pool_join(pool) */
	pthread_barrier_t *barrier; /* wait here once per worker */
	/* A gate item (number gate_item) blocks its worker until released. */
	uintptr_t gate_item;
	int use_gate;
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	int gate_open;
	/* FIFO check, for single-worker pools only. */
	int check_order;
	uintptr_t last;
	int order_ok;
};

/* The calling worker's slot; worker threads are new in every test, so
 * the thread-local pointer starts out NULL in each. */
static _Thread_local struct wslot *tl_slot;
static _Thread_local int tl_first;

static struct wslot *my_slot(struct pctx *c)
{
	if (tl_slot == NULL) {
		size_t i = atomic_fetch_add(&c->nslots, 1);

		/* Overflow is reported through nslots; share the last slot. */
		tl_slot = &c->slots[i < MAX_WORKERS ? i : MAX_WORKERS - 1];
		tl_first = 1;
	}
	return tl_slot;
}

static void pctx_init(struct pctx *c, workq_t *q, size_t nitems)
{
	memset(c, 0, sizeof(*c));
	c->q = q;
	c->nitems = nitems;
	c->counts = calloc(nitems > 0 ? nitems : 1, sizeof(*c->counts));
	ck_assert_ptr_nonnull(c->counts);
	atomic_init(&c->processed, 0);
	atomic_init(&c->bogus, 0);
	atomic_init(&c->nslots, 0);
	pthread_mutex_init(&c->gate_mu, NULL);
	pthread_cond_init(&c->gate_cv, NULL);
	c->order_ok = 1;
}

static void pctx_free(struct pctx *c)
{
	pthread_cond_destroy(&c->gate_cv);
	pthread_mutex_destroy(&c->gate_mu);
	free(c->counts);
}

/* Signal numbers run from 1 to below NSIG, where it is defined (glibc,
 * musl, the BSDs and macOS all do); 65 covers Linux's otherwise. */
#ifdef NSIG
#define TOP_SIGNAL NSIG
#else
#define TOP_SIGNAL 65
#endif

/* The signals this process can block, written once by the test before
 * its pool starts: every one but SIGKILL and SIGSTOP, less those that
 * the C library (glibc's 32 and 33) or an emulator (qemu-user keeps a
 * real-time one) holds back.  Found by blocking all and reading the mask
 * back, so no system's list is written out here. */
static sigset_t blockable;

static void find_blockable(void)
{
	sigset_t all, old;

	sigfillset(&all);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &all, &old), 0);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, &blockable), 0);
}

static void record_probe(struct wslot *s)
{
	sigset_t cur;
	int sig;

#ifdef HAVE_PTHREAD_GETNAME_NP
	s->name_err = pthread_getname_np(pthread_self(), s->name,
	                                 sizeof(s->name));
#else
	s->name_err = ENOSYS;
#endif
	if (s->name_err != 0)
		s->name[0] = '\0';
	s->all_blocked = 1;
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0) {
		s->all_blocked = 0;
		return;
	}
	for (sig = 1; sig < TOP_SIGNAL; sig++) {
		if (sigismember(&blockable, sig) == 1 &&
		    sigismember(&cur, sig) != 1) {
			s->all_blocked = 0;
			s->unblocked_sig = sig;
			return;
		}
	}
}

/* The pool's fn for every test in this file. */
static void work_fn(void *item, void *arg)
{
	struct pctx *c = arg;
	struct wslot *s = my_slot(c);
	uintptr_t n = tu_num(item);

	if (tl_first) {
		tl_first = 0;
		if (c->probe)
			record_probe(s);
		if (c->join_self)
			s->join_err = workq_pool_join(c->pool);
		if (c->barrier != NULL)
			pthread_barrier_wait(c->barrier);
	}
	if (c->use_gate && n == c->gate_item) {
		pthread_mutex_lock(&c->gate_mu);
		while (!c->gate_open)
			pthread_cond_wait(&c->gate_cv, &c->gate_mu);
		pthread_mutex_unlock(&c->gate_mu);
	}
	if (n < c->nitems)
		atomic_fetch_add(&c->counts[n], 1);
	else if (!(c->use_gate && n == c->gate_item))
		atomic_fetch_add(&c->bogus, 1);
	if (c->check_order) {
		if (s->count > 0 && n != c->last + 1)
			c->order_ok = 0;
		c->last = n;
	}
	s->count++;
	s->sum += n;
	atomic_fetch_add(&c->processed, 1);
}

/* Every item ran exactly once, and the slots add up. */
static void check_all_once(struct pctx *c)
{
	size_t i, nslots = atomic_load(&c->nslots);
	long total = 0;

	ck_assert_uint_le(nslots, MAX_WORKERS);
	for (i = 0; i < c->nitems; i++)
		ck_assert_msg(atomic_load(&c->counts[i]) == 1,
		              "item %zu ran %d times", i,
		              atomic_load(&c->counts[i]));
	ck_assert_int_eq(atomic_load(&c->bogus), 0);
	for (i = 0; i < nslots; i++)
		total += c->slots[i].count;
	ck_assert_int_eq(total, atomic_load(&c->processed));
}

static void put_items(workq_t *q, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
}

static void start_pool(workq_pool_t **pp, workq_t *q, size_t n,
                       struct pctx *c)
{
	*pp = NULL;
	ck_assert_int_eq(workq_pool_start(pp, q, n, work_fn, c), 0);
	ck_assert_ptr_nonnull(*pp);
}

/* ------------------------------------------------------------------ */

START_TEST(pool_start_einval_leaves_poolp_and_queue_untouched)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *marker = (workq_pool_t *)&marker;
	workq_pool_t *pool = marker;
	struct pctx c;
	void *it;

	pctx_init(&c, q, 1);
	ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
	ck_assert_int_eq(workq_pool_start(NULL, q, 2, work_fn, &c), EINVAL);
	ck_assert_int_eq(workq_pool_start(&pool, NULL, 2, work_fn, &c),
	                 EINVAL);
	ck_assert_ptr_eq(pool, marker);
	ck_assert_int_eq(workq_pool_start(&pool, q, 0, work_fn, &c), EINVAL);
	ck_assert_ptr_eq(pool, marker);
	ck_assert_int_eq(workq_pool_start(&pool, q, 2, NULL, &c), EINVAL);
	ck_assert_ptr_eq(pool, marker);
	/* Nothing ran, the item is still there, no pool is attached. */
	ck_assert_int_eq(atomic_load(&c.processed), 0);
	ck_assert_uint_eq(workq_size(q), 1);
	ck_assert_int_eq(workq_is_closed(q), 0);
	ck_assert_int_eq(workq_try_get(q, &it), 0);
	ck_assert_ptr_eq(it, tu_item(0));
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_runs_every_item_exactly_once)
{
	const size_t n = (size_t)tu_scaled(10000);
	workq_t *q = tu_queue(64);
	workq_pool_t *pool;
	struct pctx c;
	size_t i, used = 0;
	int base = tu_thread_baseline();

	pctx_init(&c, q, n);
	start_pool(&pool, q, 4, &c);
	put_items(q, 0, n);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	/* All work is done by the time pool_join returns. */
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	check_all_once(&c);
	ck_assert_uint_le(atomic_load(&c.nslots), 4);
	for (i = 0; i < atomic_load(&c.nslots); i++)
		if (c.slots[i].count > 0)
			used++;
	ck_assert_uint_ge(used, 1);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_single_worker_runs_items_in_fifo_order)
{
	const size_t n = (size_t)tu_scaled(2000);
	workq_t *q = tu_queue(8);
	workq_pool_t *pool;
	struct pctx c;

	pctx_init(&c, q, n);
	c.check_order = 1;
	start_pool(&pool, q, 1, &c);
	put_items(q, 0, n);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	check_all_once(&c);
	ck_assert_int_eq(c.order_ok, 1);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

/* The queue holds everything before the pool starts, and is closed at
 * once: pool_join must still wait for every item to be run. */
START_TEST(pool_stops_on_close_after_draining)
{
	const size_t n = 1000;
	workq_t *q = tu_queue(n);
	workq_pool_t *pool;
	struct pctx c;
	void *it = NULL;

	pctx_init(&c, q, n);
	put_items(q, 0, n);
	start_pool(&pool, q, 3, &c);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	check_all_once(&c);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_get(q, &it), WORKQ_CLOSED);
	ck_assert_ptr_eq(it, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_stops_on_put_done_after_draining)
{
	const size_t n = (size_t)tu_scaled(5000);
	workq_t *q = tu_queue(16);
	workq_pool_t *pool;
	struct pctx c;

	pctx_init(&c, q, n);
	start_pool(&pool, q, 4, &c);
	put_items(q, 0, n);
	/* The seed program's DONE_SIGNAL: the same as workq_close. */
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_is_closed(q), 1);
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	check_all_once(&c);
	ck_assert_uint_eq(workq_size(q), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_started_on_closed_queue_drains_and_exits)
{
	const size_t n = 50;
	workq_t *q = tu_queue(n);
	workq_pool_t *pool;
	struct pctx c;
	void *it = NULL;
	int base = tu_thread_baseline();

	pctx_init(&c, q, n);
	put_items(q, 0, n);
	ck_assert_int_eq(workq_close(q), 0);
	start_pool(&pool, q, 4, &c);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	check_all_once(&c);
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	ck_assert_int_eq(workq_try_get(q, &it), WORKQ_CLOSED);
	ck_assert_ptr_eq(it, WORKQ_DONE);
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_started_on_closed_empty_queue_exits)
{
	workq_t *q = tu_queue(1);
	workq_pool_t *pool;
	struct pctx c;

	pctx_init(&c, q, 1);
	ck_assert_int_eq(workq_close(q), 0);
	start_pool(&pool, q, 3, &c);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.processed), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

/* A joiner thread: workq_join, then a snapshot of the work done. */
struct joiner {
	workq_t *q;
	struct pctx *c;
	int err;
	long processed_at_return;
	atomic_int returned;
	atomic_int tid;
};

static void *joiner_main(void *arg)
{
	struct joiner *j = arg;

	atomic_store(&j->tid, (int)tu_gettid());
	j->err = workq_join(j->q);
	j->processed_at_return = atomic_load(&j->c->processed);
	atomic_store(&j->returned, 1);
	return NULL;
}

static void wait_tid(atomic_int *tid)
{
	int i;

	for (i = 0; i < 10000 && atomic_load(tid) == 0; i++)
		tu_sleep_ms(1);
}

START_TEST(pool_task_done_lets_workq_join_return)
{
	const size_t n = (size_t)tu_scaled(2000);
	workq_t *q = tu_queue(32);
	workq_pool_t *pool;
	struct pctx c;
	struct joiner j;
	pthread_t t;

	pctx_init(&c, q, n);
	c.use_gate = 1;
	c.gate_item = n;        /* not counted in counts[] */
	start_pool(&pool, q, 2, &c);
	ck_assert_int_eq(workq_put(q, tu_item(n)), 0);
	put_items(q, 0, n);
	memset(&j, 0, sizeof(j));
	j.q = q;
	j.c = &c;
	atomic_init(&j.returned, 0);
	atomic_init(&j.tid, 0);
	t = tu_spawn(joiner_main, &j);
	wait_tid(&j.tid);
	tu_wait_blocked((pid_t)atomic_load(&j.tid));
	/* The gate item is still inside fn: not finished. */
	ck_assert_int_eq(atomic_load(&j.returned), 0);
	pthread_mutex_lock(&c.gate_mu);
	c.gate_open = 1;
	pthread_cond_broadcast(&c.gate_cv);
	pthread_mutex_unlock(&c.gate_mu);
	tu_join(t);
	ck_assert_int_eq(j.err, 0);
	/* fn runs before task_done, so every item had been run. */
	ck_assert_int_eq(j.processed_at_return, (long)n + 1);
	check_all_once(&c);
	/* A second join returns at once; the pool is still running. */
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
	ck_assert_int_eq(workq_join(q), 0);
	ck_assert_int_eq(atomic_load(&c.counts[0]), 2);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(workq_task_done(q), ERANGE);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(destroy_ebusy_while_pool_attached_until_pool_join)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *pool;
	struct pctx c;
	int base = tu_thread_baseline();

	pctx_init(&c, q, 10);
	start_pool(&pool, q, 2, &c);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	put_items(q, 0, 10);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_close(q), 0);
	/* Wait until both workers have exited (they leave /proc/self/task
	 * before being joined): the pool is still attached. */
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	check_all_once(&c);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_join_null_einval)
{
	ck_assert_int_eq(workq_pool_join(NULL), EINVAL);
}
END_TEST

START_TEST(pool_join_from_worker_gives_edeadlk)
{
	workq_t *q = tu_queue(4);
	workq_pool_t *pool;
	struct pctx c;
	size_t i;

	pctx_init(&c, q, 8);
	c.join_self = 1;
	start_pool(&pool, q, 2, &c);
	/* Published before any item: a worker reads it after its get. */
	c.pool = pool;
	put_items(q, 0, 8);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	check_all_once(&c);
	ck_assert_uint_ge(atomic_load(&c.nslots), 1);
	for (i = 0; i < atomic_load(&c.nslots); i++)
		ck_assert_int_eq(c.slots[i].join_err, EDEADLK);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

static int cmp_names(const void *a, const void *b)
{
	const struct wslot *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	/* "workq-10" after "workq-9": shorter first, then bytes. */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Twelve items, twelve workers: a barrier inside fn holds each worker
 * at its first item until all twelve have one, so every worker runs
 * fn and records its name and signal mask. */
START_TEST(pool_workers_named_and_all_signals_blocked)
{
	enum { N = 12 };
	workq_t *q = tu_queue(N);
	workq_pool_t *pool;
	pthread_barrier_t barrier;
	struct pctx c;
	sigset_t before, after;
	size_t i;
	char want[32];

	pctx_init(&c, q, N);
	c.probe = 1;
	ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, N), 0);
	c.barrier = &barrier;
	find_blockable();
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
	start_pool(&pool, q, N, &c);
	/* pool_start gives the caller its own mask back. */
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
	ck_assert_int_eq(sigismember(&before, SIGUSR1),
	                 sigismember(&after, SIGUSR1));
	ck_assert_int_eq(sigismember(&before, SIGINT),
	                 sigismember(&after, SIGINT));
	ck_assert_int_eq(sigismember(&before, SIGTERM),
	                 sigismember(&after, SIGTERM));
	put_items(q, 0, N);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	check_all_once(&c);
	ck_assert_uint_eq(atomic_load(&c.nslots), N);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(c.slots[i].count, 1);
		ck_assert_msg(c.slots[i].all_blocked,
		              "worker %s: signal %d not blocked",
		              c.slots[i].name, c.slots[i].unblocked_sig);
	}
	/* The names are checked where the library sets them and the test
	 * can read them back. */
#if defined(HAVE_PTHREAD_SETNAME_NP_2) && defined(HAVE_PTHREAD_GETNAME_NP)
	qsort(c.slots, N, sizeof(c.slots[0]), cmp_names);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(c.slots[i].name_err, 0);
		snprintf(want, sizeof(want), "workq-%zu", i);
		ck_assert_str_eq(c.slots[i].name, want);
	}
#else
	(void)cmp_names;
	(void)want;
#endif
	pthread_barrier_destroy(&barrier);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(two_pools_on_one_queue_share_the_work)
{
	const size_t n = (size_t)tu_scaled(6000);
	workq_t *q = tu_queue(16);
	workq_pool_t *p1, *p2;
	struct pctx c;
	int base = tu_thread_baseline();

	/* One context for both pools: per-item counts across them. */
	pctx_init(&c, q, n);
	start_pool(&p1, q, 2, &c);
	start_pool(&p2, q, 3, &c);
	put_items(q, 0, n);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(p1), 0);
	/* The other pool is still attached. */
	ck_assert_int_eq(workq_destroy(q), EBUSY);
	ck_assert_int_eq(workq_pool_join(p2), 0);
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	check_all_once(&c);
	ck_assert_uint_le(atomic_load(&c.nslots), 5);
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

/* Go's runtime TestMultiConsumer: 23 workers, capacity 3 * workers,
 * the items' sum and count must come out exact. */
START_TEST(pool_multi_consumer_sum_and_count)
{
	const size_t nwork = 23;
	const size_t n = (size_t)tu_scaled(27183);
	workq_t *q = tu_queue(3 * nwork);
	workq_pool_t *pool;
	struct pctx c;
	uintmax_t sum = 0, want = 0;
	long count = 0;
	size_t i;

	pctx_init(&c, q, n);
	start_pool(&pool, q, nwork, &c);
	for (i = 0; i < n; i++) {
		want += i;
		ck_assert_int_eq(workq_put(q, tu_item(i)), 0);
	}
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_uint_le(atomic_load(&c.nslots), nwork);
	for (i = 0; i < atomic_load(&c.nslots); i++) {
		sum += c.slots[i].sum;
		count += c.slots[i].count;
	}
	ck_assert_int_eq(count, (long)n);
	ck_assert_msg(sum == want, "sum %ju, want %ju", sum, want);
	check_all_once(&c);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

START_TEST(pool_more_threads_than_items)
{
	const size_t n = 3;
	workq_t *q = tu_queue(2);
	workq_pool_t *pool;
	struct pctx c;
	int base = tu_thread_baseline();

	pctx_init(&c, q, n);
	start_pool(&pool, q, 16, &c);
	put_items(q, 0, n);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_pool_join(pool), 0);
	ck_assert_int_eq(atomic_load(&c.processed), (long)n);
	check_all_once(&c);
	ck_assert_uint_le(atomic_load(&c.nslots), n);
	ck_assert_int_eq(tu_settle_threads(base), base);
	ck_assert_int_eq(workq_destroy(q), 0);
	pctx_free(&c);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, pool_start_einval_leaves_poolp_and_queue_untouched);
	tcase_add_test(tc, pool_runs_every_item_exactly_once);
	tcase_add_test(tc, pool_single_worker_runs_items_in_fifo_order);
	tcase_add_test(tc, pool_stops_on_close_after_draining);
	tcase_add_test(tc, pool_stops_on_put_done_after_draining);
	tcase_add_test(tc, pool_started_on_closed_queue_drains_and_exits);
	tcase_add_test(tc, pool_started_on_closed_empty_queue_exits);
	tcase_add_test(tc, pool_task_done_lets_workq_join_return);
	tcase_add_test(tc, destroy_ebusy_while_pool_attached_until_pool_join);
	tcase_add_test(tc, pool_join_null_einval);
	tcase_add_test(tc, pool_join_from_worker_gives_edeadlk);
	tcase_add_test(tc, pool_workers_named_and_all_signals_blocked);
	tcase_add_test(tc, two_pools_on_one_queue_share_the_work);
	tcase_add_test(tc, pool_multi_consumer_sum_and_count);
	tcase_add_test(tc, pool_more_threads_than_items);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(pool_suite());
}
