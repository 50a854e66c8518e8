/*
 * pool.c - a resizable set of worker threads draining one queue.
 *
 * A worker loops get -> fn -> task_done and leaves when it receives the
 * done sentinel, re-posting it so that the next worker sees it too (with
 * the sentinel kept as the queue's closed state the re-post is a no-op,
 * but it is the protocol every consumer follows, so the pool follows it).
 * With fn NULL each item is a workq_task_t, run as task->fn(task, arg).
 *
 * Workers are numbered; the pool wants `target` of them, numbers
 * 0 .. target-1.  Invariants:
 *
 *  1. A worker takes items only while its index is below target.  It
 *     asks before every take, under the queue's consumer mutex
 *     (workq__get_unless), so once a resize has lowered target and woken
 *     the consumers, no worker at or above it takes another item: it
 *     leaves instead.
 *  2. `running` counts the workers created and not yet left; leaving
 *     (leave()) is a worker's last act on the pool, after which only
 *     pthread_join waits for its thread.
 *  3. Only the thread holding `busy` (one resize, or the final join)
 *     changes the table or target, so neither needs more than mu to be
 *     read by the workers and their hooks.
 *  4. Start and growth are all or nothing.  New workers first wait at
 *     their gate until every one of them exists; if one cannot be
 *     created, the gate says "abort" and those already started leave
 *     without touching the queue.  So a failed start or resize neither
 *     closes the user's queue nor takes items from it.
 *  5. A worker thread knows itself (current()): that is how joins called
 *     from one see that they would wait for themselves.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workq-internal.h"

enum gate { GATE_WAIT, GATE_RUN, GATE_ABORT };

struct worker {
	pthread_t tid;             /* (b) set when created */
	workq_pool_t *pool;        /* (c) */
	size_t index;              /* (c) its place in the table, its name */
	enum gate gate;            /* (p) what it does after its gate */
	int left;                  /* (p) 1 once it no longer uses the pool */
};

/*
 * Locking: mu guards the (p) fields; it is never held while calling into
 * the queue or the user's code.  (c) fields are constant once the pool
 * started; (b) fields belong to the thread that holds busy (see
 * invariant 3); (a) fields are also read, without mu, atomically.
 */
struct workq_pool {
	pthread_mutex_t mu;
	pthread_cond_t gate_cv;    /* new workers wait here for their gate */
	pthread_cond_t exit_cv;    /* workers left, or busy was released */
	size_t running;            /* (p) workers created and not yet left */
	size_t target;             /* (p, b, a) workers wanted */
	int busy;                  /* (p) a resize or the join owns (b) */
	size_t nslots;             /* (b) entries in table */
	struct worker **table;     /* (b) worker i, or NULL once joined */
	workq_t *q;                /* (c) */
	workq_item_fn *fn;         /* (c) NULL: items are workq_task_t */
	void *arg;                 /* (c) */
	struct workq_pool_attr attr; /* (c) the caller's, copied */
};

/* ------------------------------------------------------------------ */
/* Which worker is this thread?                                        */
/* ------------------------------------------------------------------ */

#ifdef HAVE_THREAD_LOCAL
static __thread struct worker *tl_worker;

static void set_current(struct worker *w)
{
	tl_worker = w;
}

static struct worker *current(void)
{
	return tl_worker;
}
#else
/* Without __thread: a key, made once.  Should that fail, no thread is
 * known as a worker, and a join from one hangs as it did before 0.2. */
static pthread_key_t worker_key;
static int worker_key_ok;
static pthread_once_t worker_key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
	worker_key_ok = pthread_key_create(&worker_key, NULL) == 0;
}

static void set_current(struct worker *w)
{
	pthread_once(&worker_key_once, make_key);
	if (worker_key_ok)
		(void)pthread_setspecific(worker_key, w);
}

static struct worker *current(void)
{
	pthread_once(&worker_key_once, make_key);
	return worker_key_ok ? pthread_getspecific(worker_key) : NULL;
}
#endif

static int is_worker(const workq_pool_t *pool)
{
	const struct worker *w = current();

	return w != NULL && w->pool == pool;
}

int workq__in_pool_worker_of(const workq_t *q)
{
	const struct worker *w = current();

	return w != NULL && w->pool->q == q;
}

/* ------------------------------------------------------------------ */
/* The worker                                                          */
/* ------------------------------------------------------------------ */

