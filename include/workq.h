/*
 * workq.h - a bounded, closable work queue for threaded C programs.
 *
 * Copyright (c) 2026 the workq authors.  MIT licensed: see COPYING.
 *
 * Overview
 *
 * A workq_t is a bounded FIFO of void * items shared by any number of
 * producer and consumer threads.  Producers put, consumers get, and when
 * the work is over somebody closes the queue.  Closing never loses work:
 * consumers still receive every item the queue accepted, and only then are
 * told WORKQ_CLOSED, together with the done sentinel WORKQ_DONE, which
 * sits behind the last item and is seen by every consumer, forever.  That
 * lets every thread stop and be joined without counting poison pills.
 *
 * A typical usage pattern is:
 *
 *	workq_t *q;
 *	void *item;
 *
 *	if (workq_create(&q, 64) != 0)
 *		abort();
 *	// producers:  workq_put(q, job);   ...   workq_close(q);
 *	// consumers:
 *	while (workq_get(q, &item) == 0) {
 *		run(item);
 *		workq_task_done(q);
 *	}
 *	// item == WORKQ_DONE here: the queue is closed and drained.
 *	// once every thread has been joined:  workq_destroy(q);
 *
 * Capacity 0 (since 0.3).  workq_create(&q, 0) makes a rendezvous
 * queue, which holds no items: a put hands its item to a consumer and
 * returns 0 only once a consumer has taken that very item.  So:
 *  - workq_put waits until a consumer takes the item; workq_timed_put
 *    gives up with ETIMEDOUT; workq_try_put (and a zero timeout)
 *    succeeds only if a consumer is waiting in a get, else EAGAIN.  An
 *    item whose put did not return 0 is still the caller's and is never
 *    delivered later.  Putters offer their items one at a time.
 *  - workq_try_get succeeds only while a putter is offering an item;
 *    workq_timed_get gives up with ETIMEDOUT.
 *  - workq_close releases blocked putters with WORKQ_CLOSED, their items
 *    still theirs (an item offered but not taken is withdrawn, never
 *    delivered afterwards); gets on a closed rendezvous queue return
 *    WORKQ_CLOSED with WORKQ_DONE at once.  workq_discard hands back
 *    nothing: it closes, and blocked putters keep their items.
 *  - A putter cancelled while it waits takes its item back, unless a
 *    consumer took it first (then it was delivered, once).
 *  - workq_put_many hands its items over one at a time; workq_get_many
 *    takes one.  Pools, workq_add_producers/workq_producer_done and the
 *    done sentinel (which needs no slot) work as on any queue.
 *  - An item counts as accepted (workq_task_done, workq_join) once taken.
 *  - workq_capacity returns 0.  workq_size and the stats' size count the
 *    item a putter is offering (0 or 1), and the stats' puts counts it
 *    while it is offered; a withdrawn item leaves both, so puts == gets +
 *    discarded + size still holds.
 *  - workq_pollfd's descriptor is readable while a putter is offering an
 *    item or the queue is closed.
 *
 * Conventions.  These hold for every function below, whose comments say
 * only what differs.
 *  - Errors.  A function returning int returns 0 on success or a
 *    positive errno value, as pthreads does; none sets errno, returns -1
 *    or aborts on bad input.  A NULL queue, pool, attribute object or
 *    pointer to a result is EINVAL, and so is an invalid timeout.  When
 *    several errors apply, EINVAL comes first and changes nothing, then
 *    WORKQ_CLOSED, then the "would wait" codes (EAGAIN for try_,
 *    ETIMEDOUT for timed_).  A function that makes an object stores it
 *    only on success.  Functions returning size_t answer 0 for a NULL
 *    queue.  workq_strerror() names every code.
 *  - Concurrency.  Every function on a queue is safe from any number of
 *    threads at once, concurrently with every other call on that queue
 *    except workq_destroy(), which must be the last.  A pool is joined
 *    from one thread at a time, and an attribute object is set from one
 *    thread at a time.  workq_create(), workq_create_attr() and
 *    workq_version() touch no shared state.  No function is
 *    async-signal-safe.
 *  - Waiting.  A function waits only where its comment says it blocks
 *    or waits, and is then a cancellation point while it waits, and
 *    nowhere else; a cancelled call leaves the queue consistent and
 *    usable by every other thread.
 *  - Timeouts.  A timeout is a relative interval measured on
 *    CLOCK_MONOTONIC; NULL waits forever and a zero interval never
 *    waits.  One with tv_sec < 0 or tv_nsec outside [0, 999999999] is
 *    EINVAL, checked before anything else.  ETIMEDOUT never comes
 *    earlier than the timeout.
 *  - Ownership.  An item a put accepted (returned 0 for) belongs to the
 *    queue until a get hands it to a consumer, or workq_discard() to its
 *    callback; an item a put did not accept is still the caller's.  The
 *    queue stores items and never dereferences or frees them.  An object
 *    a create or start makes is the caller's until its destroy or join
 *    returns 0.  Strings returned are static: never free them.
 *
 * This header is self-contained and compiles as C99 and as C++.
 */
#ifndef WORKQ_H
#define WORKQ_H

#include <stddef.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WORKQ_VERSION_MAJOR 0
#define WORKQ_VERSION_MINOR 2
#define WORKQ_VERSION_PATCH 0
#define WORKQ_VERSION_STRING "0.2.0"
/* 0xMMmmpp, for compile-time comparisons. */
#define WORKQ_VERSION_HEX                                                      \
	((WORKQ_VERSION_MAJOR << 16) | (WORKQ_VERSION_MINOR << 8) |            \
	 WORKQ_VERSION_PATCH)

