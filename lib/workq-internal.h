/*
 * workq-internal.h - declarations shared by the files of lib/, never
 * installed.  Names here start with workq__ so that the export regex
 * ('^workq_[a-z]') keeps them out of the library's ABI.
 */
#ifndef WORKQ_INTERNAL_H
#define WORKQ_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "workq.h"

/*
 * Lock, unlock, wait, signal and broadcast on a valid, initialised object
 * can only fail through a bug in this library (or memory corruption), so
 * they abort with the caller's position instead of returning an error
 * that no caller could act on.  The macros only add __FILE__/__LINE__.
 */
void workq__signal_at(pthread_cond_t *c, const char *file, int line);
void workq__broadcast_at(pthread_cond_t *c, const char *file, int line);
/* Returns 0 or ETIMEDOUT; deadline NULL waits without a limit. */
int workq__wait_at(pthread_cond_t *c, pthread_mutex_t *m,
                   const struct timespec *deadline, const char *file,
                   int line);
void workq__die(const char *what, int err, const char *file, int line);

/* Inline, unlike the others: every put and get locks and unlocks at
 * least once, and with a roomy ring each call's own cost sets the rate. */
static inline void workq__lock_at(pthread_mutex_t *m, const char *file,
                                  int line)
{
	int err = pthread_mutex_lock(m);

	if (err != 0)
		workq__die("pthread_mutex_lock", err, file, line);
}

static inline void workq__unlock_at(pthread_mutex_t *m, const char *file,
                                    int line)
{
	int err = pthread_mutex_unlock(m);

	if (err != 0)
		workq__die("pthread_mutex_unlock", err, file, line);
}

#define workq__lock(m) workq__lock_at((m), __FILE__, __LINE__)
#define workq__unlock(m) workq__unlock_at((m), __FILE__, __LINE__)
#define workq__signal(c) workq__signal_at((c), __FILE__, __LINE__)
#define workq__broadcast(c) workq__broadcast_at((c), __FILE__, __LINE__)
#define workq__wait(c, m, d) workq__wait_at((c), (m), (d), __FILE__, __LINE__)

/*
 * Happens-before edges that the queue makes with atomics, told to
 * helgrind and DRD, which only understand locks: without them every item
 * passed through a queue would look like a race to them.  Compiled in
 * only with configure --enable-valgrind-annotations: outside valgrind
 * each one still costs a handful of instructions on the hot path.
 */
#ifdef WORKQ_VALGRIND_ANNOTATIONS
#include <valgrind/helgrind.h>
static inline void workq__happens_before(const volatile void *p)
{
	ANNOTATE_HAPPENS_BEFORE(p);
}

static inline void workq__happens_after(const volatile void *p)
{
	ANNOTATE_HAPPENS_AFTER(p);
}
#else
static inline void workq__happens_before(const volatile void *p)
{
	(void)p;
}

static inline void workq__happens_after(const volatile void *p)
{
	(void)p;
}
#endif

/* Initialises the queue's mutex (adaptive where glibc offers it).
 * Returns 0 or the pthread error. */
int workq__mutex_init(pthread_mutex_t *m);

/*
 * Initialises a condition variable whose timed waits are measured on the
 * clock workq__deadline() uses (CLOCK_MONOTONIC where the system lets a
 * condvar use it).  Returns 0 or the pthread error.
 */
int workq__cond_init(pthread_cond_t *c);

/*
 * Checks a relative timeout: EINVAL for a negative tv_sec or a tv_nsec
 * outside [0, 999999999], else 0.  NULL is valid (no limit).  Inline, as
 * the locks are: every put and get checks theirs.
 */
static inline int workq__check_timeout(const struct timespec *timeout)
{
	if (timeout == NULL)
		return 0;
	if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
	    timeout->tv_nsec > 999999999L)
		return EINVAL;
	return 0;
}

/* Turns a valid relative timeout into an absolute deadline for
 * workq__wait(), on the condvars' clock. */
void workq__deadline(const struct timespec *timeout, struct timespec *abs);

/*
 * The descriptor behind workq_pollfd() (lib/notify.c).  rfd < 0 until
 * opened.  The owner serialises every call (the queue: under its mutex).
 */
struct workq__notifier {
	int rfd;        /* polled by the user; -1 when there is none */
	int wfd;        /* written to raise; == rfd for an eventfd */
	int raised;     /* 1 while one unit sits in it (readable) */
};

