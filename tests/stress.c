/*
 * stress.c - randomised stress of every queue call, checked at the end.
 *
 * Usage: stress [--seconds S] [--seed N]
 *
 * Runs rounds until S seconds (default 1) have passed.  Each round makes
 * 1 to 3 queues of random capacities (0, a rendezvous, included) and
 * starts random numbers of producers and consumers that use a random mix
 * of every put and get variant (blocking, try, timed, batch, and selects
 * over all the queues), while the main thread may close or discard
 * midway, or wait for the producers and close, or join.  Items are
 * tagged (producer, sequence).  At the end of a round:
 *   - every item whose put was accepted was received or discarded exactly
 *     once, and no other item was;
 *   - each consumer saw each producer's items through each queue in
 *     increasing order;
 *   - workq_join returns, workq_destroy returns 0: nobody is left inside.
 * A watchdog ends a round that hangs.  Any failure prints the seed, which
 * replays the same choices (the interleaving is the OS's, of course).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <workq.h>

#define MAX_PRODUCERS 6
#define MAX_CONSUMERS 6
#define MAX_ITEMS 4000          /* per producer per round */
#define BATCH 8
#define MAX_QUEUES 3

static uint64_t seed;
static unsigned long round_no;

static void fail(const char *what)
{
	fprintf(stderr, "stress: FAILED in round %lu: %s\n"
	        "stress: replay with --seed %" PRIu64 "\n", round_no, what,
	        seed);
	exit(1);
}

/* xorshift64*: small, fast, and good enough to pick operations. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned pick(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

/* An item is sequence * MAX_PRODUCERS + producer + 1: never NULL, and
 * below 2^15 (MAX_ITEMS * MAX_PRODUCERS), so it fits a pointer of any
 * width. */
static void *tag(unsigned p, unsigned seq)
{
	return (void *)((uintptr_t)seq * MAX_PRODUCERS + p + 1);
}

static void untag(void *item, unsigned *p, unsigned *seq)
{
	uintptr_t v = (uintptr_t)item - 1;

	*p = (unsigned)(v % MAX_PRODUCERS);
	*seq = (unsigned)(v / MAX_PRODUCERS);
}

struct round {
	workq_t *q[MAX_QUEUES];
	unsigned nq;
	unsigned nprod, ncons, nitems;
	/* How many times each item was received or discarded. */
	unsigned char seen[MAX_PRODUCERS][MAX_ITEMS];
	unsigned accepted[MAX_PRODUCERS];   /* written by producer p */
	const char *error;                  /* first failure, any thread */
};

struct actor {
	struct round *r;
	unsigned id;
	uint64_t rng;
	/* Consumers: last seq + 1 seen per queue and producer. */
	unsigned last[MAX_QUEUES][MAX_PRODUCERS];
};

