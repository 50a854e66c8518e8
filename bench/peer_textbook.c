/*
 * peer_textbook.c - the bounded buffer everybody writes by hand, as the
 * textbooks give it (Butenhof, "Programming with POSIX Threads"; OSTEP,
 * "Condition Variables"): one mutex, a ring, and two condition
 * variables, not_empty and not_full, each signalled after every put or
 * get whether anybody sleeps on it or not.  It has no close, so shutdown
 * posts one sentinel per consumer.  The batch calls are the obvious
 * extension: copy what fits under one lock, then wake the other side.
 * Capacity 0, a rendezvous, is the textbook's too: one slot, and a put
 * that then waits on a third condition variable until its item is
 * taken (tickets: the n-th item placed is taken once `taken` >= n).
 *
 * It is the baseline workq has to beat to be worth a dependency.  Lock
 * and condvar errors are ignored, as in the textbooks.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "peers.h"

struct tb {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	size_t cap;
	size_t head;    /* slot of the oldest item */
	size_t len;     /* items queued */
	/* Capacity 0 only: */
	int rendezvous;
	pthread_cond_t was_taken;
	unsigned long long placed;      /* items ever put in the slot */
	unsigned long long taken;       /* of those, taken by a get */
	void *slot[];
};

static void *tb_create(size_t cap)
{
	int rendezvous = cap == 0;
	struct tb *q;

	if (rendezvous)
		cap = 1;
	q = malloc(sizeof(*q) + cap * sizeof(void *));
	if (q == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->was_taken, NULL);
	q->cap = cap;
	q->head = q->len = 0;
	q->rendezvous = rendezvous;
	q->placed = q->taken = 0;
	return q;
}

static void tb_destroy(void *qq)
{
	struct tb *q = qq;

	pthread_cond_destroy(&q->was_taken);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static int tb_put(void *qq, void *item)
{
	struct tb *q = qq;

	pthread_mutex_lock(&q->mu);
	while (q->len == q->cap)
		pthread_cond_wait(&q->not_full, &q->mu);
	q->slot[(q->head + q->len) % q->cap] = item;
	q->len++;
	pthread_cond_signal(&q->not_empty);
	if (q->rendezvous) {
		unsigned long long ticket = ++q->placed;

		while (q->taken < ticket)
			pthread_cond_wait(&q->was_taken, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Called with q->mu held and an item queued. */
static void *take(struct tb *q)
{
	void *item = q->slot[q->head];

	q->head = (q->head + 1) % q->cap;
	q->len--;
	if (q->rendezvous) {
		/* Two putters may wait: one taken, not yet up, and the next. */
		q->taken++;
		pthread_cond_broadcast(&q->was_taken);
	}
	return item;
}

static int tb_get(void *qq, void **itemp)
{
	struct tb *q = qq;
	void *item;

	pthread_mutex_lock(&q->mu);
	while (q->len == 0)
		pthread_cond_wait(&q->not_empty, &q->mu);
	item = take(q);
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	if (item == PEER_SENTINEL)
		return PEER_DONE;
	*itemp = item;
	return 0;
}

static int tb_put_many(void *qq, void *const *items, size_t n)
{
	struct tb *q = qq;
	size_t done = 0;

	if (q->rendezvous) {    /* each item handed over before the next */
		for (; done < n; done++)
			tb_put(q, items[done]);
		return 0;
	}
	pthread_mutex_lock(&q->mu);
	while (done < n) {
		size_t k;

		while (q->len == q->cap)
			pthread_cond_wait(&q->not_full, &q->mu);
		for (k = 0; done < n && q->len < q->cap; k++, done++) {
			q->slot[(q->head + q->len) % q->cap] = items[done];
			q->len++;
		}
		if (k > 1)
			pthread_cond_broadcast(&q->not_empty);
		else
			pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Takes items up to, not including, a sentinel: each consumer must take
 * exactly one sentinel, and only when it has nothing else to return. */
static int tb_get_many(void *qq, void **items, size_t max, size_t *ngot)
{
	struct tb *q = qq;
	size_t k = 0;
	int done = 0;

	pthread_mutex_lock(&q->mu);
	while (q->len == 0)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->slot[q->head] == PEER_SENTINEL) {
		take(q);
		done = 1;
		k = 1;          /* one slot freed */
	} else {
		while (k < max && q->len > 0 &&
		       q->slot[q->head] != PEER_SENTINEL)
			items[k++] = take(q);
	}
	if (k > 1)
		pthread_cond_broadcast(&q->not_full);
	else
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	*ngot = done ? 0 : k;
	return done ? PEER_DONE : 0;
}

static void tb_shutdown(void *q, unsigned nconsumers)
{
	while (nconsumers-- > 0)
		tb_put(q, PEER_SENTINEL);
}

static int tb_end_check(void *qq, uint64_t nput, char *why, size_t len)
{
	struct tb *q = qq;
	size_t left;

	(void)nput;
	pthread_mutex_lock(&q->mu);
	left = q->len;
	pthread_mutex_unlock(&q->mu);
	if (left == 0)
		return 0;
	snprintf(why, len, "%zu items or sentinels left", left);
	return -1;
}

const struct peer peer_textbook = {
	.name = "textbook",
	.about = "bench/peer_textbook.c: mutex + not_empty/not_full, "
	         "signal on every put/get; sentinel shutdown",
	.create = tb_create,
	.destroy = tb_destroy,
	.put = tb_put,
	.get = tb_get,
	.put_many = tb_put_many,
	.get_many = tb_get_many,
	.shutdown = tb_shutdown,
	.end_check = tb_end_check,
	.version = NULL,
	.bounded = 1,
	.allocs_hidden = 0,
	.rendezvous = 1,
};
