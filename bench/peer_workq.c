/*
 * peer_workq.c - workq itself, through the same table as the other peers.
 * Shutdown is workq_close; the batch calls are workq_put_many and
 * workq_get_many.  Capacity 0 is workq's rendezvous.  The fd scenarios use workq directly (bench.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <workq.h>

#include "peers.h"

static void *wq_create(size_t cap)
{
	workq_t *q;

	return workq_create(&q, cap) == 0 ? q : NULL;
}

static void wq_destroy(void *q)
{
	int err = workq_destroy(q);

	/* EBUSY would mean a thread is still inside: a driver bug. */
	if (err != 0)
		fprintf(stderr, "bench: workq_destroy: error %d\n", err);
}

static int wq_put(void *q, void *item)
{
	return workq_put(q, item);
}

static int wq_get(void *q, void **itemp)
{
	int err = workq_get(q, itemp);

	if (err == WORKQ_CLOSED)
		return *itemp == WORKQ_DONE ? PEER_DONE : EPROTO;
	return err;
}

static int wq_put_many(void *q, void *const *items, size_t n)
{
	size_t nput;
	int err = workq_put_many(q, items, n, &nput);

	return err == 0 && nput != n ? EPROTO : err;
}

static int wq_get_many(void *q, void **items, size_t max, size_t *ngot)
{
	int err = workq_get_many(q, items, max, ngot);

	if (err == WORKQ_CLOSED)
		return *ngot == 0 ? PEER_DONE : EPROTO;
	return err == 0 && *ngot == 0 ? EPROTO : err;
}

static void wq_shutdown(void *q, unsigned nconsumers)
{
	(void)nconsumers;
	workq_close(q);
}

/* Closed and drained: the sentinel, at once, and nothing left; the
 * counters (0.2) agree that every item went in and came out once. */
static int wq_end_check(void *q, uint64_t nput, char *why, size_t len)
{
	void *item = NULL;
	int err = workq_try_get(q, &item);

	if (err != WORKQ_CLOSED || item != WORKQ_DONE) {
		snprintf(why, len, "try_get after the end gave %d, not "
		         "WORKQ_CLOSED with WORKQ_DONE", err);
		return -1;
	}
	if (workq_size(q) != 0) {
		snprintf(why, len, "%zu items left", workq_size(q));
		return -1;
	}
#if WORKQ_VERSION_HEX >= 0x000200
	{
		struct workq_stats st;

		memset(&st, 0, sizeof(st));
		if (workq_stats(q, &st) != 0 || st.puts != nput ||
		    st.gets != nput) {
			snprintf(why, len, "stats: %llu puts, %llu gets, "
			         "for %llu items", st.puts, st.gets,
			         (unsigned long long)nput);
			return -1;
		}
	}
#else
	(void)nput;
#endif
	return 0;
}

const struct peer peer_workq = {
	.name = "workq",
	.about = "this tree's lib/ (static); close = workq_close; "
	         "batch = workq_put_many/workq_get_many",
	.create = wq_create,
	.destroy = wq_destroy,
	.put = wq_put,
	.get = wq_get,
	.put_many = wq_put_many,
	.get_many = wq_get_many,
	.shutdown = wq_shutdown,
	.end_check = wq_end_check,
	.version = workq_version,
	.bounded = 1,
	.allocs_hidden = 0,
	.rendezvous = 1,
};
