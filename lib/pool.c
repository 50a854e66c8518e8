/*
 * pool.c - a fixed set of worker threads draining one queue.
 *
 * A worker loops get -> fn -> task_done and leaves when it receives the
 * done sentinel, re-posting it so that the next worker sees it too (with
 * the sentinel kept as the queue's closed state the re-post is a no-op,
 * but it is the protocol every consumer follows, so the pool follows it).
 *
 * Start is all or nothing.  Workers first wait at a gate until every
 * thread exists; if one cannot be created, the gate says "abort" and the
 * threads already started leave without touching the queue.  That way a
 * failed start neither closes the user's queue nor takes items from it.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "workq-internal.h"

enum gate { GATE_WAIT, GATE_RUN, GATE_ABORT };

struct worker {
	pthread_t tid;             /* (s) set by pool_start */
	workq_pool_t *pool;        /* (c) */
	size_t index;              /* (c) for the thread's name */
};

/*
 * Locking: mu guards the (p) fields; it is never held while calling into
 * the queue.  (c) fields are constant after workq_pool_start; (s) fields
 * are written by workq_pool_start before the gate opens; (j) fields
 * belong to the thread inside workq_pool_join (one at a time).
 */
struct workq_pool {
	pthread_mutex_t mu;
	pthread_cond_t gate_cv;
	pthread_cond_t exit_cv;    /* joiners wait here for running == 0 */
	enum gate gate;            /* (p) what waiting workers do next */
	size_t running;            /* (p) workers created and not yet done */
	workq_t *q;                /* (c) */
	workq_item_fn *fn;         /* (c) */
	void *arg;                 /* (c) */
	size_t nthreads;           /* (c) */
	size_t joined;             /* (j) workers joined so far */
	struct worker workers[];   /* (c) nthreads entries */
};

static void set_name(size_t index)
{
#ifdef HAVE_PTHREAD_SETNAME_NP_2
	char name[16];          /* Linux's limit, terminator included */

	snprintf(name, sizeof(name), "workq-%zu", index);
	(void)pthread_setname_np(pthread_self(), name);   /* cosmetic */
#else
	(void)index;
#endif
}

/*
 * Waits for the gate to open.  Returns 1 to run, 0 to leave at once.
 * Not a cancellation point: a cancel arriving here would leave with
 * pool->mu held, and worker_exit would then lock it again.
 */
static int pass_gate(workq_pool_t *pool)
{
	enum gate g;
	int state;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	workq__lock(&pool->mu);
	while (pool->gate == GATE_WAIT)
		workq__wait(&pool->gate_cv, &pool->mu, NULL);
	g = pool->gate;
	workq__unlock(&pool->mu);
	pthread_setcancelstate(state, NULL);
	return g == GATE_RUN;
}

