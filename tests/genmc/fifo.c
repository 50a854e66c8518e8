/*
 * fifo.c - NPROD producers put TOTAL items (NITEMS each unless TOTAL
 * says fewer: then dealt round-robin, the first producers putting one
 * more), NCONS consumers take them all with blocking gets (dealt the
 * same way), through a queue of capacity CAP, so that every slot is
 * reused.  With BATCH > 1 each producer puts with workq_put_many, BATCH
 * items a call; with GETMAX > 0 each consumer gets with workq_get_many,
 * at most GETMAX a call.  Checks, in every execution GenMC explores:
 *  - every item is taken exactly once, none stale or torn: each
 *    consumer reads the item's payload, which its producer wrote
 *    (plainly) before the put, so a get that is not ordered after its
 *    put is a data race for GenMC, and a wrong value fails the assert;
 *  - FIFO: each consumer gets each producer's items in the order put
 *    (with one consumer, that is the queue's order);
 *  - with -check-liveness, no call sleeps forever: no lost wake-up.
 */
#include "harness.h"

#ifndef NPROD
#define NPROD 1
#endif
#ifndef NCONS
#define NCONS 1
#endif
#ifndef NITEMS
#define NITEMS 3
#endif

#ifndef TOTAL
#define TOTAL (NPROD * NITEMS)
#endif
#ifndef BATCH
#define BATCH 1
#endif
#ifndef GETMAX
#define GETMAX 0
#endif
#if TOTAL > NPROD * NITEMS || TOTAL < NCONS
#error "TOTAL must be at most NPROD * NITEMS and at least NCONS"
#endif

/* Producer or consumer k of n handles every n-th of TOTAL from k. */
static int share(int k, int n)
{
	return (TOTAL - k + n - 1) / n;
}

struct item {
	int producer;
	int index;
	int payload;    /* written by the producer before the put */
};

static workq_t *q;
static struct item items[NPROD][NITEMS];
static int taken[NPROD][NITEMS];        /* by the consumer that got it */

static int payload_of(int p, int i)
{
	return 100 * (p + 1) + i;
}

/* Puts items [from, to) of producer p: one call, whichever BATCH says. */
static void put_some(int p, int from, int to)
{
	void *batch[BATCH];
	size_t nput = 0;
	int i;

	if (BATCH == 1) {
		assert(workq_put(q, &items[p][from]) == 0);
		return;
	}
	for (i = from; i < to; i++)
		batch[i - from] = &items[p][i];
	assert(workq_put_many(q, batch, (size_t)(to - from), &nput) == 0);
	assert(nput == (size_t)(to - from));
}

static void *producer(void *arg)
{
	int p = (int)(intptr_t)arg;
	int n = share(p, NPROD);
	int i;

	for (i = 0; i < n; i++) {
		items[p][i].producer = p;
		items[p][i].index = i;
		items[p][i].payload = payload_of(p, i);
		if ((i + 1) % BATCH == 0 || i + 1 == n)
			put_some(p, i - i % BATCH, i + 1);
	}
	return NULL;
}

/* Gets at most max items into got[]: one call, whichever GETMAX says. */
static int get_some(void **got, int max)
{
	size_t ngot = 0;

	if (GETMAX == 0) {
		assert(workq_get(q, &got[0]) == 0);
		return 1;
	}
	if (max > GETMAX)
		max = GETMAX;
	assert(workq_get_many(q, got, (size_t)max, &ngot) == 0);
	assert(ngot >= 1 && ngot <= (size_t)max);
	return (int)ngot;
}

/* One item got: taken once, its payload intact, in its producer's
 * order as this consumer sees it (last[], per producer). */
static void check_item(struct item *it, int last[])
{
	assert(it != NULL && it != WORKQ_DONE);
	assert(it->producer >= 0 && it->producer < NPROD);
	assert(it->index >= 0 && it->index < NITEMS);
	assert(it == &items[it->producer][it->index]);
	assert(it->payload == payload_of(it->producer, it->index));
	assert(it->index > last[it->producer]);
	last[it->producer] = it->index;
	taken[it->producer][it->index]++;
}

static void *consumer(void *arg)
{
	int last[NPROD];
	void *got[GETMAX > 0 ? GETMAX : 1];
	int c = (int)(intptr_t)arg;
	int n, k, j, p;

	for (p = 0; p < NPROD; p++)
		last[p] = -1;
	for (n = 0; n < share(c, NCONS); n += k) {
		k = get_some(got, share(c, NCONS) - n);
		for (j = 0; j < k; j++)
			check_item(got[j], last);
	}
	return NULL;
}

int main(void)
{
	pthread_t prod[NPROD], cons[NCONS];
	int i, p;

	q = make_queue(0);
	for (p = 0; p < NPROD; p++)
		prod[p] = spawn(producer, (void *)(intptr_t)p);
	for (i = 0; i < NCONS; i++)
		cons[i] = spawn(consumer, (void *)(intptr_t)i);
	for (p = 0; p < NPROD; p++)
		join(prod[p]);
	for (i = 0; i < NCONS; i++)
		join(cons[i]);
	for (p = 0; p < NPROD; p++)
		for (i = 0; i < share(p, NPROD); i++)
			assert(taken[p][i] == 1);
	assert(workq_size(q) == 0);
	assert(workq_destroy(q) == 0);
	return 0;
}