#if defined(__GNUC__) && __GNUC__ >= 4
#define WORKQ_API __attribute__((visibility("default")))
#define WORKQ_NODISCARD __attribute__((warn_unused_result))
#else
#define WORKQ_API
#define WORKQ_NODISCARD
#endif

/* Declared here so that the header needs no POSIX feature macros. */
struct timespec;

/* An opaque bounded FIFO of void * items. */
typedef struct workq workq_t;

/* An opaque set of worker threads consuming one workq_t. */
typedef struct workq_pool workq_pool_t;

/*
 * Callback for worker pools (called once per item) and for workq_discard()
 * (called once per discarded item).  `item` is the queued pointer, now
 * owned by the callback; `arg` is what the caller passed along with `fn`.
 */
typedef void workq_item_fn(void *item, void *arg);

/*
 * The done sentinel's storage.  Use WORKQ_DONE, never this object: only
 * its address matters, and nothing ever reads or writes it.
 */
extern WORKQ_API char workq_done_sentinel;

/*
 * WORKQ_DONE: the done sentinel.  A void * distinct from NULL and from
 * every pointer a program can obtain to an object of its own.  Consumers
 * receive it (with WORKQ_CLOSED) once a closed queue is drained; putting
 * it is the same as workq_close().
 */
#define WORKQ_DONE ((void *)&workq_done_sentinel)

/* Return code: the queue is closed. */
#define WORKQ_CLOSED EPIPE

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

/*
 * Creates an empty, open queue holding at most `capacity` items, and
 * stores it in *qp.  Capacity 0 makes a rendezvous queue, where each put
 * waits until a consumer takes its item (see "Capacity 0" above; since
 * 0.3; before, capacity 0 was EINVAL).  It and workq_create_attr() are
 * the only queue calls that allocate memory.
 *
 * Returns 0 on success.
 * Returns EINVAL if capacity exceeds PTRDIFF_MAX / sizeof(void *) - 1.
 * Returns ENOMEM if the memory cannot be allocated.
 * Returns EAGAIN (or another pthread init error) if the mutex or a
 *   condition variable cannot be initialised.
 *
 * Pair with workq_destroy().
 * Since: 0.1
 */
WORKQ_API WORKQ_NODISCARD int workq_create(workq_t **qp, size_t capacity);

/*
 * Frees the queue.  Items still queued are not touched: call
 * workq_discard() first if they own memory.
 *
 * Concurrency: call it once, when no other thread uses q any more; no
 * thread may call any function on q after destroy returned 0.  Destroy
 * refuses while it can see the queue in use (see EBUSY).
 *
 * Returns 0 on success: q is freed (by the release function of the
 *   attributes it was made with; free for workq_create's).
 * Returns EBUSY, and frees nothing, while a thread is inside workq_put,
 *   workq_timed_put, workq_put_many, workq_get, workq_timed_get,
 *   workq_get_many, workq_join or workq_discard on q, or while a pool
 *   started on q has not been through a workq_pool_join that returned 0.
 *
 * Since: 0.1
 */
WORKQ_API int workq_destroy(workq_t *q);

/* ------------------------------------------------------------------ */
/* Queue attributes (0.3)                                              */
/* ------------------------------------------------------------------ */

/*
 * Opaque queue attributes, read by workq_create_attr(), which copies
 * what it needs: the object may be changed or destroyed as soon as the
 * create returned, and never affects a queue already made.  Set from
 * one thread at a time.
 */
typedef struct workq_attr workq_attr_t;

/* How a call that must wait watches the queue before it sleeps; see
 * workq_attr_set_spin(). */
#define WORKQ_SPIN_ADAPTIVE 0
#define WORKQ_SPIN_NEVER 1

/*
 * Makes a queue attribute object holding the defaults, those of
 * workq_create(): the adaptive waiting policy, malloc and free, and no
 * bound on unfinished items.
 *
 * Returns 0 with the object in *attrp.
 * Returns ENOMEM if memory cannot be allocated.
 *
 * Pair with workq_attr_destroy().
 * Since: 0.3
 */
WORKQ_API WORKQ_NODISCARD int workq_attr_create(workq_attr_t **attrp);

/*
 * Frees an attribute object.  Queues made with it are unaffected.
 *
 * Returns 0 on success.
 *
 * Since: 0.3
 */
WORKQ_API int workq_attr_destroy(workq_attr_t *attr);

/*
 * Sets how a put that finds no room, or a get that finds no item,
 * waits.  WORKQ_SPIN_ADAPTIVE, the default, lets it watch the queue for
 * a while first, as long as recent waits say a hand-off is near, so
 * that it need not sleep and be woken (see doc/design.md, "How a
 * blocked call waits").  WORKQ_SPIN_NEVER makes it sleep at once: no CPU time
 * is spent waiting, at the price of a wake-up for every hand-off that
 * finds the other side not there yet, as on a machine whose CPUs other
 * work needs.
 *
 * Returns 0 on success.
 * Returns EINVAL if policy is neither WORKQ_SPIN_ADAPTIVE nor
 *   WORKQ_SPIN_NEVER.
 *
 * Since: 0.3
 */
WORKQ_API int workq_attr_set_spin(workq_attr_t *attr, int policy);