void workq__notifier_init(struct workq__notifier *n);
/* Returns 0 or the errno of eventfd/pipe (EMFILE, ENFILE, ENOMEM). */
int workq__notifier_open(struct workq__notifier *n);
/* Makes the descriptor readable or not; a no-op when already so. */
void workq__notifier_set(struct workq__notifier *n, int readable);
void workq__notifier_close(struct workq__notifier *n);

/*
 * The waiting policy (lib/wait.c): how long a call that must wait
 * watches the queue before it sleeps.  One per queue end, guarded by the
 * end's mutex except where marked (a).
 */
struct workq__watch {
	long long wake;         /* ns a sleeper's wake-up lately took */
	long long sleep_cpu;    /* ns of CPU time a sleep lately took its
	                         * sleeper, where the CPUs were crowded;
	                         * 0: not measured yet */
	long long budget;       /* ns the end's next waiter may watch */
	long long signalled;    /* when its sleepers were last signalled */
	int spinner;            /* (a) 1 while one of its waiters spins */
	int preempted;          /* (a) the spinner lost its CPU meanwhile */
	int policy;             /* (c) WORKQ_SPIN_*, from the queue's
	                         *     attributes: NEVER never watches */
};

enum workq__watch_how {
	WATCH_NONE,     /* sleep at once */
	WATCH_SPIN,     /* pause on the CPU between looks */
	WATCH_YIELD,    /* yield the CPU between looks */
	WATCH_SHARE     /* yield it, where threads outnumber CPUs */
};

/* The monotonic clock (realtime where there is none), in ns. */
long long workq__now_ns(void);
/* CPUs the process may use: affinity capped by a cgroup quota; at
 * least 1.  Re-read at most once a second, `now` being the clock. */
long workq__usable_cpus(long long now);
/* 1 if, as last read with the CPU count, other processes kept those
 * CPUs busy: waiters that would yield sleep at once instead. */
int workq__cpus_crowded(void);
/* Starts a watch with the given policy (WORKQ_SPIN_*). */
void workq__watch_init(struct workq__watch *w, int policy);
/* How a waiter of this end, with `threads` threads in the queue's
 * calls, `across` of them at the other end, watches, and for how long
 * (*budget, ns), yielding at least *yields times if it yields: never at
 * all under WORKQ_SPIN_NEVER; `waking`: a thread of the other end was
 * signalled and is not up yet.  A waiter that may spin notes its CPU in
 * *note, this end's, and reads the other end's in *other.  WATCH_SPIN
 * makes it the end's spinner until workq__watch() returns. */
enum workq__watch_how workq__watch_budget(struct workq__watch *w,
                                          size_t threads, size_t across,
                                          int waking,
                                          int *note, const int *other,
                                          long long now, long long *budget,
                                          int *yields);
/* A waiter of this end ends its wait: notes its CPU in *note where a
 * waiter may spin (more than one usable CPU). */
void workq__watch_note_cpu(int *note, long long now);
/* Watches, with no lock held, until ready(arg) or the budget from
 * `start` runs out, and a yielding watch has yielded `yields` times.
 * Returns 1 if it saw ready(arg). */
int workq__watch(struct workq__watch *w, enum workq__watch_how how,
                 const void *arg, int (*ready)(const void *),
                 long long start, long long budget, int yields);
/* Does a watch of this kind that saw what it waited for tell how long
 * a spinner would have waited? */
int workq__watch_teaches(enum workq__watch_how how);
/* Where the CPUs are crowded, the calling thread's CPU time in ns, as a
 * sleep's starting mark; otherwise -1 (there the cost is not needed). */
long long workq__sleep_mark(void);
/* The CPU time the calling thread took since `mark` (< 0: none). */
long long workq__sleep_cost(long long mark);
/* A wait of this end lasted `waited` ns until what it waited for was
 * there, its sleeper ran `woke` ns after it was signalled (< 0: it did
 * not sleep, or nobody signalled it), and its sleep took `cpu` ns of its
 * CPU time (< 0: not measured): adjusts the budget. */
void workq__watch_learn(struct workq__watch *w, long long waited,
                        long long woke, long long cpu);
/* Notes that the end's sleepers were just signalled. */
void workq__watch_signalled(struct workq__watch *w);

/*
 * A select waiting for its cases (lib/select.c): whoever makes one of
 * them possible sets fired and signals cv.  mu is taken last, inside any
 * queue's mutexes, and nothing is taken under it.
 */