static void set_name(const workq_pool_t *pool, size_t index)
{
#ifdef HAVE_PTHREAD_SETNAME_NP_2
	char name[WORKQ__NAME_MAX + 1];
	const char *prefix = pool->attr.prefix[0] != '\0' ? pool->attr.prefix
	                                                  : "workq-";

	snprintf(name, sizeof(name), "%s%zu", prefix, index);
	(void)pthread_setname_np(pthread_self(), name);   /* cosmetic */
#else
	(void)pool;
	(void)index;
#endif
}

/*
 * Waits for the worker's gate to open.  Returns 1 to run, 0 to leave at
 * once.  Not a cancellation point: a cancel arriving here would leave
 * with pool->mu held, and worker_exit would then lock it again.
 */
static int pass_gate(struct worker *w)
{
	workq_pool_t *pool = w->pool;
	enum gate g;
	int state;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	workq__lock(&pool->mu);
	while (w->gate == GATE_WAIT)
		workq__wait(&pool->gate_cv, &pool->mu, NULL);
	g = w->gate;
	workq__unlock(&pool->mu);
	pthread_setcancelstate(state, NULL);
	return g == GATE_RUN;
}

/* The worker's last act on the pool: after it, a joiner may free it. */
static void leave(struct worker *w)
{
	workq_pool_t *pool = w->pool;

	workq__lock(&pool->mu);
	w->left = 1;
	pool->running--;
	/* Joins wait for running == 0, resizes for particular workers. */
	workq__broadcast(&pool->exit_cv);
	workq__unlock(&pool->mu);
}

/*
 * Runs if fn ends its worker thread (pthread_exit, or cancellation inside
 * fn): the item counts as done, so workq_join does not wait for it
 * forever.
 */
static void item_abandoned(void *arg)
{
	workq_pool_t *pool = arg;

	(void)workq_task_done(pool->q);
}

/* A NULL item, or a task without fn, has nothing to run: it is finished
 * at once rather than crashing the worker. */
static void run_item(workq_pool_t *pool, void *item)
{
	pthread_cleanup_push(item_abandoned, pool);
	if (pool->fn != NULL) {
		pool->fn(item, pool->arg);
	} else if (item != NULL) {
		workq_task_t *task = item;

		if (task->fn != NULL)
			task->fn(task, pool->arg);
	}
	pthread_cleanup_pop(0);
}

/* Runs when the worker ends, however it ends: returning, fn ending the
 * thread, or a cancellation (in workq_get, say) that the program should
 * not have sent but that must not make the pool's joins hang.  The pool
 * goes on with one worker fewer. */
static void worker_exit(void *arg)
{
	leave(arg);
}

/* target is stored under mu by the thread holding busy, and loaded by
 * the workers without mu (from inside the queue's consumer mutex). */
static size_t load_target(const workq_pool_t *pool)
{
	return __atomic_load_n(&pool->target, __ATOMIC_ACQUIRE);
}

static void store_target(workq_pool_t *pool, size_t n)
{
	__atomic_store_n(&pool->target, n, __ATOMIC_RELEASE);
}

/* stop() for workq__get_unless: is this worker one too many? */
static int surplus(void *arg)
{
	const struct worker *w = arg;

	return w->index >= load_target(w->pool);
}