/*
 * Sets the allocator for the memory that workq_create_attr() allocates
 * (the queue and its ring, one block): alloc(size, ctx) returns size
 * bytes suitably aligned for any object, or NULL; release(ptr, ctx)
 * frees what alloc returned.  The block is released by workq_destroy()
 * when it returns 0, or by the failed create that allocated it.  Both
 * NULL restore malloc and free.  They are called from the thread that
 * calls create or destroy.
 *
 * Returns 0 on success.
 * Returns EINVAL if exactly one of alloc and release is NULL.
 *
 * Since: 0.3
 */
WORKQ_API int
workq_attr_set_allocator(workq_attr_t *attr,
                         void *(*alloc)(size_t size, void *ctx),
                         void (*release)(void *ptr, void *ctx), void *ctx);

/*
 * With on = 1, every accepted item counts against the capacity until it
 * is finished (workq_task_done, or removed by workq_discard), not only
 * while it is queued: a queue of capacity N then holds at most N items
 * accepted and not yet finished, and a put waits (try_put: EAGAIN;
 * timed_put: ETIMEDOUT) while that many are, even when the ring is
 * empty.  Each workq_task_done that makes room wakes a waiting
 * producer.  A pool's workers call workq_task_done after each item, so
 * a pool on such a queue bounds its queued and running jobs together.
 * Consumers must then call workq_task_done for each item they take, or
 * the producers wait forever.  on = 0, the default, bounds the items
 * queued only.
 *
 * Returns 0 on success.
 * Returns EINVAL if on is neither 0 nor 1.
 *
 * Since: 0.3
 */
WORKQ_API int workq_attr_set_bound_unfinished(workq_attr_t *attr, int on);

/*
 * As workq_create(), with attributes; attr NULL gives the defaults,
 * and then it is exactly workq_create().  attr is only read: it may be
 * destroyed once this returns.
 *
 * Returns 0 on success.
 * Returns EINVAL if capacity is one workq_create() refuses, or attr
 *   bounds unfinished items and capacity is 0.
 * Returns ENOMEM if attr's allocator (or malloc) returns NULL, or the
 *   queue would be too large to ask for.
 * Returns EAGAIN (or another pthread init error) if a mutex or a
 *   condition variable cannot be initialised; the block is released.
 *
 * Pair with workq_destroy(), which frees the queue with attr's release
 * function.
 * Since: 0.3
 */
WORKQ_API WORKQ_NODISCARD int workq_create_attr(workq_t **qp,
                                                size_t capacity,
                                                const workq_attr_t *attr);

/* ------------------------------------------------------------------ */
/* Putting                                                             */
/* ------------------------------------------------------------------ */

/*
 * Appends `item` to the queue, waiting while the queue is full.  Any
 * pointer is a valid item, NULL included; putting WORKQ_DONE closes the
 * queue instead (see workq_close) and returns 0 without waiting, even on
 * a queue already closed.
 *
 * Blocks while the queue is full and open.  On a capacity-0 queue it
 * also blocks until a consumer has taken the item (see "Capacity 0").
 *
 * Returns 0 when the item was accepted: the queue now owns it until a
 *   consumer takes it (or workq_discard hands it back).  At capacity 0:
 *   once a consumer has taken it.
 * Returns WORKQ_CLOSED if the queue is closed (also when it closes while
 *   this call waits): the item was not taken and is still the caller's.
 *
 * Since: 0.1
 */
WORKQ_API int workq_put(workq_t *q, void *item);

/*
 * As workq_put(), but never waits (but for the capacity-0 case below).
 *
 * Returns 0 when accepted: the queue owns the item.
 * Returns WORKQ_CLOSED if the queue is closed; the item stays the caller's.
 * Returns EAGAIN if the queue is full; the item stays the caller's.  At
 *   capacity 0: if no consumer is waiting in a get.  While one is, the
 *   call waits (still not a cancellation point) the moment that consumer
 *   takes to pick the item up, and returns 0, or EAGAIN if every waiting
 *   consumer left without it.
 *
 * Since: 0.1
 */
WORKQ_API int workq_try_put(workq_t *q, void *item);

/*
 * As workq_put(), but waits at most *timeout.
 *
 * Returns 0 when accepted: the queue owns the item.
 * Returns WORKQ_CLOSED if the queue is or becomes closed; the item stays
 *   the caller's.
 * Returns ETIMEDOUT if the queue stayed full for *timeout; the item
 *   stays the caller's.  At capacity 0, also if no consumer took the
 *   item within *timeout.
 *
 * Since: 0.1
 */
WORKQ_API int workq_timed_put(workq_t *q, void *item,
                              const struct timespec *timeout);

/*
 * Puts items[0..n) in order, filling slots as they free up: it does not
 * wait for room for all n at once, so the items keep their order but may
 * interleave with other producers' items.  Stores in *nput how many were
 * put, on success and on every error (0 for argument errors).
 *
 * Blocks while the queue is full and items remain; if cancelled there,
 * the items already put stay queued.
 *
 * Returns 0 when all n were put (n == 0 included, on an open queue).
 * Returns WORKQ_CLOSED if the queue is or becomes closed: *nput says how
 *   many were put before; items[*nput..n) are still the caller's.
 * Returns EINVAL if items is NULL while n > 0, or any of the n items is
 *   WORKQ_DONE (nothing is put).
 *
 * Since: 0.1
 */
WORKQ_API int workq_put_many(workq_t *q, void *const *items, size_t n,
                             size_t *nput);

/* ------------------------------------------------------------------ */
/* Getting                                                             */
/* ------------------------------------------------------------------ */

