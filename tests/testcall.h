/*
 * testcall.h - one workq call run in its own thread, for the Check
 * programs that need a thread blocked inside a call: a get on an empty
 * queue, a put on a full one, a join, a discard whose fn waits.
 *
 *	struct call c;
 *
 *	call_init(&c, q, OP_GET, UNTOUCHED);
 *	(set c.n, c.items[], c.ts or c.timeout here where the op needs them)
 *	call_start_blocked(&c);
 *	... release it: put an item, close, discard ...
 *	ck_assert_int_eq(call_finish(&c), 0);
 *	ck_assert_ptr_eq(c.item, tu_item(1));
 *
 * The call's thread never asserts (testutil.h's rule): it records what
 * came of the call in the struct, and the test checks it after
 * call_finish() has joined the thread.
 */
#ifndef WORKQ_TESTCALL_H
#define WORKQ_TESTCALL_H

#include "testutil.h"

#include <semaphore.h>

enum op {
	OP_GET, OP_TIMED_GET, OP_GET_MANY,
	OP_PUT, OP_TIMED_PUT, OP_PUT_MANY,
	OP_JOIN, OP_DISCARD
};

enum { CALL_MAX_ITEMS = 16 };

struct call {
	workq_t *q;
	enum op op;
	void *item;                     /* put: the item; get: what came */
	const struct timespec *timeout; /* timed calls: &ts (default) or NULL */
	struct timespec ts;             /* 60 s unless the test sets it */
	void *items[CALL_MAX_ITEMS];    /* put_many / get_many; UNTOUCHED */
	size_t n;                       /* put_many: count; get_many: max */
	size_t moved;                   /* *nput / *ngot; 99 until written */
	int err;                        /* what the call returned; -1 before */
	int64_t elapsed_ns;             /* how long the call took */
	pid_t tid;
	sem_t started;                  /* posted just before the call */
	sem_t finished;                 /* posted once it has returned */
	sem_t *notify;                  /* posted after finished, if not NULL */
	pthread_t thread;
	/* OP_DISCARD: for each item, fn posts in_fn, then waits for go. */
	sem_t in_fn;
	sem_t go;
	size_t nfn;                     /* items fn was handed */
};

static inline void call_discard_fn(void *item, void *arg)
{
	struct call *c = arg;

	(void)item;
	c->nfn++;
	sem_post(&c->in_fn);
	while (sem_wait(&c->go) != 0)
		;
}

static inline void *call_main(void *arg)
{
	struct call *c = arg;
	int64_t t0;

	c->tid = tu_gettid();
	sem_post(&c->started);
	t0 = tu_now_ns();
	switch (c->op) {
	case OP_GET:
		c->err = workq_get(c->q, &c->item);
		break;
	case OP_TIMED_GET:
		c->err = workq_timed_get(c->q, &c->item, c->timeout);
		break;
	case OP_GET_MANY:
		c->err = workq_get_many(c->q, c->items, c->n, &c->moved);
		break;
	case OP_PUT:
		c->err = workq_put(c->q, c->item);
		break;
	case OP_TIMED_PUT:
		c->err = workq_timed_put(c->q, c->item, c->timeout);
		break;
	case OP_PUT_MANY:
		c->err = workq_put_many(c->q, c->items, c->n, &c->moved);
		break;
	case OP_JOIN:
		c->err = workq_join(c->q);
		break;
	case OP_DISCARD:
		c->err = workq_discard(c->q, call_discard_fn, c);
		break;
	}
	c->elapsed_ns = tu_now_ns() - t0;
	sem_post(&c->finished);
	if (c->notify != NULL)
		sem_post(c->notify);
	return NULL;
}

/* Sets up call `op` on q with `item` (put: the item; get: what its slot
 * starts as); the caller fills in n, items[], ts or timeout after this,
 * where the op needs them.  Timed calls wait 60 s unless told otherwise. */
static inline void call_init(struct call *c, workq_t *q, enum op op,
                             void *item)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->q = q;
	c->op = op;
	c->item = item;
	c->ts = tu_ts(60, 0);
	c->timeout = &c->ts;
	for (i = 0; i < CALL_MAX_ITEMS; i++)
		c->items[i] = UNTOUCHED;
	c->moved = 99;
	c->err = -1;
	sem_init(&c->started, 0, 0);
	sem_init(&c->finished, 0, 0);
	sem_init(&c->in_fn, 0, 0);
	sem_init(&c->go, 0, 0);
}

/* Starts the call's thread and returns once it is about to make it. */
static inline void call_start(struct call *c)
{
	c->thread = tu_spawn(call_main, c);
	while (sem_wait(&c->started) != 0)
		;
}

/* Starts the call and returns once its thread sleeps inside it. */
static inline void call_start_blocked(struct call *c)
{
	call_start(c);
	tu_wait_blocked(c->tid);
}

/* Whether the call has returned by now; never waits. */
static inline int call_has_returned(struct call *c)
{
	if (sem_trywait(&c->finished) != 0)
		return 0;
	sem_post(&c->finished);
	return 1;
}

/* Whether the call has returned, after giving it `ms` milliseconds to
 * do so wrongly. */
static inline int call_returned_after(struct call *c, long ms)
{
	tu_sleep_ms(ms);
	return call_has_returned(c);
}

/* The same, with the usual pause of 50 ms. */
static inline int call_returned_after_pause(struct call *c)
{
	return call_returned_after(c, 50);
}

/* Joins the call's thread; returns what the call returned. */
static inline int call_finish(struct call *c)
{
	tu_join(c->thread);
	sem_destroy(&c->started);
	sem_destroy(&c->finished);
	sem_destroy(&c->in_fn);
	sem_destroy(&c->go);
	return c->err;
}

#endif /* WORKQ_TESTCALL_H */