struct workq__selector {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* (mu) the select sleeps here */
	int fired;                  /* (mu) a case may proceed: look again */
};

/* One case of a select, linked on its queue's item_sels or room_sels
 * (lib/queue.c, invariant 9). */
struct workq__sel_link {
	struct workq__sel_link *next;   /* (the queue's ends' mutexes) */
	struct workq__sel_link *prev;   /* (the queue's ends' mutexes) */
	struct workq__selector *sel;    /* (c) */
};

/* Sets s->fired and wakes the select.  Any thread, any locks held. */
void workq__select_fire(struct workq__selector *s);
/* Links l for a get (put 0) or a put on q; `mine`: the select's own
 * gets on q linked already.  Returns 1 if the case can proceed now. */
int workq__select_link(workq_t *q, struct workq__sel_link *l, int put,
                       size_t mine);
void workq__select_unlink(workq_t *q, struct workq__sel_link *l, int put);
/* 1 for a capacity 0 (rendezvous) queue. */
int workq__rendezvous(const workq_t *q);
/* Without any lock: is a get (put 0) or put on q worth trying? */
int workq__select_fresh(const workq_t *q, int put);
/* Watches, as q's waiting policy for that end allows, until ready(arg);
 * returns 1 if it saw it, 0 if it must sleep. */
int workq__select_watch(workq_t *q, int put, int (*ready)(const void *),
                        const void *arg);

/*
 * Pools register with their queue so that workq_destroy() can refuse
 * while one is attached.  Each takes and releases q's mutex.
 */
void workq__pool_attach(workq_t *q);
void workq__pool_detach(workq_t *q);

/*
 * Pool attributes (lib/pool_attr.c).  A pool keeps its own copy, so the
 * caller may destroy an attribute object as soon as the pool started.
 * Every field is set through a workq_pool_attr_set_* call, which checks
 * it; alloc and release are never NULL.
 */
#define WORKQ__NAME_MAX 15      /* Linux's limit, terminator excluded */
#define WORKQ__PREFIX_MAX 11    /* leaves 4 digits: indexes to 9999 */

struct workq_pool_attr {
	char prefix[WORKQ__PREFIX_MAX + 1]; /* "": the default "workq-" */
	size_t stack_size;                  /* 0: the system's default */
	void (*on_start)(size_t index, void *arg);     /* NULL: none */
	void (*on_stop)(size_t index, void *arg);      /* NULL: none */
	void *hook_arg;
	void *(*alloc)(size_t size, void *ctx);
	void (*release)(void *ptr, void *ctx);
	void *alloc_ctx;
};

/* Fills *a with the defaults: names "workq-N", the system's stack
 * size, no hooks, malloc and free. */
void workq__pool_attr_init(struct workq_pool_attr *a);

/*
 * The allocator both kinds of attributes start with: malloc and free,
 * ctx unused (lib/queue_attr.c).
 */
void *workq__default_alloc(size_t size, void *ctx);
void workq__default_release(void *ptr, void *ctx);

/*
 * Queue attributes (lib/queue_attr.c).  workq_create_attr() copies them
 * into the queue.  Every field is set through a workq_attr_set_* call,
 * which checks it; alloc and release are never NULL.
 */
struct workq_attr {
	int spin;                       /* WORKQ_SPIN_* */
	int bound_unfinished;           /* 1: unfinished items count
	                                 *    against the capacity */
	void *(*alloc)(size_t size, void *ctx);
	void (*release)(void *ptr, void *ctx);
	void *alloc_ctx;
};

/* Fills *a with the defaults, those of workq_create(): the adaptive
 * policy, no bound on unfinished items, malloc and free. */
void workq__attr_init(struct workq_attr *a);

/*
 * For pools that shrink (lib/queue.c).  workq__get_unless() is
 * workq_get() that asks stop(arg), with the consumers' mutex held,
 * before every look at the queue, and returns ECANCELED without taking
 * an item once it says yes; stop must be quick and take no lock of q.
 * workq__wake_consumers() makes every sleeping consumer look again.
 */
int workq__get_unless(workq_t *q, void **itemp, int (*stop)(void *),
                      void *arg);
void workq__wake_consumers(workq_t *q);

/*
 * 1 if the calling thread is a worker of a pool serving q (lib/pool.c),
 * else 0: workq_join() from there could only wait for itself.
 */
int workq__in_pool_worker_of(const workq_t *q);

#endif /* WORKQ_INTERNAL_H */