/*
 * Removes the oldest item and stores it in *itemp, waiting while the
 * queue is empty and open.
 *
 * Blocks while the queue is empty and open.
 *
 * Returns 0 with the item in *itemp: the caller now owns it, and should
 *   call workq_task_done() when finished with it if anyone uses
 *   workq_join().
 * Returns WORKQ_CLOSED, with WORKQ_DONE in *itemp, once the queue is
 *   closed and every accepted item has been taken; from then on at once,
 *   in every consumer, forever.
 *
 * Since: 0.1
 */
WORKQ_API int workq_get(workq_t *q, void **itemp);

/*
 * As workq_get(), but never waits.
 *
 * Returns 0 with the oldest item in *itemp, now the caller's.
 * Returns WORKQ_CLOSED, with WORKQ_DONE in *itemp, when closed and
 *   drained.
 * Returns EAGAIN when the queue is empty and open (*itemp untouched); at
 *   capacity 0, when no putter is offering an item.
 *
 * Since: 0.1
 */
WORKQ_API int workq_try_get(workq_t *q, void **itemp);

/*
 * As workq_get(), but waits at most *timeout.
 *
 * Returns 0 with the oldest item in *itemp, now the caller's.
 * Returns WORKQ_CLOSED, with WORKQ_DONE in *itemp, when closed and
 *   drained (also when that happens while it waits).
 * Returns ETIMEDOUT if the queue stayed empty and open for *timeout
 *   (*itemp untouched).
 *
 * Since: 0.1
 */
WORKQ_API int workq_timed_get(workq_t *q, void **itemp,
                              const struct timespec *timeout);

/*
 * Waits until at least one item is queued, then takes as many as are
 * queued, up to max, oldest first, into items[0..*ngot), without waiting
 * further.
 *
 * Blocks while the queue is empty and open.
 *
 * Returns 0 with *ngot >= 1 items now owned by the caller.
 * Returns WORKQ_CLOSED with *ngot == 0 once closed and drained.
 * Returns EINVAL if items is NULL or max is 0 (*ngot is set to 0 when
 *   ngot is not NULL).
 *
 * Since: 0.1
 */
WORKQ_API int workq_get_many(workq_t *q, void **items, size_t max,
                             size_t *ngot);

/* ------------------------------------------------------------------ */
/* Closing                                                             */
/* ------------------------------------------------------------------ */

/*
 * Closes the queue for business.  Idempotent.  Afterwards every put
 * variant returns WORKQ_CLOSED without taking its item, consumers still
 * receive every item accepted before, and then every get variant returns
 * WORKQ_CLOSED with WORKQ_DONE.  Wakes every blocked producer and
 * consumer.  Never waits (the sentinel needs no free slot) and never
 * fails on a valid queue.
 *
 * Returns 0 on success.
 *
 * Since: 0.1
 */
WORKQ_API int workq_close(workq_t *q);

/*
 * Closes the queue, then removes every queued item and calls
 * fn(item, arg) for each, oldest first, with no lock of the queue held.
 * fn may be NULL (the items are dropped); it may call any workq function
 * on q except workq_destroy.  Discarded items count as finished for
 * workq_join() as soon as they are removed.  Each accepted item is taken
 * by a consumer or handed to fn, exactly once.  When discard returns the
 * queue is closed and empty.  A capacity-0 queue holds nothing to hand
 * back: its blocked putters get WORKQ_CLOSED and keep their items, and
 * an item still offered when discard returns (workq_size() 1) leaves as
 * soon as its putter runs; it is never delivered.
 *
 * Does not wait for other threads; runs fn in the calling thread.
 * If fn ends the thread (pthread_exit, cancellation), the items not yet
 * handed over stay queued.
 *
 * Returns 0 on success.
 * Each item passed to fn is fn's.
 *
 * Since: 0.1
 */
WORKQ_API int workq_discard(workq_t *q, workq_item_fn *fn, void *arg);

/* ------------------------------------------------------------------ */
/* Completion tracking                                                 */
/* ------------------------------------------------------------------ */

/*
 * Marks one accepted item as finished (as Python's Queue.task_done).
 * Every accepted item is unfinished until a consumer calls this, or until
 * workq_discard removes it.
 *
 * Returns 0 when one item was marked finished.
 * Returns ERANGE if no item is unfinished (nothing changes).
 *
 * Since: 0.1
 */
WORKQ_API int workq_task_done(workq_t *q);

/*
 * Waits until no accepted item is unfinished; returns at once when none
 * is.  Closing the queue does not end the wait by itself; discarding
 * does, as it finishes every queued item.
 *
 * Blocks.
 *
 * Returns 0 on success.
 * Returns EDEADLK, and waits for nothing, when called from a worker
 *   thread of a pool serving q (from its fn, task or hooks): that
 *   worker's own item is unfinished until fn returns, so the join could
 *   only wait for itself.  (Since 0.3.)
 *
 * Since: 0.1
 */
WORKQ_API int workq_join(workq_t *q);

/*
 * As workq_join(), but gives up after *timeout, leaving everything as it
 * was.  While a thread is inside it, workq_destroy() returns EBUSY.
 *
 * Returns 0 once no item is unfinished.
 * Returns ETIMEDOUT if items were still unfinished at the deadline.
 * Returns EDEADLK at once, as workq_join(), from a worker thread of a
 *   pool serving q.  (Since 0.3.)
 *
 * Since: 0.2
 */
WORKQ_API int workq_timed_join(workq_t *q, const struct timespec *timeout);

/*
 * The number of items accepted and not yet finished: those queued,
 * those taken by consumers that have not called workq_task_done for
 * them yet, less any workq_task_done called ahead of its item.  What
 * workq_join waits to see at 0, and what a queue made with
 * workq_attr_set_bound_unfinished() keeps at most at its capacity.
 * Every queue keeps the count, bound or not.  Takes the queue's
 * completion mutex; a snapshot that other threads may change at once.
 *
 * Returns the count.
 *
 * Since: 0.3
 */
