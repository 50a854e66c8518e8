/*
 * select.c - waiting on several queues at once: of a set of gets and
 * puts, perform exactly one, as soon as one can proceed.
 *
 * Invariants:
 *  1. A case is performed only by the queue's own try_get or try_put,
 *     so each keeps every guarantee those give: an item taken once,
 *     a put that did not happen left the item the caller's.
 *  2. At most one case succeeds: the first try that does not return
 *     EAGAIN ends the select.
 *  3. Before it sleeps, a select is linked on every case's queue and
 *     has tried every case after linking (the queue checks the case
 *     while linking, under its mutexes); whoever makes a case possible
 *     afterwards fires it (lib/queue.c, invariant 9).  So a select
 *     never sleeps while a case can proceed.
 *  4. A put on a capacity 0 queue is tried only while the select is
 *     not linked anywhere.  Such a put waits until the consumer it
 *     offers to takes the item, or leaves; a select linked for a get on
 *     a rendezvous queue counts as such a consumer, and must not be
 *     busy in a put of its own meanwhile, or two selects could wait for
 *     each other for ever.  Its gets are tried while it is linked, so
 *     that a putter offering to it finds it still there.
 *
 * Fairness: the cases are tried in turn from a starting case drawn at
 * random for every call (a hash of a per-thread counter), so each of
 * several ready cases is chosen equally often; a biased select starts
 * at case 0 and so prefers earlier cases.  Puts on capacity 0 queues
 * come after every other case (invariant 4).
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "workq-internal.h"

/* How a select behaves when no case can proceed. */
enum sel_mode {
	SEL_TRY,        /* EAGAIN (ETIMEDOUT for a zero timeout) */
	SEL_TIMED,      /* ETIMEDOUT once the deadline passes */
	SEL_FOREVER
};

/* One select call. */
struct sel {
	workq_select_case_t *cases;
	size_t n;
	size_t first;                   /* the case tried first */
	int late_puts;                  /* some case puts on capacity 0 */
	int linked;                     /* its links are on their queues */
	int watched;                    /* it watched before linking */
	int ready;                      /* selector initialised */
	struct workq__selector selector;
	struct workq__sel_link *links;  /* n of them, or NULL until needed */
	struct workq__sel_link inline_links[WORKQ_SELECT_INLINE];
};

void workq__select_fire(struct workq__selector *s)
{
	workq__lock(&s->mu);
	s->fired = 1;
	workq__signal(&s->cv);
	workq__unlock(&s->mu);
}

static int is_zero(const struct timespec *ts)
{
	return ts != NULL && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/* A case tried only while unlinked (invariant 4). */
static int is_late(const workq_select_case_t *c)
{
	return c->op == WORKQ_SELECT_PUT && workq__rendezvous(c->q);
}

/*
 * Where the cases are first tried: a hash (splitmix64's finaliser) of a
 * count of the thread's selects, so that the draws of successive calls
 * follow no pattern a caller's own loop could line up with.  The count
 * is the thread's own: selecting threads share no cache line for it.
 */
static size_t pick_first(size_t n)
{
	static _Thread_local unsigned long long calls;
	unsigned long long x;

	/* Each thread starts somewhere of its own: a thread that selects
	 * once must not always draw the same case. */
	if (calls == 0)
		calls = (unsigned long long)workq__now_ns() ^
		        (unsigned long long)(uintptr_t)&calls;
	x = calls++;

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)(x % n);
}

static int try_case(workq_select_case_t *c)
{
	if (c->op == WORKQ_SELECT_GET)
		return workq_try_get(c->q, &c->item);
	return workq_try_put(c->q, c->item);
}

/*
 * Tries the cases, in turn from s->first, that are late (or not),
 * skipping those that a look without the queue's lock shows cannot
 * proceed: an empty queue's lock is not worth taking.  The look may be
 * stale only where that cannot cost a wake-up: before the select is
 * linked, linking looks again under the locks; once linked, whoever
 * made a case possible published it before firing the select, which
 * reset its fired flag (under the selector's mutex) before this pass.
 * Returns EAGAIN if none could proceed, else what the one performed
 * returned (0 or WORKQ_CLOSED), with its index in *chosen.
 */
static int try_pass(struct sel *s, int late, size_t *chosen)
{
	size_t k, i = s->first;

	for (k = 0; k < s->n; k++, i = i + 1 == s->n ? 0 : i + 1) {
		workq_select_case_t *c = &s->cases[i];
		int err;

		if (c->q == NULL || is_late(c) != late ||
		    !workq__select_fresh(c->q, c->op == WORKQ_SELECT_PUT))
			continue;
		err = try_case(c);
		if (err != EAGAIN) {
			*chosen = i;
			return err;
		}
	}
	return EAGAIN;
}