static void work(struct worker *w)
{
	workq_pool_t *pool = w->pool;
	void *item;
	int err;

	while ((err = workq__get_unless(pool->q, &item, surplus, w)) == 0) {
		run_item(pool, item);
		(void)workq_task_done(pool->q);
	}
	/* item is WORKQ_DONE: pass it on to the other workers.  After
	 * ECANCELED the worker took nothing and has nothing to pass on. */
	if (err == WORKQ_CLOSED)
		(void)workq_put(pool->q, item);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	workq_pool_t *pool = w->pool;

	set_current(w);
	set_name(pool, w->index);
	pthread_cleanup_push(worker_exit, w);
	if (pass_gate(w)) {
		if (pool->attr.on_start != NULL)
			pool->attr.on_start(w->index, pool->attr.hook_arg);
		work(w);
		if (pool->attr.on_stop != NULL)
			pool->attr.on_stop(w->index, pool->attr.hook_arg);
	}
	pthread_cleanup_pop(1);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/* All of the pool's memory comes from the caller's allocator; the
 * errno that malloc may set is put back, as the API never sets it. */
static void *pool_alloc(const struct workq_pool_attr *a, size_t size)
{
	int saved_errno = errno;
	void *p = a->alloc(size, a->alloc_ctx);

	errno = saved_errno;
	return p;
}

static void pool_release(const struct workq_pool_attr *a, void *p)
{
	if (p != NULL)
		a->release(p, a->alloc_ctx);
}

/* Makes room for n workers in the table; the old entries move over.
 * Returns 0 or ENOMEM, with the table unchanged.  Holds busy. */
static int reserve(workq_pool_t *pool, size_t n)
{
	struct worker **t;

	if (n <= pool->nslots)
		return 0;
	if (n > SIZE_MAX / sizeof(*t))
		return ENOMEM;
	t = pool_alloc(&pool->attr, n * sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	if (pool->nslots > 0)
		memcpy(t, pool->table, pool->nslots * sizeof(*t));
	memset(t + pool->nslots, 0, (n - pool->nslots) * sizeof(*t));
	pool_release(&pool->attr, pool->table);
	pool->table = t;
	pool->nslots = n;
	return 0;
}

/* Frees the workers in table[from..to), which have no thread. */
static void drop_workers(workq_pool_t *pool, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		pool_release(&pool->attr, pool->table[i]);
		pool->table[i] = NULL;
	}
}

/* Allocates workers from..to-1, gates shut.  0 or ENOMEM (none made). */
static int make_workers(workq_pool_t *pool, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		struct worker *w = pool_alloc(&pool->attr, sizeof(*w));

		if (w == NULL) {
			drop_workers(pool, from, i);
			return ENOMEM;
		}
		w->pool = pool;
		w->index = i;
		w->gate = GATE_WAIT;
		w->left = 0;
		pool->table[i] = w;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

/* Opens the gates of workers from..to-1.  On GATE_RUN they are the
 * pool's from now on: target rises to `to`. */
static void open_gates(workq_pool_t *pool, size_t from, size_t to,
                       enum gate g)
{
	size_t i;

	workq__lock(&pool->mu);
	pool->running += to - from;
	if (g == GATE_RUN)
		store_target(pool, to);
	for (i = from; i < to; i++)
		pool->table[i]->gate = g;
	workq__broadcast(&pool->gate_cv);
	workq__unlock(&pool->mu);
}

/*
 * Joins the threads of table[from..to) that exist, and frees their
 * workers.  Each must have left or be about to (a closed gate).  A
 * failure here means a bad thread id: a bug.  Each slot is cleared
 * once joined, so a join cancelled in pthread_join resumes where it
 * stopped.
 */
static void reap(workq_pool_t *pool, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		int err;

		if (pool->table[i] == NULL)
			continue;
		err = pthread_join(pool->table[i]->tid, NULL);
		if (err != 0)
			workq__die("pthread_join", err, __FILE__, __LINE__);
		drop_workers(pool, i, i + 1);
	}
}

/* The attributes new threads get: the caller's stack size, if any.
 * Returns 0 with *pap NULL (defaults) or &pa set up, or the error. */
static int thread_attr(const workq_pool_t *pool, pthread_attr_t *pa,
                       pthread_attr_t **pap)
{
	int err;

	*pap = NULL;
	if (pool->attr.stack_size == 0)
		return 0;
	err = pthread_attr_init(pa);
	if (err != 0)
		return ENOMEM;
	err = pthread_attr_setstacksize(pa, pool->attr.stack_size);
	if (err != 0) {
		pthread_attr_destroy(pa);
		return err;
	}
	*pap = pa;
	return 0;
}

/*
 * Creates the threads of workers from..to-1 with all signals blocked
 * (they inherit the mask), so that signals are delivered to the
 * program's own threads, which know what to do with them.  Returns 0
 * with them running, or EAGAIN or ENOMEM (or EINVAL, for a stack size
 * the system refuses) with none left and the workers freed.
 */
static int spawn(workq_pool_t *pool, size_t from, size_t to)
{
	pthread_attr_t pa, *pap;
	sigset_t all, old;
	size_t i;
	int saved_errno;
	int err;

	err = thread_attr(pool, &pa, &pap);
	if (err != 0)
		return err;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	saved_errno = errno;    /* a failed pthread_create may set it */
	for (i = from; i < to; i++) {
		struct worker *w = pool->table[i];

		err = pthread_create(&w->tid, pap, worker_main, w);
		if (err != 0)
			break;
	}
	errno = saved_errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pap != NULL)
		pthread_attr_destroy(pap);
	if (err == 0) {
		open_gates(pool, from, to, GATE_RUN);
		return 0;
	}
	/* Those created leave through their closed gate, untouched. */
	open_gates(pool, from, i, GATE_ABORT);
	reap(pool, from, i);
	drop_workers(pool, i, to);
	return err == ENOMEM ? ENOMEM : EAGAIN;
}