WORKQ_API size_t workq_unfinished(const workq_t *q);

/* ------------------------------------------------------------------ */
/* Inspection                                                          */
/* ------------------------------------------------------------------ */

/*
 * The number of items queued now, the sentinel not counted (at capacity
 * 0: 1 while a putter is offering an item, else 0).  On a queue that
 * bounds unfinished items too, still the items queued: those taken and
 * not finished are counted by workq_unfinished().  Takes the queue's two
 * mutexes; a snapshot that other threads may change at once.
 *
 * Returns the count.
 *
 * Since: 0.1
 */
WORKQ_API size_t workq_size(const workq_t *q);

/*
 * The capacity given to workq_create(); it never changes.
 *
 * Returns the capacity (0 for a rendezvous queue).
 *
 * Since: 0.1
 */
WORKQ_API size_t workq_capacity(const workq_t *q);

/*
 * Whether the queue has been closed (by workq_close, workq_discard,
 * putting WORKQ_DONE, or the last workq_producer_done).  Takes no lock.
 * Once 1, always 1.
 *
 * Returns 1 once closed, else 0 (also if q is NULL).
 *
 * Since: 0.1
 */
WORKQ_API int workq_is_closed(const workq_t *q);

/*
 * The library's version string, e.g. "0.2.0": that of the library the
 * program runs with, which may differ from the WORKQ_VERSION_STRING of
 * the header it was compiled with.
 *
 * Returns a static string.
 *
 * Since: 0.1
 */
WORKQ_API const char *workq_version(void);

/* ------------------------------------------------------------------ */
/* Event-loop integration (0.2)                                        */
/* ------------------------------------------------------------------ */

/*
 * Stores in *fdp a file descriptor that polls readable (POLLIN, EPOLLIN)
 * exactly while the queue holds at least one item or is closed (at
 * capacity 0: while a putter is offering an item, or closed), so that
 * a poll/epoll/libuv/GLib loop can wait for work and then call
 * workq_try_get() until EAGAIN.  Level-triggered: it stays readable while
 * items remain and stops being readable once the queue is empty and
 * open.  The descriptor belongs to the queue (workq_destroy closes it);
 * never read, write or close it.  Made on the first call (an eventfd, or
 * a pipe where there is none); later calls return the same one.  Until
 * then the queue makes no system call for it.  Close-on-exec and
 * non-blocking.
 *
 * Returns 0 with the descriptor in *fdp (written only on success).
 * Returns EMFILE, ENFILE or ENOMEM if the descriptor cannot be made.
 *
 * Since: 0.2
 */
WORKQ_API int workq_pollfd(workq_t *q, int *fdp);

/*
 * workq_pollfd()'s counterpart for producers: stores in *fdp a file
 * descriptor that polls readable (POLLIN, EPOLLIN) exactly while a put
 * would find room, or the queue is closed, so that an event loop can
 * wait for room and then call workq_try_put() until EAGAIN, instead of
 * retrying on a timer.  Room means a free slot; on a queue whose
 * unfinished work is bound (workq_attr_set_bound_unfinished), also room
 * under that bound; at capacity 0, a consumer waiting in a get (or a
 * select) and no item offered.  Level-triggered.  Readable can be
 * stale by the time the loop acts (another producer may take the room
 * first): try_put's EAGAIN is the last word.  Otherwise as
 * workq_pollfd(): owned by the queue, made on the first call (distinct
 * from workq_pollfd's), close-on-exec and non-blocking.
 *
 * Returns 0 with the descriptor in *fdp (written only on success).
 * Returns EMFILE, ENFILE or ENOMEM if the descriptor cannot be made.
 *
 * Since: 0.3
 */
WORKQ_API int workq_pollfd_room(workq_t *q, int *fdp);

/* ------------------------------------------------------------------ */
/* Counters (0.2)                                                      */
/* ------------------------------------------------------------------ */

/* A snapshot of a queue's counters; see workq_stats(). */
struct workq_stats {
	unsigned long long puts;        /* items accepted (sentinel excluded) */
	unsigned long long gets;        /* items handed to consumers */
	unsigned long long discarded;   /* items handed back by workq_discard */
	unsigned long long put_waits;   /* put calls that had to sleep for room at least once */
	unsigned long long get_waits;   /* get calls that had to sleep for an item at least once */
	size_t size;                    /* items queued at the snapshot */
	size_t high_water;              /* largest size ever reached */
	size_t blocked_producers;       /* threads sleeping in a put variant now
	                                 * (at capacity 0, also those waiting
	                                 * for their item to be taken) */
	size_t blocked_consumers;       /* threads sleeping in a get variant now */
};

/*
 * Copies the queue's counters into *st, as one consistent snapshot:
 * st->puts == st->gets + st->discarded + st->size always holds.  At
 * capacity 0, size is 1 while a putter is offering an item, and puts
 * counts that item until it is withdrawn (then neither does); put_waits
 * counts puts that slept for their turn to offer, not the wait for the
 * take; high_water is 1 once an item was offered.  On a queue that
 * bounds unfinished items (workq_attr_set_bound_unfinished) size and
 * high_water still count items queued, never those taken and not
 * finished (see workq_unfinished); put_waits and blocked_producers count
 * puts that waited for either kind of room.  Takes the queue's two
 * mutexes.
 *
 * Returns 0 with the snapshot in *st.
 *
 * Since: 0.2
 */