/* Returns 0, or ENOMEM, or the error of the selector's mutex or cv. */
static int prepare(struct sel *s)
{
	int err;

	if (s->ready)
		return 0;
	if (s->n <= WORKQ_SELECT_INLINE) {
		s->links = s->inline_links;
	} else {
		int saved_errno = errno;

		s->links = malloc(s->n * sizeof(*s->links));
		errno = saved_errno;
		if (s->links == NULL)
			return ENOMEM;
	}
	err = workq__mutex_init(&s->selector.mu);
	if (err == 0) {
		err = workq__cond_init(&s->selector.cv);
		if (err != 0)
			pthread_mutex_destroy(&s->selector.mu);
	}
	if (err != 0) {
		if (s->links != s->inline_links)
			free(s->links);
		s->links = NULL;
		return err;
	}
	s->selector.fired = 0;
	s->ready = 1;
	return 0;
}

static void release(struct sel *s)
{
	if (!s->ready)
		return;
	pthread_cond_destroy(&s->selector.cv);
	pthread_mutex_destroy(&s->selector.mu);
	if (s->links != s->inline_links)
		free(s->links);
	s->links = NULL;
	s->ready = 0;
}

/* The select's gets on case i's queue. */
static size_t own_gets(const struct sel *s, size_t i)
{
	size_t j, mine = 0;

	for (j = 0; j < s->n; j++)
		if (s->cases[j].q == s->cases[i].q &&
		    s->cases[j].op == WORKQ_SELECT_GET)
			mine++;
	return mine;
}

/*
 * Links every case on its queue, gets first (so that a put's queue
 * counts the same select's gets on it).  Returns 1 if some case could
 * proceed when it was linked.
 */
static int link_all(struct sel *s)
{
	size_t i;
	int ready = 0;
	int put;

	for (put = 0; put <= 1; put++) {
		for (i = 0; i < s->n; i++) {
			workq_select_case_t *c = &s->cases[i];

			if (c->q == NULL ||
			    (c->op == WORKQ_SELECT_PUT) != put)
				continue;
			s->links[i].sel = &s->selector;
			ready |= workq__select_link(c->q, &s->links[i], put,
			                            put ? own_gets(s, i)
			                                : 0);
		}
	}
	s->linked = 1;
	return ready;
}

static void unlink_all(struct sel *s)
{
	size_t i;

	if (s->links == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (s->cases[i].q != NULL)
			workq__select_unlink(s->cases[i].q, &s->links[i],
			                     s->cases[i].op == WORKQ_SELECT_PUT);
	s->linked = 0;
}

/* Runs when the thread is cancelled asleep in a select: the wait has
 * re-acquired the selector's mutex.  Nothing was performed. */
static void sel_cancelled(void *arg)
{
	struct sel *s = arg;

	workq__unlock(&s->selector.mu);
	unlink_all(s);
	release(s);
}

/* One wait on the selector's cv, a cancellation point.  Returns 0 or
 * ETIMEDOUT.  Called with its mutex held. */
static int wait_once(struct sel *s, const struct timespec *deadline)
{
	int err;

	pthread_cleanup_push(sel_cancelled, s);
	err = workq__wait(&s->selector.cv, &s->selector.mu, deadline);
	pthread_cleanup_pop(0);
	return err;
}

/* Sleeps until fired, cancelled or the deadline (NULL: none) passes.
 * Returns 0 or ETIMEDOUT. */
static int sleep_sel(struct sel *s, const struct timespec *deadline)
{
	int err = 0;

	workq__lock(&s->selector.mu);
	while (!s->selector.fired && err == 0)
		err = wait_once(s, deadline);
	workq__unlock(&s->selector.mu);
	return err;
}

/* Forgets earlier fires before the cases are tried again: one that
 * comes during the tries stops the next sleep. */
static void unfire(struct sel *s)
{
	workq__lock(&s->selector.mu);
	s->selector.fired = 0;
	workq__unlock(&s->selector.mu);
}

/* EINVAL for a case that names no operation, or puts WORKQ_DONE (close
 * is a call of its own), or for no case on; else 0, with *late_puts set
 * if a case is late.  A case with no queue is off. */
static int check_cases(const workq_select_case_t *cases, size_t n,
                       int *late_puts)
{
	size_t i;
	size_t on = 0;

	for (i = 0; i < n; i++) {
		const workq_select_case_t *c = &cases[i];

		if (c->q == NULL)
			continue;
		if (c->op != WORKQ_SELECT_GET && c->op != WORKQ_SELECT_PUT)
			return EINVAL;
		if (c->op == WORKQ_SELECT_PUT && c->item == WORKQ_DONE)
			return EINVAL;
		if (is_late(c))
			*late_puts = 1;
		on++;
	}
	return on > 0 ? 0 : EINVAL;
}

/* One try of every case, gets and ordinary puts while linked (if it is),
 * late puts unlinked (invariant 4). */
static int try_all(struct sel *s, size_t *chosen)
{
	int err = try_pass(s, 0, chosen);

	if (err != EAGAIN || !s->late_puts)
		return err;
	if (s->linked)
		unlink_all(s);
	return try_pass(s, 1, chosen);
}

/* Without any lock: is some case worth trying again? */
static int any_fresh(const void *arg)
{
	const struct sel *s = arg;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->cases[i].q != NULL &&
		    workq__select_fresh(s->cases[i].q,
		                        s->cases[i].op == WORKQ_SELECT_PUT))
			return 1;
	return 0;
}

