/*
 * workq_many: an adapter for the peers' harness, an outside benchmark
 * not distributed with workq (bench/RESULTS.md, section 2), that batches
 * both ends, with workq_get_many / workq_put_many and batches of 64.
 * The harness's own workq_batch batches consumers only.
 *
 * Producers gather 64 items in a per-thread buffer and hand them over with
 * one workq_put_many; consumers take up to 64 per workq_get_many and hand
 * them out one by one.  A producer's last partial buffer is put by the
 * thread-specific-data destructor when the producer thread exits: the
 * driver joins every producer before it calls shutdown(), so nothing is
 * still buffered when the queue closes.
 *
 * Throughput scenarios only (run with --only tput): a ping-pong puts one
 * item and waits for the answer, which would sit in the buffer forever.
 *
 * Use: copy this file into a copy of the harness's adapters/ and add
 *     workq_many_PKGS := workq
 *     workq_many_LIBS := $(workq_LIBS)
 * to that copy's Makefile (see bench/RESULTS.md for the full commands).
 */
#include <pthread.h>
#include <stdlib.h>

#include <workq.h>

#include "../adapter.h"

#define BATCH 64

struct outbox {
    workq_t *q;
    size_t len;
    void *items[BATCH];
};

static pthread_key_t outbox_key;
static pthread_once_t outbox_once = PTHREAD_ONCE_INIT;
static int outbox_key_err;

static __thread void *inbox[BATCH];
static __thread size_t inbox_len, inbox_pos;

/* Runs as a producer thread exits: its last items go out before the
 * driver's join returns.  A failure cannot be reported from here, but the
 * driver counts every item, so a lost one fails the run. */
static void outbox_flush_at_exit(void *arg)
{
    struct outbox *o = arg;
    size_t n = 0;

    if (o->len > 0)
        (void)workq_put_many(o->q, o->items, o->len, &n);
    free(o);
}

static void outbox_key_create(void)
{
    outbox_key_err = pthread_key_create(&outbox_key, outbox_flush_at_exit);
}

static struct outbox *my_outbox(workq_t *q)
{
    struct outbox *o;

    if (pthread_once(&outbox_once, outbox_key_create) != 0 || outbox_key_err)
        return NULL;
    o = pthread_getspecific(outbox_key);
    if (o == NULL) {
        o = calloc(1, sizeof *o);
        if (o == NULL)
            return NULL;
        if (pthread_setspecific(outbox_key, o) != 0) {
            free(o);
            return NULL;
        }
    }
    o->q = q; /* the driver starts new threads for every run */
    return o;
}

static void *wqm_create(size_t capacity)
{
    workq_t *q = NULL;
    return workq_create(&q, capacity) == 0 ? q : NULL;
}

static void wqm_destroy(void *q) { workq_destroy(q); }

static int wqm_put(void *q, void *item)
{
    struct outbox *o = my_outbox(q);
    size_t n = 0;

    if (o == NULL)
        return -1;
    o->items[o->len++] = item;
    if (o->len < BATCH)
        return MPMC_OK;
    if (workq_put_many(q, o->items, o->len, &n) != 0)
        return -1;
    o->len = 0;
    return MPMC_OK;
}

static int wqm_get(void *q, void **item)
{
    if (inbox_pos == inbox_len) {
        size_t n = 0;
        int rc = workq_get_many(q, inbox, BATCH, &n);
        if (rc == WORKQ_CLOSED)
            return MPMC_DONE;
        if (rc != 0 || n == 0)
            return -1;
        inbox_len = n;
        inbox_pos = 0;
    }
    *item = inbox[inbox_pos++];
    return MPMC_OK;
}

static void wqm_shutdown(void *q, int nconsumers)
{
    (void)nconsumers;
    workq_close(q);
}

const mpmc_adapter mpmc_peer = {
    .name = "workq_many",
    .notes = "producers put 64 per workq_put_many (rest at thread exit); consumers take up to 64 per workq_get_many; tput only",
    .shutdown_kind = MPMC_SHUTDOWN_CLOSE,
    .create = wqm_create,
    .destroy = wqm_destroy,
    .put = wqm_put,
    .get = wqm_get,
    .shutdown = wqm_shutdown,
};