WORKQ_API int workq_stats(const workq_t *q, struct workq_stats *st);

/* ------------------------------------------------------------------ */
/* Producers that finish on their own (0.2)                            */
/* ------------------------------------------------------------------ */

/*
 * Registers n more producers.  When the registered producers have all
 * called workq_producer_done(), the queue closes, as by workq_close():
 * several producers share one queue without agreeing on who closes it.
 *
 * Returns 0 (also for n == 0 on an open queue, which changes nothing).
 * Returns WORKQ_CLOSED if the queue is closed, n == 0 included (nothing
 *   registered).
 * Returns EOVERFLOW if the count would overflow (nothing registered).
 *
 * Since: 0.2
 */
WORKQ_API int workq_add_producers(workq_t *q, unsigned n);

/*
 * Says one registered producer has finished; the last one closes the
 * queue.  On a queue closed by someone else the count still goes down
 * and 0 is returned.
 *
 * Returns 0.
 * Returns ERANGE if no producer is registered (nothing changes).
 *
 * Since: 0.2
 */
WORKQ_API int workq_producer_done(workq_t *q);

/* ------------------------------------------------------------------ */
/* Worker pool                                                         */
/* ------------------------------------------------------------------ */

/*
 * Starts nthreads worker threads on q.  Each loops: workq_get(), then
 * fn(item, arg), then workq_task_done(); when it receives the done
 * sentinel it re-posts it for the others and exits.  So the pool stops
 * once q is closed (workq_close, or putting WORKQ_DONE) and drained.
 * The threads are named "workq-0", "workq-1", ... where the system
 * supports it, and run with every signal blocked so that signals reach
 * the program's own threads.  A pool may be started on a closed queue:
 * its workers take what is left and exit.
 *
 * Several pools may serve one queue.
 *
 * All or nothing: on failure no thread is left running, nothing leaks,
 * and the queue is unchanged.
 *
 * Returns 0 with the pool in *poolp.
 * Returns EINVAL if fn is NULL or nthreads is 0.
 * Returns EAGAIN if a thread cannot be created.
 * Returns ENOMEM if memory cannot be allocated.
 *
 * Pair with workq_pool_join().  q must stay alive until then
 * (workq_destroy refuses with EBUSY).
 * Since: 0.1
 */
WORKQ_API WORKQ_NODISCARD int workq_pool_start(workq_pool_t **poolp,
                                               workq_t *q, size_t nthreads,
                                               workq_item_fn *fn, void *arg);

/*
 * Waits until every worker has exited (that is, until the queue has been
 * closed and drained), joins every thread and frees the pool.
 *
 * Blocks.  A cancelled pool_join may be called again.
 *
 * Returns 0 once the pool is freed.
 * Returns EDEADLK, and changes nothing, when called from one of the
 *   pool's own worker threads (it would wait for itself).
 *
 * Since: 0.1
 */
WORKQ_API int workq_pool_join(workq_pool_t *pool);

/*
 * As workq_pool_join(), but gives up after *timeout with ETIMEDOUT,
 * leaving the pool valid: it may be joined again later.
 *
 * Returns 0 once every worker is joined and the pool freed.
 * Returns ETIMEDOUT if a worker was still running at the deadline; the
 *   pool stays valid.
 * Returns EDEADLK, changing nothing, from one of the pool's own workers.
 *
 * Since: 0.2
 */
WORKQ_API int workq_pool_timed_join(workq_pool_t *pool,
                                    const struct timespec *timeout);

/* ------------------------------------------------------------------ */
/* Jobs without allocation (0.3)                                       */
/* ------------------------------------------------------------------ */

typedef struct workq_task workq_task_t;

/*
 * A task's function: `task` is the address that was queued; `arg` is
 * the pool's arg, as given to workq_pool_start_attr().
 */
typedef void workq_task_fn(workq_task_t *task, void *arg);

/*
 * A job for a task pool (one started by workq_pool_start_attr() with fn
 * NULL).  The caller embeds it in a job struct of its own, sets fn and
 * puts &job->task; the worker calls task->fn(task, arg), which finds
 * its job again from the task's address (for instance with offsetof).
 * So every job kind carries its own function, one pool runs them all,
 * and nothing is allocated per job: the caller owns the memory, and may
 * free or reuse it once fn has been called (from inside fn included).
 *
 * The layout is public and fixed: fn is, and will stay, the only
 * member.  Since: 0.3
 */
struct workq_task {
	workq_task_fn *fn;
};

/* ------------------------------------------------------------------ */
/* Pool attributes (0.3)                                               */
/* ------------------------------------------------------------------ */

/*
 * Opaque pool attributes, read by workq_pool_start_attr(), which copies
 * what it needs: the object may be changed or destroyed as soon as the
 * start returned, and never affects a pool already started.  Set from
 * one thread at a time.
 */
typedef struct workq_pool_attr workq_pool_attr_t;

/*
 * Makes a pool attribute object holding the defaults: threads named
 * "workq-0", "workq-1", ..., the system's default stack size, no hooks,
 * malloc and free.
 *
 * Returns 0 with the object in *attrp.
 * Returns ENOMEM if memory cannot be allocated.
 *
 * Pair with workq_pool_attr_destroy().
 * Since: 0.3
 */
WORKQ_API WORKQ_NODISCARD int
workq_pool_attr_create(workq_pool_attr_t **attrp);

/*
 * Frees an attribute object.  Pools started with it are unaffected.
 *
 * Returns 0 on success.
 *
 * Since: 0.3
 */
