/*
 * tests/genmc/shim.c - stand-ins for what GenMC cannot run, so that the
 * harnesses run the real lib/queue.c, lib/sync.c and lib/queue_attr.c.
 * Included by harness.h, never compiled on its own.
 *
 * Condition variables.  A generation counter, written only with the
 * cv's mutex held (lib/ signals and broadcasts only so): a waiter reads
 * it under the mutex, drops the mutex, spins until it changes, and
 * locks again.  So a wait releases the mutex and starts waiting as one
 * step, as POSIX says, and GenMC's -check-liveness reports a waiter
 * that no signal can ever reach (a lost wake-up).  What it cannot show:
 * a signal wakes every waiter here, where POSIX wakes at least one, so
 * a wake-up that reaches the wrong sleeper (one that will not use it)
 * goes unseen; there are no spurious wake-ups beyond that; and a timed
 * wait times out at once (no harness waits with a deadline).
 *
 * The waiting policy (lib/wait.c reads cgroup files and the clock): a
 * waiter the policy lets watch takes exactly one lock-free look (the
 * ready() of lib/queue.c) before it sleeps; under WORKQ_SPIN_NEVER it
 * sleeps at once.  The budgets and the spinner flags are not modelled:
 * they decide how long a waiter watches, never what it may conclude.
 *
 * The descriptor (lib/notify.c: an eventfd): only its state, raised,
 * which the harness compares with the queue's when all is done.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>

#include "workq-internal.h"

/* ------------------------------------------------------------------ */
/* Condition variables                                                 */
/* ------------------------------------------------------------------ */

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	(void)a;
	__atomic_store_n(&c->gen, 0, __ATOMIC_RELAXED);
	return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	unsigned gen = __atomic_load_n(&c->gen, __ATOMIC_RELAXED);

	pthread_mutex_unlock(m);
	/* A spin loop with no side effect: GenMC explores it as one
	 * look that sees the change, or, with -check-liveness, reports
	 * a waiter that can never see one. */
	while (__atomic_load_n(&c->gen, __ATOMIC_RELAXED) == gen)
		;
	pthread_mutex_lock(m);
	return 0;
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abstime)
{
	(void)c;
	(void)abstime;
	pthread_mutex_unlock(m);
	pthread_mutex_lock(m);
	return ETIMEDOUT;
}

int pthread_cond_signal(pthread_cond_t *c)
{
	__atomic_fetch_add(&c->gen, 1, __ATOMIC_RELAXED);
	return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	__atomic_fetch_add(&c->gen, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The waiting policy (lib/wait.c)                                     */
/* ------------------------------------------------------------------ */

/* Never 0: lib/queue.c takes a start of 0 for "not waiting yet". */
long long workq__now_ns(void)
{
	return 1;
}

long workq__usable_cpus(long long now)
{
	(void)now;
	return 2;
}

void workq__watch_init(struct workq__watch *w, int policy)
{
	w->wake = w->budget = w->signalled = 0;
	w->spinner = w->preempted = 0;
	w->policy = policy;
}

/* No CPU is known: the queue's notes are never written nor read. */
void workq__watch_note_cpu(int *note, long long now)
{
	(void)note;
	(void)now;
}

enum workq__watch_how workq__watch_budget(struct workq__watch *w,
                                          size_t threads, int waking,
                                          int *note, const int *other,
                                          long long now, long long *budget)
{
	(void)threads;
	(void)waking;
	(void)note;
	(void)other;
	(void)now;
	*budget = 1;
	return w->policy == WORKQ_SPIN_NEVER ? WATCH_NONE : WATCH_SPIN;
}

int workq__watch(struct workq__watch *w, enum workq__watch_how how,
                 const void *arg, int (*ready)(const void *),
                 long long start, long long budget)
{
	(void)w;
	(void)how;
	(void)start;
	(void)budget;
	return ready(arg);
}

void workq__watch_learn(struct workq__watch *w, long long waited,
                        long long woke)
{
	(void)w;
	(void)waited;
	(void)woke;
}

void workq__watch_signalled(struct workq__watch *w)
{
	(void)w;
}

/* ------------------------------------------------------------------ */
/* Selects (lib/select.c): no harness selects, so no queue ever has one  */
/* linked and nothing fires.                                          */
/* ------------------------------------------------------------------ */

void workq__select_fire(struct workq__selector *s)
{
	(void)s;
	assert(0);
}

/* ------------------------------------------------------------------ */
/* The descriptor (lib/notify.c) and the pools (lib/pool.c)            */
/* ------------------------------------------------------------------ */

void workq__notifier_init(struct workq__notifier *n)
{
	n->rfd = n->wfd = -1;
	n->raised = 0;
}

int workq__notifier_open(struct workq__notifier *n)
{
	n->rfd = n->wfd = 3;
	n->raised = 0;
	return 0;
}

void workq__notifier_set(struct workq__notifier *n, int readable)
{
	n->raised = readable;
}

void workq__notifier_close(struct workq__notifier *n)
{
	workq__notifier_init(n);
}

int workq__in_pool_worker_of(const workq_t *q)
{
	(void)q;
	return 0;
}
