/*
 * taskdone.c - task_done races a put.  A producer puts NITEMS items; a
 * consumer gets each and calls task_done for it; a stray thread calls
 * task_done once more, which must succeed or return ERANGE (nothing
 * unfinished), never make the count go below zero.  Checks, in every
 * execution:
 *  - workq_unfinished(), read by the stray thread, never exceeds the
 *    items put (below zero would wrap around to a huge size_t);
 *  - exactly NITEMS task_done calls succeed, and nothing is left
 *    unfinished at the end, so join returns at once.
 * With -DBOUND=1 the queue is bound (unfinished items count against
 * the capacity): at CAP 1 the second put waits for the first item's
 * task_done, and -check-liveness shows that task_done wakes it.
 */
#include "harness.h"

#ifndef NITEMS
#define NITEMS 2
#endif
#ifndef BOUND
#define BOUND 0
#endif

static workq_t *q;
static int items[NITEMS];
static int consumer_done;       /* task_done successes, consumer's */
static int stray_done;          /* the stray thread's */

static void *producer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NITEMS; i++)
		assert(workq_put(q, &items[i]) == 0);
	return NULL;
}

static void *consumer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NITEMS; i++) {
		void *item;
		int err;

		assert(workq_get(q, &item) == 0);
		assert(item == &items[i]);
		err = workq_task_done(q);
		assert(err == 0 || err == ERANGE);
		consumer_done += err == 0;
	}
	return NULL;
}

static void *stray(void *arg)
{
	int err;

	(void)arg;
	assert(workq_unfinished(q) <= NITEMS);
	err = workq_task_done(q);
	assert(err == 0 || err == ERANGE);
	stray_done = err == 0;
	assert(workq_unfinished(q) <= NITEMS);
	return NULL;
}

int main(void)
{
	pthread_t p, c, s;

	q = make_queue(BOUND);
	p = spawn(producer, NULL);
	c = spawn(consumer, NULL);
	s = spawn(stray, NULL);
	join(p);
	join(c);
	join(s);
	assert(consumer_done + stray_done == NITEMS);
	assert(workq_unfinished(q) == 0);
	assert(workq_join(q) == 0);
	assert(workq_destroy(q) == 0);
	return 0;
}