WORKQ_API int workq_pool_attr_destroy(workq_pool_attr_t *attr);

/*
 * Names the workers prefix + index ("io-0", "io-1", ...), where the
 * system supports thread names.  The prefix is copied.  Linux allows
 * 15 bytes in a name, so a prefix has at most 11, which leaves room for
 * indexes up to 9999; a pool that would have a worker whose name does
 * not fit is refused by workq_pool_start_attr() and workq_pool_resize()
 * with EINVAL.  NULL restores the default names "workq-N".
 *
 * Returns 0 on success.
 * Returns EINVAL if prefix is empty or longer than 11 bytes.
 *
 * Since: 0.3
 */
WORKQ_API int workq_pool_attr_set_name(workq_pool_attr_t *attr,
                                       const char *prefix);

/*
 * Sets the stack size of the workers, in bytes.
 *
 * Returns 0 on success.
 * Returns EINVAL if bytes is below PTHREAD_STACK_MIN.  (A size the system refuses anyway makes the
 *   start or resize return EINVAL, having started nothing.)
 *
 * Since: 0.3
 */
WORKQ_API int workq_pool_attr_set_stack_size(workq_pool_attr_t *attr,
                                             size_t bytes);

/*
 * Sets per-worker hooks, called in the worker's own thread with its
 * index and `arg`: on_start before its first item, on_stop after its
 * last, whether it leaves because the queue closed or because
 * workq_pool_resize() made the pool smaller.  Either may be NULL.  A
 * worker of a start or resize that failed runs neither; a worker whose
 * fn ends its thread (pthread_exit, cancellation) does not run on_stop.
 * A hook may call workq functions on the pool's queue, but workq_join
 * there returns EDEADLK and workq_pool_join EDEADLK.
 *
 * Returns 0 on success.
 *
 * Since: 0.3
 */
WORKQ_API int
workq_pool_attr_set_hooks(workq_pool_attr_t *attr,
                          void (*on_start)(size_t index, void *arg),
                          void (*on_stop)(size_t index, void *arg),
                          void *arg);

/*
 * Sets the allocator for the memory that workq_pool_start_attr() and
 * workq_pool_resize() allocate (the pool and its worker records):
 * alloc(size, ctx) returns size bytes suitably aligned for any object,
 * or NULL; release(ptr, ctx) frees what alloc returned.  Every block is
 * released by the time workq_pool_join() returns 0, or by the failed
 * call that allocated it.  Both NULL restore malloc and free.  They may
 * be called from any thread that calls the pool functions.
 *
 * Returns 0 on success.
 * Returns EINVAL if exactly one of alloc and release is NULL.
 *
 * Since: 0.3
 */
WORKQ_API int
workq_pool_attr_set_allocator(workq_pool_attr_t *attr,
                              void *(*alloc)(size_t size, void *ctx),
                              void (*release)(void *ptr, void *ctx),
                              void *ctx);

/* ------------------------------------------------------------------ */
/* Pools with attributes, task pools and resizing (0.3)                */
/* ------------------------------------------------------------------ */

/*
 * As workq_pool_start(), with attributes (NULL: the defaults), and with
 * fn allowed to be NULL: then the pool is a task pool, whose items are
 * workq_task_t pointers, each run as task->fn(task, arg).  A NULL item,
 * or a task whose fn is NULL, is finished without running anything.
 * The workers are numbered 0 .. nthreads-1; the number is their name's
 * suffix and the hooks' index.  attr is only read: it may be destroyed
 * once this returns.
 *
 * All or nothing, as workq_pool_start().
 *
 * Returns 0 with the pool in *poolp.
 * Returns EINVAL if nthreads is 0, a worker's name
 *   would not fit (see workq_pool_attr_set_name), or the system refuses
 *   the stack size.
 * Returns EAGAIN if a thread cannot be created.
 * Returns ENOMEM if memory cannot be allocated.
 *
 * Pair with workq_pool_join().  q must stay alive until then.  The
 * pool keeps no pointer to attr.
 * Since: 0.3
 */
WORKQ_API WORKQ_NODISCARD int
workq_pool_start_attr(workq_pool_t **poolp, workq_t *q, size_t nthreads,
                      workq_item_fn *fn, void *arg,
                      const workq_pool_attr_t *attr);

/*
 * Changes the number of workers to nthreads.  Growing starts workers
 * nthreads_old .. nthreads-1, all or nothing, as workq_pool_start()
 * does.  Shrinking makes workers nthreads .. nthreads_old-1 leave: each
 * finishes the item it is running, if any, and never takes another; one
 * waiting in a get is woken and leaves without an item.  Items stay
 * queued for the workers that remain.  Returns once the leaving workers
 * have exited and been joined.
 *
 * Blocks while a shrink waits for the leaving workers to finish their
 * items; not a cancellation point.  May be called from one of the
 * pool's own workers (see EDEADLK); a second resize, or a resize while
 * workq_pool_join or workq_pool_timed_join is past its wait, gets
 * EBUSY.  On a closed queue new workers exit as soon as it is drained,
 * as they would in a new pool.  A worker whose fn ended its thread is
 * not replaced.
 *
 * Returns 0 once the pool has nthreads workers (or had, if the queue
 * is closed and drained).
 * Returns EINVAL if nthreads is 0 (a pool has at least one worker), or
 *   a worker's name would not fit.
 * Returns EDEADLK, changing nothing, when called from one of the pool's
 *   workers whose index is nthreads or more: it would have to wait for
 *   itself to leave.
 * Returns EBUSY, changing nothing, while another resize of the pool is
 *   under way, or its join is joining the workers.
 * Returns EAGAIN or ENOMEM, changing nothing, if growing cannot create
 *   a thread or allocate memory.
 *
 * Since: 0.3
 */