/* The worker's last act on the pool: after it, a joiner may free it. */
static void leave(workq_pool_t *pool)
{
	workq__lock(&pool->mu);
	if (--pool->running == 0)
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

static void run_fn(workq_pool_t *pool, void *item)
{
	pthread_cleanup_push(item_abandoned, pool);
	pool->fn(item, pool->arg);
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

static void work(workq_pool_t *pool)
{
	void *item;

	while (workq_get(pool->q, &item) == 0) {
		run_fn(pool, item);
		(void)workq_task_done(pool->q);
	}
	/* item is WORKQ_DONE: pass it on to the other workers. */
	(void)workq_put(pool->q, item);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	workq_pool_t *pool = w->pool;

	set_name(w->index);
	pthread_cleanup_push(worker_exit, pool);
	if (pass_gate(pool))
		work(pool);
	pthread_cleanup_pop(1);
	return NULL;
}

static void open_gate(workq_pool_t *pool, enum gate g)
{
	workq__lock(&pool->mu);
	pool->gate = g;
	workq__broadcast(&pool->gate_cv);
	workq__unlock(&pool->mu);
}

/* Joins workers[from..to).  A failure here means a bad thread id: a bug. */
static void join_range(workq_pool_t *pool, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		int err = pthread_join(pool->workers[i].tid, NULL);

		if (err != 0)
			workq__die("pthread_join", err, __FILE__, __LINE__);
		pool->joined = i + 1;
	}
}

static void free_pool(workq_pool_t *pool)
{
	pthread_cond_destroy(&pool->exit_cv);
	pthread_cond_destroy(&pool->gate_cv);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}

/*
 * Allocates a pool with its lock and gate, no threads yet.  Returns 0 or
 * ENOMEM (or the pthread init error).
 */
static int alloc_pool(workq_pool_t **poolp, size_t nthreads)
{
	workq_pool_t *pool;
	int err;

	if (nthreads > (SIZE_MAX - sizeof(*pool)) / sizeof(struct worker))
		return ENOMEM;
	pool = malloc(sizeof(*pool) + nthreads * sizeof(struct worker));
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
	*poolp = pool;
	return 0;

fail_exit:
	pthread_cond_destroy(&pool->gate_cv);
fail_gate:
	pthread_mutex_destroy(&pool->mu);
fail_mu:
	free(pool);
	return err;
}

/*
 * Creates every worker with all signals blocked (they inherit the mask),
 * so that signals are delivered to the program's own threads, which know
 * what to do with them.  On failure, stops and joins those already made.
 */
static int spawn_workers(workq_pool_t *pool)
{
	sigset_t all, old;
	size_t i;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < pool->nthreads; i++) {
		struct worker *w = &pool->workers[i];

		w->pool = pool;
		w->index = i;
		err = pthread_create(&w->tid, NULL, worker_main, w);
		if (err != 0)
			break;
		pool->running++;        /* no worker can leave before the gate */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		open_gate(pool, GATE_ABORT);
		join_range(pool, 0, i);
		return err == ENOMEM ? ENOMEM : EAGAIN;
	}
	open_gate(pool, GATE_RUN);
	return 0;
}

int workq_pool_start(workq_pool_t **poolp, workq_t *q, size_t nthreads,
                     workq_item_fn *fn, void *arg)
{
	workq_pool_t *pool;
	int saved_errno;
	int err;

	if (poolp == NULL || q == NULL || nthreads == 0 || fn == NULL)
		return EINVAL;
	saved_errno = errno;    /* malloc may set it; the API never does */
	err = alloc_pool(&pool, nthreads);
	errno = saved_errno;
	if (err != 0)
		return err;
	pool->gate = GATE_WAIT;
	pool->running = 0;
	pool->q = q;
	pool->fn = fn;
	pool->arg = arg;
	pool->nthreads = nthreads;
	pool->joined = 0;
	/* Attach before any thread can touch q, so that destroy refuses. */
	workq__pool_attach(q);
	err = spawn_workers(pool);
	if (err != 0) {
		workq__pool_detach(q);
		free_pool(pool);
		return err;
	}
	*poolp = pool;
	return 0;
}

static void unlock_pool(void *arg)
{
	workq_pool_t *pool = arg;

	workq__unlock(&pool->mu);
}

/*
 * Waits until no worker is running, or the deadline (NULL: none) passes.
 * Returns 0 or ETIMEDOUT.  Called with pool->mu held.
 */
static int await_workers_locked(workq_pool_t *pool,
                                const struct timespec *deadline)
{
	while (pool->running > 0)
		if (workq__wait(&pool->exit_cv, &pool->mu, deadline) ==
		    ETIMEDOUT && pool->running > 0)
			return ETIMEDOUT;
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

static int is_worker(const workq_pool_t *pool, pthread_t self)
{
	size_t i;

	for (i = 0; i < pool->nthreads; i++)
		if (pthread_equal(self, pool->workers[i].tid))
			return 1;
	return 0;
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
	if (is_worker(pool, pthread_self()))
		return EDEADLK;
	if (timeout != NULL) {
		workq__deadline(timeout, &deadline);
		dl = &deadline;
	}
	err = await_workers(pool, dl);
	if (err != 0)
		return err;
	/* Every worker has left the pool; pthread_join only waits for the
	 * threads to finish returning.  `joined` records progress, so a
	 * join cancelled in here resumes where it stopped. */
	join_range(pool, pool->joined, pool->nthreads);
	workq__pool_detach(pool->q);
	free_pool(pool);
	return 0;
}
