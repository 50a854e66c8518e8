/*
 * close.c - close races puts and a get.  A producer puts NITEMS items
 * (at capacity 1 the second waits for room, and close may end that
 * wait), another thread closes, and a consumer gets until it receives
 * the done sentinel.  Checks, in every execution:
 *  - an item whose put returned 0 reached the consumer, before the
 *    sentinel, exactly once; one whose put returned WORKQ_CLOSED never
 *    did (it stayed the caller's): never both, never neither;
 *  - once a put was refused, no later put of the producer succeeds;
 *  - the consumer, given the sentinel, keeps getting it;
 *  - with -check-liveness, close wakes every sleeper.
 */
#include "harness.h"

#ifndef NITEMS
#define NITEMS 2
#endif

static workq_t *q;
static int items[NITEMS];
static int put_result[NITEMS];  /* written by the producer */
static int got[NITEMS];         /* written by the consumer */

static void *producer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NITEMS; i++) {
		items[i] = i + 1;
		put_result[i] = workq_put(q, &items[i]);
		assert(put_result[i] == 0 || put_result[i] == WORKQ_CLOSED);
		if (i > 0 && put_result[i - 1] == WORKQ_CLOSED)
			assert(put_result[i] == WORKQ_CLOSED);
	}
	return NULL;
}

static void *closer(void *arg)
{
	(void)arg;
	assert(workq_close(q) == 0);
	return NULL;
}

static void *consumer(void *arg)
{
	void *item;
	int last = -1;

	(void)arg;
	for (;;) {
		int *it;
		int err = workq_get(q, &item);

		if (err == WORKQ_CLOSED) {
			assert(item == WORKQ_DONE);
			break;
		}
		assert(err == 0);
		it = item;
		assert(it >= &items[0] && it < &items[NITEMS]);
		assert(*it == (int)(it - items) + 1);
		assert((int)(it - items) > last);
		last = (int)(it - items);
		got[last]++;
	}
	/* Done is forever. */
	assert(workq_try_get(q, &item) == WORKQ_CLOSED && item == WORKQ_DONE);
	return NULL;
}

int main(void)
{
	pthread_t p, c, x;
	int i;

	q = make_queue(0);
	p = spawn(producer, NULL);
	x = spawn(closer, NULL);
	c = spawn(consumer, NULL);
	join(p);
	join(x);
	join(c);
	for (i = 0; i < NITEMS; i++)
		assert(got[i] == (put_result[i] == 0 ? 1 : 0));
	assert(workq_is_closed(q));
	assert(workq_size(q) == 0);
	assert(workq_destroy(q) == 0);
	return 0;
}