WORKQ_API int workq_pool_resize(workq_pool_t *pool, size_t nthreads);

/* ------------------------------------------------------------------ */
/* Error messages (0.3)                                                */
/* ------------------------------------------------------------------ */

/*
 * A short English message for err as a workq function means it:
 * WORKQ_CLOSED gives "queue closed", EDEADLK says the call would wait
 * for its own thread, and so on.  Other codes get the system's
 * description where it has a thread-safe one, else "unknown error".
 * Never blocks; thread-safe.
 *
 * Returns a static string, never NULL (borrowed: never free it).
 *
 * Since: 0.3
 */
WORKQ_API const char *workq_strerror(int err);

/* ------------------------------------------------------------------ */
/* Waiting on several queues (0.3)                                     */
/* ------------------------------------------------------------------ */

/* The operation of a select case. */
#define WORKQ_SELECT_GET 1
#define WORKQ_SELECT_PUT 2

/* Selects of up to this many cases allocate nothing. */
#define WORKQ_SELECT_INLINE 16

/*
 * One case of a select: a get from q, or a put of item into q.  A
 * public, fixed layout: fill it in directly.  A case whose q is NULL is
 * off: never chosen, so a case can be switched off (a queue whose work
 * is over, say) without reshaping the array, as a nil channel in Go.
 *
 * Since: 0.3
 */
typedef struct workq_select_case {
	workq_t *q;     /* the queue, or NULL: the case is off */
	int op;         /* WORKQ_SELECT_GET or WORKQ_SELECT_PUT */
	void *item;     /* PUT: the item to put (never WORKQ_DONE).  GET:
	                 * where the item got is stored, if this case is
	                 * chosen (WORKQ_DONE if its queue was closed and
	                 * drained); untouched otherwise */
} workq_select_case_t;

/*
 * Waits until at least one of the n cases can proceed, performs exactly
 * one of them, as workq_try_get() or workq_try_put() would, and stores
 * its index in *chosen (chosen may be NULL).  A closed queue counts as
 * ready: a get from it that finds it drained, or a put into it, is
 * chosen and returns WORKQ_CLOSED.  The cases that were not chosen did
 * not happen: no item was taken from their queues, and their put items
 * are still the caller's.  The same queue may appear in several cases.
 *
 * Fairness: where several cases can proceed, the one performed is drawn
 * at random, equally likely, for every call, so no queue starves
 * (workq_select_biased() prefers earlier cases instead).  One exception:
 * a put into a capacity 0 queue is tried after every other case, since
 * it waits for the consumer it offers its item to.
 *
 * Capacity 0: a get case waits as a consumer in workq_get() does, so a
 * putter (or another select's put case) may hand its item over to the
 * select; a put case proceeds once a consumer is waiting in a get or in
 * another select's get case, and returns 0 only once that consumer took
 * the item.
 *
 * Blocks until a case can proceed; a cancellation point there only, and
 * a cancelled select performed no case.  Allocates nothing for up to
 * WORKQ_SELECT_INLINE cases.  workq_destroy() of a queue returns EBUSY
 * while a select waits on it.
 *
 * Returns 0: case *chosen was performed (a get's item is in its item
 *   field, now the caller's; a put's item now belongs to the queue).
 * Returns WORKQ_CLOSED: case *chosen's queue is closed (a get's item
 *   field holds WORKQ_DONE; a put's item is still the caller's).
 * Returns EINVAL if cases is NULL, n is 0, a case with a queue has an op
 *   other than WORKQ_SELECT_GET or WORKQ_SELECT_PUT or puts WORKQ_DONE,
 *   or no case has a queue; nothing is performed.
 * Returns ENOMEM if more than WORKQ_SELECT_INLINE cases must wait and
 *   memory for them cannot be had; nothing is performed.
 *
 * Since: 0.3
 */
WORKQ_API int workq_select(workq_select_case_t *cases, size_t n,
                           size_t *chosen);

/*
 * As workq_select(), but never waits: not a cancellation point (except
 * that a put into a capacity 0 queue waits, as workq_try_put() does, for
 * the consumer already waiting there to take the item).
 *
 * Returns EAGAIN if no case could proceed; otherwise as workq_select().
 *
 * Since: 0.3
 */
WORKQ_API int workq_try_select(workq_select_case_t *cases, size_t n,
                               size_t *chosen);

/*
 * As workq_select(), but waits at most *timeout (relative,
 * CLOCK_MONOTONIC; NULL waits forever; zero never waits).
 *
 * Returns ETIMEDOUT if no case could proceed for *timeout (never
 *   earlier); EINVAL also for an invalid *timeout; otherwise as
 *   workq_select().
 *
 * Since: 0.3
 */
WORKQ_API int workq_timed_select(workq_select_case_t *cases, size_t n,
                                 const struct timespec *timeout,
                                 size_t *chosen);

/*
 * As workq_select(), but where several cases can proceed, performs the
 * first of them in the array (puts into capacity 0 queues still last):
 * for a control queue that must win over work, as crossbeam's
 * select_biased!.  timeout: NULL waits forever, a zero interval is a try
 * (EAGAIN if no case could proceed), otherwise as workq_timed_select()
 * (ETIMEDOUT).
 *
 * Since: 0.3
 */
WORKQ_API int workq_select_biased(workq_select_case_t *cases, size_t n,
                                  const struct timespec *timeout,
                                  size_t *chosen);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_H */
