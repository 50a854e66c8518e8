/*
 * peer_apr.c - APR-util's apr_queue_t: bounded, a mutex and two condvars,
 * signalled only when somebody waits.  Two quirks shape this adapter:
 *
 * - apr_queue_term() does not let consumers drain: once terminated, pop
 *   returns APR_EOF at once and the queued items are lost.  So shutdown
 *   first waits, polling apr_queue_size() every 50 us, until consumers
 *   have emptied the queue; only then does it terminate.  That wait is
 *   inside the measured time, as it would be in a program.
 * - push and pop wait with `if`, not `while`, and return APR_EINTR on a
 *   spurious or stolen wake-up; the adapter retries.
 *
 * There is no batch call.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_queue.h>
#include <apr_version.h>
#include <apu_version.h>

#include "peers.h"

struct aq {
	apr_pool_t *pool;       /* owns the queue */
	apr_queue_t *q;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
	apr_initialize();
}

static void *aq_create(size_t cap)
{
	apr_pool_t *pool;
	struct aq *a;

	pthread_once(&init_once, init);
	if (cap > 0xffffffffu || apr_pool_create(&pool, NULL) != APR_SUCCESS)
		return NULL;
	a = apr_palloc(pool, sizeof(*a));
	a->pool = pool;
	if (apr_queue_create(&a->q, (unsigned int)cap, pool) != APR_SUCCESS) {
		apr_pool_destroy(pool);
		return NULL;
	}
	return a;
}

static void aq_destroy(void *q)
{
	struct aq *a = q;

	apr_pool_destroy(a->pool);      /* the queue and a with it */
}

static int aq_put(void *q, void *item)
{
	struct aq *a = q;
	apr_status_t rv;

	do
		rv = apr_queue_push(a->q, item);
	while (rv == APR_EINTR);
	return rv == APR_SUCCESS ? 0 : EIO;
}

static int aq_get(void *q, void **itemp)
{
	struct aq *a = q;
	apr_status_t rv;

	do
		rv = apr_queue_pop(a->q, itemp);
	while (rv == APR_EINTR);
	if (rv == APR_EOF)
		return PEER_DONE;
	return rv == APR_SUCCESS ? 0 : EIO;
}

static void aq_shutdown(void *q, unsigned nconsumers)
{
	struct aq *a = q;

	(void)nconsumers;
	while (apr_queue_size(a->q) > 0)
		usleep(50);
	apr_queue_term(a->q);
}

static int aq_end_check(void *q, uint64_t nput, char *why, size_t len)
{
	struct aq *a = q;
	unsigned int left = apr_queue_size(a->q);

	(void)nput;
	if (left == 0)
		return 0;
	snprintf(why, len, "%u items left", left);
	return -1;
}

static const char *aq_version(void)
{
	static char v[64];

	snprintf(v, sizeof(v), "apr %s, apr-util %s", apr_version_string(),
	         apu_version_string());
	return v;
}

const struct peer peer_apr = {
	.name = "apr",
	.about = "apr_queue_t (bounded); apr_queue_term discards queued "
	         "items, so shutdown polls until drained, then terms",
	.create = aq_create,
	.destroy = aq_destroy,
	.put = aq_put,
	.get = aq_get,
	.put_many = NULL,
	.get_many = NULL,
	.shutdown = aq_shutdown,
	.end_check = aq_end_check,
	.version = aq_version,
	.bounded = 1,
	.allocs_hidden = 1,
};
