/*
 * pollfd.c - the readiness descriptor of workq_pollfd() against puts
 * and gets racing across the empty state.  A producer puts NPUT items,
 * a consumer gets NGET (blocking); only the put into an empty queue and
 * the get that empties it touch the descriptor, each deciding so after
 * a full fence (put_may_raise(), get_may_lower()).  Checks, in every
 * execution: once both are done, the descriptor is raised exactly
 * while an item is queued (the stand-in in shim.c keeps its state).
 */
#include "harness.h"

#ifndef NPUT
#define NPUT 2
#endif
#ifndef NGET
#define NGET 2
#endif

static workq_t *q;
static int items[NPUT];

static void *producer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NPUT; i++)
		assert(workq_put(q, &items[i]) == 0);
	return NULL;
}

static void *consumer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NGET; i++) {
		void *item;

		assert(workq_get(q, &item) == 0);
		assert(item == &items[i]);
	}
	return NULL;
}

int main(void)
{
	pthread_t p, c;
	int fd;

	q = make_queue(0);
	assert(workq_pollfd(q, &fd) == 0 && fd >= 0);
	assert(q->note.raised == 0);
	p = spawn(producer, NULL);
	c = spawn(consumer, NULL);
	join(p);
	join(c);
	assert(workq_size(q) == NPUT - NGET);
	assert(q->note.raised == (NPUT > NGET));
	assert(workq_destroy(q) == 0);
	return 0;
}