/* Adds workers target..n-1, all or none.  Holds busy. */
static int grow(workq_pool_t *pool, size_t n)
{
	size_t from = load_target(pool);
	int err;

	err = reserve(pool, n);
	if (err == 0)
		err = make_workers(pool, from, n);
	if (err == 0)
		err = spawn(pool, from, n);
	return err;
}

/* Have all workers from n up left?  Called with pool->mu held. */
static int gone_from_locked(const workq_pool_t *pool, size_t n)
{
	size_t i;

	for (i = n; i < pool->nslots; i++)
		if (pool->table[i] != NULL && !pool->table[i]->left)
			return 0;
	return 1;
}

/*
 * Lowers target to n, wakes the workers blocked in a get so that those
 * from n up see it and leave, waits until they have (those running fn
 * leave when it returns), and joins them.  Holds busy.
 */
static void shrink(workq_pool_t *pool, size_t n)
{
	size_t old = load_target(pool);

	workq__lock(&pool->mu);
	store_target(pool, n);
	workq__unlock(&pool->mu);
	/* After this no worker from n up can take an item (invariant 1). */
	workq__wake_consumers(pool->q);
	workq__lock(&pool->mu);
	while (!gone_from_locked(pool, n))
		workq__wait(&pool->exit_cv, &pool->mu, NULL);
	workq__unlock(&pool->mu);
	reap(pool, n, old);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

static unsigned digits(size_t n)
{
	unsigned d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* Does "prefix" + the largest index of n workers fit a thread name?
 * The default names are cut short instead, as they always were. */
static int name_fits(const struct workq_pool_attr *a, size_t n)
{
	return a->prefix[0] == '\0' ||
	       strlen(a->prefix) + digits(n - 1) <= WORKQ__NAME_MAX;
}

static void free_pool(workq_pool_t *pool)
{
	struct workq_pool_attr a = pool->attr;  /* outlives the pool */

	pthread_cond_destroy(&pool->exit_cv);
	pthread_cond_destroy(&pool->gate_cv);
	pthread_mutex_destroy(&pool->mu);
	pool_release(&a, pool->table);
	pool_release(&a, pool);
}

/*
 * Allocates a pool with its lock and conditions, no threads yet.
 * Returns 0 or ENOMEM (or the pthread init error).
 */
static int alloc_pool(workq_pool_t **poolp, const struct workq_pool_attr *a)
{
	workq_pool_t *pool;
	int err;

	pool = pool_alloc(a, sizeof(*pool));
	if (pool == NULL)
		return ENOMEM;
	err = pthread_mutex_init(&pool->mu, NULL);
	if (err != 0)
		goto fail_mu;
	err = pthread_cond_init(&pool->gate_cv, NULL);
	if (err != 0)
		goto fail_gate;
	/* Timed joins wait on this one: it must use the monotonic clock. */
	err = workq__cond_init(&pool->exit_cv);
	if (err != 0)
		goto fail_exit;
	pool->attr = *a;
	*poolp = pool;
	return 0;

fail_exit:
	pthread_cond_destroy(&pool->gate_cv);
fail_gate:
	pthread_mutex_destroy(&pool->mu);
fail_mu:
	pool_release(a, pool);
	return err;
}

int workq_pool_start_attr(workq_pool_t **poolp, workq_t *q, size_t nthreads,
                          workq_item_fn *fn, void *arg,
                          const workq_pool_attr_t *attr)
{
	struct workq_pool_attr a;
	workq_pool_t *pool;
	int err;

	if (attr != NULL)
		a = *attr;
	else
		workq__pool_attr_init(&a);
	if (poolp == NULL || q == NULL || nthreads == 0 ||
	    !name_fits(&a, nthreads))
		return EINVAL;
	err = alloc_pool(&pool, &a);
	if (err != 0)
		return err;
	pool->running = 0;
	pool->target = 0;
	pool->busy = 0;
	pool->nslots = 0;
	pool->table = NULL;
	pool->q = q;
	pool->fn = fn;
	pool->arg = arg;
	/* Attach before any thread can touch q, so that destroy refuses. */
	workq__pool_attach(q);
	err = grow(pool, nthreads);
	if (err != 0) {
		workq__pool_detach(q);
		free_pool(pool);
		return err;
	}
	*poolp = pool;
	return 0;
}

int workq_pool_start(workq_pool_t **poolp, workq_t *q, size_t nthreads,
                     workq_item_fn *fn, void *arg)
{
	/* 0.1's contract: this one needs fn; tasks need the attr start. */
	if (fn == NULL)
		return EINVAL;
	return workq_pool_start_attr(poolp, q, nthreads, fn, arg, NULL);
}

/* Takes busy for the caller.  Returns 0, or EBUSY if another resize or
 * the join has it. */
static int take_busy(workq_pool_t *pool)
{
	int err = 0;

	workq__lock(&pool->mu);
	if (pool->busy)
		err = EBUSY;
	else
		pool->busy = 1;
	workq__unlock(&pool->mu);
	return err;
}

static void release_busy(void *arg)
{
	workq_pool_t *pool = arg;

	workq__lock(&pool->mu);
	pool->busy = 0;
	workq__broadcast(&pool->exit_cv);       /* a join may wait for it */
	workq__unlock(&pool->mu);
}

/*
 * Not a cancellation point: cancelled half way, it would leave the pool
 * with workers neither wanted nor joined.
 */
int workq_pool_resize(workq_pool_t *pool, size_t nthreads)
{
	const struct worker *self;
	int state;
	int err;

	if (pool == NULL || nthreads == 0 || !name_fits(&pool->attr, nthreads))
		return EINVAL;
	/* A worker cannot wait for itself to leave. */
	self = current();
	if (self != NULL && self->pool == pool && self->index >= nthreads)
		return EDEADLK;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	err = take_busy(pool);
	if (err == 0) {
		size_t now = load_target(pool);

		if (nthreads > now)
			err = grow(pool, nthreads);
		else if (nthreads < now)
			shrink(pool, nthreads);
		release_busy(pool);
	}
	pthread_setcancelstate(state, NULL);
	return err;
}

static void unlock_pool(void *arg)
{
	workq_pool_t *pool = arg;

	workq__unlock(&pool->mu);
}

/*
 * Waits until no worker is running and no resize is under way, or the
 * deadline (NULL: none) passes; then takes busy for the join.  Returns
 * 0 or ETIMEDOUT.  Called with pool->mu held.
 */
static int await_workers_locked(workq_pool_t *pool,
                                const struct timespec *deadline)
{
	while (pool->running > 0 || pool->busy)
		if (workq__wait(&pool->exit_cv, &pool->mu, deadline) ==
		    ETIMEDOUT && (pool->running > 0 || pool->busy))
			return ETIMEDOUT;
	pool->busy = 1;
	return 0;
}

/* The wait is a cancellation point; a cancelled waiter leaves the pool
 * as it was (and unlocked), so the join can be called again. */
static int await_workers(workq_pool_t *pool, const struct timespec *deadline)
{
	int err;

	workq__lock(&pool->mu);
	pthread_cleanup_push(unlock_pool, pool);
	err = await_workers_locked(pool, deadline);
	pthread_cleanup_pop(1);
	return err;
}

int workq_pool_join(workq_pool_t *pool)
{
	return workq_pool_timed_join(pool, NULL);
}

int workq_pool_timed_join(workq_pool_t *pool, const struct timespec *timeout)
{
	struct timespec deadline;
	const struct timespec *dl = NULL;
	int err;

	if (pool == NULL || workq__check_timeout(timeout) != 0)
		return EINVAL;
	if (is_worker(pool))
		return EDEADLK;
	if (timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	err = await_workers(pool, dl);
	if (err != 0)
		return err;
	/* Every worker has left the pool; pthread_join only waits for the
	 * threads to finish returning.  Cancelled in there, the join gives
	 * busy back and resumes where it stopped when called again. */
	pthread_cleanup_push(release_busy, pool);
	reap(pool, 0, pool->nslots);
	pthread_cleanup_pop(0);
	workq__pool_detach(pool->q);
	free_pool(pool);
	return 0;
}