static void note(struct round *r, const char *what)
{
	const char *none = NULL;

	__atomic_compare_exchange_n(&r->error, &none, what, 0,
	                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void count(struct round *r, void *item)
{
	unsigned p, seq;

	untag(item, &p, &seq);
	if (p >= r->nprod || seq >= r->nitems) {
		note(r, "received an item nobody put");
		return;
	}
	if (__atomic_add_fetch(&r->seen[p][seq], 1, __ATOMIC_RELAXED) != 1)
		note(r, "an item was delivered twice");
}

/* Puts one item, or a batch starting with it, by a random variant.
 * Returns how many were accepted, and sets *closed on WORKQ_CLOSED. */
/* A select's cases: one per queue, gets or puts of item. */
static void cases(struct round *r, workq_select_case_t *c, int op,
                  void *item)
{
	unsigned k;

	for (k = 0; k < r->nq; k++) {
		c[k].q = r->q[k];
		c[k].op = op;
		c[k].item = item;
	}
}

/* A select of a random form.  Returns what it returned. */
static int select_some(struct actor *a, workq_select_case_t *c,
                       size_t *chosen)
{
	struct round *r = a->r;
	struct timespec ts = { 0, (long)pick(&a->rng, 200000) };

	switch (pick(&a->rng, 4)) {
	case 0:
		return workq_select(c, r->nq, chosen);
	case 1:
		return workq_try_select(c, r->nq, chosen);
	case 2:
		return workq_timed_select(c, r->nq, &ts, chosen);
	default:
		return workq_select_biased(c, r->nq, &ts, chosen);
	}
}

static unsigned put_some(struct actor *a, unsigned seq, int *closed)
{
	struct round *r = a->r;
	workq_t *q = r->q[pick(&a->rng, r->nq)];
	workq_select_case_t c[MAX_QUEUES];
	void *batch[BATCH];
	struct timespec ts = { 0, (long)pick(&a->rng, 200000) };
	size_t n = 0, i;
	int err;

	switch (pick(&a->rng, 5)) {
	case 0:
		err = workq_put(q, tag(a->id, seq));
		break;
	case 1:
		err = workq_try_put(q, tag(a->id, seq));
		break;
	case 2:
		err = workq_timed_put(q, tag(a->id, seq), &ts);
		break;
	case 3:
		cases(r, c, WORKQ_SELECT_PUT, tag(a->id, seq));
		err = select_some(a, c, &i);
		break;
	default:
		n = 1 + pick(&a->rng, BATCH);
		if (n > r->nitems - seq)
			n = r->nitems - seq;
		for (i = 0; i < n; i++)
			batch[i] = tag(a->id, seq + (unsigned)i);
		err = workq_put_many(q, batch, n, &i);
		if ((err == 0 && i != n) || (err != 0 && i >= n))
			note(r, "put_many: *nput disagrees with its result");
		*closed = err == WORKQ_CLOSED;
		if (err != 0 && err != WORKQ_CLOSED)
			note(r, "put_many: unexpected error");
		return (unsigned)i;
	}
	*closed = err == WORKQ_CLOSED;
	if (err != 0 && err != WORKQ_CLOSED && err != EAGAIN &&
	    err != ETIMEDOUT)
		note(r, "put: unexpected error");
	return err == 0;
}

static void *producer(void *arg)
{
	struct actor *a = arg;
	struct round *r = a->r;
	unsigned seq = 0;
	int closed = 0;

	while (seq < r->nitems && !closed) {
		seq += put_some(a, seq, &closed);
		if (pick(&a->rng, 64) == 0)
			sched_yield();
	}
	r->accepted[a->id] = seq;
	return NULL;
}

/* Checks and counts one item received from queue k. */
static void take(struct actor *a, unsigned k, void *item)
{
	struct round *r = a->r;
	unsigned p, seq;

	untag(item, &p, &seq);
	if (p < r->nprod && seq < a->last[k][p])
		note(r, "a producer's items arrived out of order");
	if (p < r->nprod)
		a->last[k][p] = seq + 1;
	count(r, item);
	if (workq_task_done(r->q[k]) != 0)
		note(r, "task_done failed for a received item");
}

/*
 * Gets by a random variant, from a random queue of those not over yet
 * (a select: from any of them, the others' cases off).  Sets over[k]
 * once queue k said WORKQ_CLOSED.
 */
static void get_some(struct actor *a, int *over)
{
	struct round *r = a->r;
	unsigned k = pick(&a->rng, r->nq);
	workq_select_case_t c[MAX_QUEUES];
	void *items[BATCH];
	struct timespec ts = { 0, (long)pick(&a->rng, 200000) };
	size_t n = 0, i;
	void *item = NULL;
	int err;

	unsigned how = pick(&a->rng, 5);

	while (over[k])
		k = (k + 1) % r->nq;
	/* Waiting on one queue of several could wait for ever: every
	 * producer may be waiting to put into another.  A select waits on
	 * all of them. */
	if (r->nq > 1 && (how == 0 || how == 4))
		how = 3;
	switch (how) {
	case 0:
		err = workq_get(r->q[k], &item);
		break;
	case 1:
		err = workq_try_get(r->q[k], &item);
		break;
	case 2:
		err = workq_timed_get(r->q[k], &item, &ts);
		break;
	case 3:
		cases(r, c, WORKQ_SELECT_GET, NULL);
		for (i = 0; i < r->nq; i++)
			if (over[i])
				c[i].q = NULL;
		err = select_some(a, c, &n);
		if (err == 0 || err == WORKQ_CLOSED) {
			k = (unsigned)n;
			item = c[k].item;
		}
		break;
	default:
		err = workq_get_many(r->q[k], items, 1 + pick(&a->rng, BATCH),
		                     &n);
		if ((err == 0) != (n > 0))
			note(r, "get_many: *ngot disagrees with its result");
		for (i = 0; i < n; i++)
			take(a, k, items[i]);
		over[k] = err == WORKQ_CLOSED;
		return;
	}
	if (err == 0)
		take(a, k, item);
	else if (err == WORKQ_CLOSED && item != WORKQ_DONE)
		note(r, "closed get did not hand out WORKQ_DONE");
	else if (err != WORKQ_CLOSED && err != EAGAIN && err != ETIMEDOUT)
		note(r, "get: unexpected error");
	over[k] = err == WORKQ_CLOSED;
}

static void *consumer(void *arg)
{
	struct actor *a = arg;
	int over[MAX_QUEUES] = { 0 };
	unsigned k, left = a->r->nq;

	while (left > 0) {
		get_some(a, over);
		for (left = 0, k = 0; k < a->r->nq; k++)
			left += !over[k];
	}
	/* The seed program's protocol: pass the sentinel on. */
	for (k = 0; k < a->r->nq; k++)
		if (workq_put(a->r->q[k], WORKQ_DONE) != 0)
			note(a->r, "re-posting WORKQ_DONE failed");
	return NULL;
}

static void discarded(void *item, void *arg)
{
	count(arg, item);
}

/* Ends the round the way this round's dice say. */
static void finish(struct round *r, uint64_t *rng, pthread_t *prod)
{
	unsigned i, k;

	switch (pick(rng, 3)) {
	case 0:         /* close early: producers see WORKQ_CLOSED */
		usleep(pick(rng, 3000));
		for (k = 0; k < r->nq; k++)
			workq_close(r->q[k]);
		break;
	case 1:         /* discard early: the rest is handed back */
		usleep(pick(rng, 3000));
		for (k = 0; k < r->nq; k++)
			workq_discard(r->q[k], discarded, r);
		break;
	default:        /* let producers finish, then close */
		for (i = 0; i < r->nprod; i++)
			pthread_join(prod[i], NULL);
		for (k = 0; k < r->nq; k++)
			workq_put(r->q[k], WORKQ_DONE);
		return;
	}
	for (i = 0; i < r->nprod; i++)
		pthread_join(prod[i], NULL);
}

static void verify(struct round *r)
{
	unsigned p, s;

	if (r->error != NULL)
		fail(r->error);
	for (p = 0; p < r->nprod; p++)
		for (s = 0; s < r->nitems; s++)
			if (r->seen[p][s] != (s < r->accepted[p]))
				fail(s < r->accepted[p]
				     ? "an accepted item was lost"
				     : "an item whose put failed was delivered");
	for (p = 0; p < r->nq; p++) {
		if (workq_size(r->q[p]) != 0)
			fail("items left in a queue after the round");
		if (workq_join(r->q[p]) != 0)
			fail("join failed");
		if (workq_destroy(r->q[p]) != 0)
			fail("destroy refused after every thread was "
			     "joined");
	}
}

static void run_round(uint64_t *rng, unsigned long *moved)
{
	static const size_t caps[] = { 0, 1, 2, 3, 7, 64 };
	static struct round r;
	struct actor prod[MAX_PRODUCERS], cons[MAX_CONSUMERS];
	pthread_t pt[MAX_PRODUCERS], ct[MAX_CONSUMERS];
	unsigned i;

	memset(&r, 0, sizeof(r));
	r.nprod = 1 + pick(rng, MAX_PRODUCERS);
	r.ncons = 1 + pick(rng, MAX_CONSUMERS);
	r.nitems = 1 + pick(rng, MAX_ITEMS);
	r.nq = 1 + pick(rng, MAX_QUEUES);
	for (i = 0; i < r.nq; i++)
		if (workq_create(&r.q[i], caps[pick(rng, 6)]) != 0)
			fail("create failed");
	for (i = 0; i < r.ncons; i++) {
		memset(&cons[i], 0, sizeof(cons[i]));
		cons[i].r = &r;
		cons[i].id = i;
		cons[i].rng = rnd(rng) | 1;
		pthread_create(&ct[i], NULL, consumer, &cons[i]);
	}
	for (i = 0; i < r.nprod; i++) {
		memset(&prod[i], 0, sizeof(prod[i]));
		prod[i].r = &r;
		prod[i].id = i;
		prod[i].rng = rnd(rng) | 1;
		pthread_create(&pt[i], NULL, producer, &prod[i]);
	}
	finish(&r, rng, pt);
	for (i = 0; i < r.ncons; i++)
		pthread_join(ct[i], NULL);
	for (i = 0; i < r.nprod; i++)
		*moved += r.accepted[i];
	verify(&r);
}

static void on_alarm(int sig)
{
	static const char msg[] = "stress: FAILED: a round hung (watchdog)\n";
	char buf[64];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf), "stress: replay with --seed %" PRIu64
	             "\n", seed);
	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, buf, (size_t)n);
	_exit(1);
}

int main(int argc, char **argv)
{
	double seconds = 1.0;
	struct timespec t0, t;
	unsigned long moved = 0;
	uint64_t rng;
	int i;

	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	if (getenv("STRESS_SECONDS") != NULL)
		seconds = atof(getenv("STRESS_SECONDS"));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--seconds S] [--seed N]\n",
			        argv[0]);
			return 2;
		}
	}
	printf("stress: seed %" PRIu64 ", %.1f s\n", seed, seconds);
	fflush(stdout);
	rng = seed | 1;
	signal(SIGALRM, on_alarm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		round_no++;
		alarm(60);      /* a round takes milliseconds; sanitizers, more */
		run_round(&rng, &moved);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) +
	         (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	alarm(0);
	printf("stress: %lu rounds, %lu items accepted, all delivered or "
	       "discarded exactly once, in order\n", round_no, moved);
	return 0;
}
