/*
 * peers.h - the queues the benchmark measures, behind one small table of
 * function pointers, so that bench.c runs the same driver code for each.
 *
 * A peer is workq itself, the textbook ring in peer_textbook.c, or, where
 * configure found them, GLib's GAsyncQueue and APR-util's apr_queue.  The
 * driver calls create, shutdown, end_check and destroy from one thread,
 * and put, get, put_many and get_many from any number of threads at once.
 */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

/* What get and get_many return once the queue is shut down and drained.
 * Negative, so that it can never be mistaken for an errno value. */
#define PEER_DONE (-1)

/*
 * The poison pill of the peers that have no close operation: shutdown
 * puts one per consumer, and get returns PEER_DONE on taking one.  The
 * driver's items are small integers, never this value.
 */
#define PEER_SENTINEL ((void *)UINTPTR_MAX)

struct peer {
	const char *name;       /* the column heading: [a-z]+ */
	const char *about;      /* one line for the report's header */
	/* A new empty queue holding at most cap items; NULL on failure.
	 * cap is 0 only for peers with `rendezvous` set. */
	void *(*create)(size_t cap);
	/* Frees q; no thread uses it any more. */
	void (*destroy)(void *q);
	/* Appends item, waiting while full.  0, or an error. */
	int (*put)(void *q, void *item);
	/* Takes the oldest item, waiting while empty and not shut down.
	 * 0 (item in *itemp), PEER_DONE, or an error. */
	int (*get)(void *q, void **itemp);
	/* Appends items[0..n) in order, waiting for room as needed.  0, or
	 * an error.  NULL where the queue has no batch call. */
	int (*put_many)(void *q, void *const *items, size_t n);
	/* Waits for at least one item, then takes up to max of those queued
	 * without waiting further.  0 (*ngot >= 1), PEER_DONE, or an error.
	 * NULL where the queue has no batch call. */
	int (*get_many)(void *q, void **items, size_t max, size_t *ngot);
	/* Called once, after every producer has returned, while nconsumers
	 * consumers may still wait in get: each must still receive every
	 * queued item and then PEER_DONE. */
	void (*shutdown)(void *q, unsigned nconsumers);
	/* After every consumer has seen PEER_DONE: 0 when q ended empty,
	 * with nput items put and taken (where the queue can tell), else
	 * -1 with the reason in why. */
	int (*end_check)(void *q, uint64_t nput, char *why, size_t len);
	/* The library's version, for the header.  NULL: none to tell. */
	const char *(*version)(void);
	/* Nonzero when put waits for room at capacity (GLib's queue
	 * does not). */
	int bounded;
	/* Nonzero when the allocation counter cannot see the queue's own
	 * allocations (they happen inside a shared library). */
	int allocs_hidden;
	/* Nonzero when create(0) makes a rendezvous queue, whose put
	 * returns once a consumer took the item; only such peers run the
	 * capacity-0 rows. */
	int rendezvous;
};

extern const struct peer peer_workq;
extern const struct peer peer_textbook;
#ifdef HAVE_GLIB
extern const struct peer peer_glib;
#endif
#ifdef HAVE_APR
extern const struct peer peer_apr;
#endif

#endif /* BENCH_PEERS_H */
