/*
 * tests/genmc/harness.h - what every GenMC harness shares: the real
 * queue (lib/queue.c, with lib/sync.c and lib/queue_attr.c) over the
 * stand-ins of shim.c, and a queue made for the run.
 *
 * Knobs, set with -D by tests/genmc/run.sh:
 *   CAP         the capacity (default 1)
 *   SPIN_NEVER  1: waiters sleep at once (WORKQ_SPIN_NEVER); 0 (the
 *               default): each takes one lock-free look first
 */
#ifndef WORKQ_GENMC_HARNESS_H
#define WORKQ_GENMC_HARNESS_H

#include "shim.c"
#include "sync.c"
#include "queue_attr.c"
#include "queue.c"

#include <assert.h>

#ifndef CAP
#define CAP 1
#endif
#ifndef SPIN_NEVER
#define SPIN_NEVER 0
#endif

/* A queue of capacity CAP with the policy SPIN_NEVER says; `bound`:
 * unfinished items count against the capacity. */
static workq_t *make_queue(int bound)
{
	struct workq_attr a;
	workq_t *q;

	workq__attr_init(&a);
	a.spin = SPIN_NEVER ? WORKQ_SPIN_NEVER : WORKQ_SPIN_ADAPTIVE;
	a.bound_unfinished = bound;
	assert(workq_create_attr(&q, CAP, &a) == 0);
	return q;
}

static pthread_t spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert(pthread_create(&t, NULL, fn, arg) == 0);
	return t;
}

static void join(pthread_t t)
{
	assert(pthread_join(t, NULL) == 0);
}

#endif /* WORKQ_GENMC_HARNESS_H */
