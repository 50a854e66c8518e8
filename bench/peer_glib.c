/*
 * peer_glib.c - GLib's GAsyncQueue.  It is unbounded: the capacity is
 * ignored and put never waits, so its numbers are not those of a bounded
 * queue (producers may run ahead by the whole run).  It has no close:
 * shutdown posts one sentinel per consumer.  Batches use the queue's own
 * lock with the _unlocked calls, which is how GLib lets callers batch.
 * Every push allocates a list node inside libglib, where the driver's
 * allocation counter cannot see it.
 */
#include <config.h>

#include <stdio.h>

#include <glib.h>

#include "peers.h"

static void *gl_create(size_t cap)
{
	(void)cap;      /* unbounded */
	return g_async_queue_new();
}

static void gl_destroy(void *q)
{
	g_async_queue_unref(q);
}

static int gl_put(void *q, void *item)
{
	g_async_queue_push(q, item);
	return 0;
}

static int gl_get(void *q, void **itemp)
{
	void *item = g_async_queue_pop(q);

	if (item == PEER_SENTINEL)
		return PEER_DONE;
	*itemp = item;
	return 0;
}

static int gl_put_many(void *q, void *const *items, size_t n)
{
	size_t i;

	g_async_queue_lock(q);
	for (i = 0; i < n; i++)
		g_async_queue_push_unlocked(q, items[i]);
	g_async_queue_unlock(q);
	return 0;
}

/* As the textbook's: a sentinel met after other items goes back to the
 * front, for this consumer's next call. */
static int gl_get_many(void *q, void **items, size_t max, size_t *ngot)
{
	void *item;
	size_t k = 0;

	g_async_queue_lock(q);
	item = g_async_queue_pop_unlocked(q);
	if (item == PEER_SENTINEL) {
		g_async_queue_unlock(q);
		*ngot = 0;
		return PEER_DONE;
	}
	items[k++] = item;
	while (k < max && (item = g_async_queue_try_pop_unlocked(q)) != NULL) {
		if (item == PEER_SENTINEL) {
			g_async_queue_push_front_unlocked(q, item);
			break;
		}
		items[k++] = item;
	}
	g_async_queue_unlock(q);
	*ngot = k;
	return 0;
}

static void gl_shutdown(void *q, unsigned nconsumers)
{
	while (nconsumers-- > 0)
		g_async_queue_push(q, PEER_SENTINEL);
}

static int gl_end_check(void *q, uint64_t nput, char *why, size_t len)
{
	gint left = g_async_queue_length(q);

	(void)nput;
	if (left == 0)
		return 0;
	snprintf(why, len, "%d items or sentinels left", (int)left);
	return -1;
}

static const char *gl_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "%u.%u.%u", glib_major_version,
	         glib_minor_version, glib_micro_version);
	return v;
}

const struct peer peer_glib = {
	.name = "glib",
	.about = "GAsyncQueue: UNBOUNDED (capacity ignored, put never waits); "
	         "sentinel shutdown; batch = lock + push/pop_unlocked",
	.create = gl_create,
	.destroy = gl_destroy,
	.put = gl_put,
	.get = gl_get,
	.put_many = gl_put_many,
	.get_many = gl_get_many,
	.shutdown = gl_shutdown,
	.end_check = gl_end_check,
	.version = gl_version,
	.bounded = 0,
	.allocs_hidden = 1,
};