/*
 * Before it first links itself, a select watches its cases as the
 * waiting policy (wait.c) allows a call on the queue of its first case
 * (in the order it tries them) to watch.  Returns 1 if a case looked
 * ready.
 */
static int watch(struct sel *s)
{
	size_t k;

	for (k = 0; k < s->n; k++) {
		const workq_select_case_t *c = &s->cases[(s->first + k) % s->n];

		if (c->q != NULL)
			return workq__select_watch(c->q,
			                           c->op == WORKQ_SELECT_PUT,
			                           any_fresh, s);
	}
	return 0;
}

static int run(struct sel *s, enum sel_mode mode,
               const struct timespec *deadline, size_t *chosen)
{
	int timed_out = 0;

	for (;;) {
		int err;

		if (s->linked)
			unfire(s);
		err = try_all(s, chosen);
		if (err != EAGAIN)
			return err;
		if (mode == SEL_TRY)
			return EAGAIN;
		if (timed_out)
			return ETIMEDOUT;
		if (!s->watched) {
			s->watched = 1;
			if (watch(s))
				continue;
		}
		if (!s->linked) {
			err = prepare(s);
			if (err != 0)
				return err;
			if (link_all(s))
				continue;
		}
		timed_out = sleep_sel(s, deadline) == ETIMEDOUT;
	}
}

/* The one select behind the public variants: `mode` and `timeout` as
 * a get's (a zero timeout makes SEL_TIMED a try, still ETIMEDOUT). */
static int select_cases(workq_select_case_t *cases, size_t n,
                        enum sel_mode mode, const struct timespec *timeout,
                        int biased, size_t *chosen)
{
	struct sel s;       /* the links and the selector: only if it waits */
	struct timespec abs;
	const struct timespec *deadline = NULL;
	size_t which = 0;
	int err;

	if (cases == NULL || n == 0 || workq__check_timeout(timeout) != 0)
		return EINVAL;
	s.cases = cases;
	s.n = n;
	s.late_puts = s.linked = s.watched = s.ready = 0;
	s.links = NULL;
	err = check_cases(cases, n, &s.late_puts);
	if (err != 0)
		return err;
	if (mode == SEL_TIMED && timeout != NULL) {
		workq__deadline(timeout, &abs);
		deadline = &abs;
	}
	s.first = biased ? 0 : pick_first(n);
	err = run(&s, is_zero(timeout) ? SEL_TRY : mode, deadline, &which);
	if (err == EAGAIN && mode == SEL_TIMED)
		err = ETIMEDOUT;
	if (s.linked)
		unlink_all(&s);
	release(&s);
	if ((err == 0 || err == WORKQ_CLOSED) && chosen != NULL)
		*chosen = which;
	return err;
}

int workq_select(workq_select_case_t *cases, size_t n, size_t *chosen)
{
	return select_cases(cases, n, SEL_FOREVER, NULL, 0, chosen);
}

int workq_try_select(workq_select_case_t *cases, size_t n, size_t *chosen)
{
	return select_cases(cases, n, SEL_TRY, NULL, 0, chosen);
}

int workq_timed_select(workq_select_case_t *cases, size_t n,
                       const struct timespec *timeout, size_t *chosen)
{
	return select_cases(cases, n, SEL_TIMED, timeout, 0, chosen);
}

/* NULL waits without limit, a zero timeout is a try: EAGAIN. */
int workq_select_biased(workq_select_case_t *cases, size_t n,
                        const struct timespec *timeout, size_t *chosen)
{
	return select_cases(cases, n, timeout == NULL ? SEL_FOREVER :
	                    is_zero(timeout) ? SEL_TRY : SEL_TIMED,
	                    timeout, 1, chosen);
}
