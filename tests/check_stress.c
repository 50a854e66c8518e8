/*
 * check_stress.c - many producers and consumers on one queue: every
 * accepted item is received exactly once, each producer's items arrive
 * in order at every consumer, with blocking, try, timed and batch calls
 * mixed, for capacities 0 (a rendezvous), 1, 2, 64 and 1024; and, with
 * a close fired by a random thread midway, the items received are
 * exactly those whose put returned 0.
 *
 * Items carry (producer, sequence) in the pointer value.  Threads never
 * assert: each records its counts and first failure in its own struct;
 * the per-item counters are atomic; the test's thread checks all after
 * joining.  The seed comes from WORKQ_TEST_SEED, else from the clock,
 * and is printed with every failure.
 */
#include "testutil.h"

#include <sched.h>
#include <stdatomic.h>

#define NPROD 4
#define NCONS 4
#define BATCH 16

/* (producer, seq) <-> pointer.  Any pointer but WORKQ_DONE is a valid
 * item; the test checks that none of its values collides with it. */
#define SEQ_BITS (UINTPTR_MAX > 0xffffffffu ? 32 : 20)
#define SEQ_MASK (((uintptr_t)1 << SEQ_BITS) - 1)

static void *encode(unsigned p, unsigned long seq)
{
	return (void *)((((uintptr_t)p << SEQ_BITS) | (uintptr_t)seq) + 1);
}

static void decode(const void *item, unsigned *p, unsigned long *seq)
{
	uintptr_t v = (uintptr_t)item - 1;

	*p = (unsigned)(v >> SEQ_BITS);
	*seq = (unsigned long)(v & SEQ_MASK);
}

static unsigned long test_seed;

static unsigned long get_seed(void)
{
	const char *s = getenv("WORKQ_TEST_SEED");

	if (s != NULL && *s != '\0')
		return strtoul(s, NULL, 0);
	return (unsigned long)time(NULL) ^ (unsigned long)getpid();
}

/* A tu_rnd() state, one per thread, seeded from the test seed. */
static uint64_t rnd_init(unsigned long seed, unsigned salt)
{
	uint64_t s = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + salt + 1;

	return s != 0 ? s : 1;
}

enum pmode { P_PUT, P_TRY, P_TIMED, P_MANY, P_NMODES };
enum cmode { C_GET, C_TRY, C_TIMED, C_MANY, C_NMODES };

struct run;

struct producer {
	struct run *run;
	unsigned id;
	enum pmode mode;
	uint64_t rng;
	long close_at;           /* close after this many puts; -1 never */
	/* Results. */
	unsigned long accepted;  /* items 0..accepted-1 were taken */
	int closed_seen;         /* a put returned WORKQ_CLOSED */
	int bad_err;             /* an unexpected return code, or 0 */
};

struct consumer {
	struct run *run;
	unsigned id;
	enum cmode mode;
	uint64_t rng;
	long close_at;           /* close after this many items; -1 never */
	/* Results. */
	unsigned long received;
	long last[NPROD];        /* last seq seen per producer */
	int order_bad;           /* a producer's seq did not increase */
	int bogus;               /* an undecodable item */
	int done_bad;            /* CLOSED without WORKQ_DONE / ngot 0 */
	int bad_err;
};

struct run {
	workq_t *q;
	unsigned long k;         /* items per producer */
	atomic_int *counts;      /* NPROD * k receive counters */
	pthread_barrier_t go;
	int mixed;               /* vary the call variants */
	int closing;             /* a thread closes midway */
	struct producer prod[NPROD];
	struct consumer cons[NCONS];
};

static void do_close(struct run *r, uint64_t *rng)
{
	/* Putting the sentinel is the same as closing. */
	if (tu_rnd(rng) & 1)
		(void)workq_close(r->q);
	else
		(void)workq_put(r->q, WORKQ_DONE);
}

/* A short timeout: zero (never wait) one time in four, else up to 2 ms. */
static void short_timeout(uint64_t *rng, struct timespec *ts)
{
	long ns = (tu_rnd(rng) % 4 == 0) ? 0 : (long)(tu_rnd(rng) % 2000000);

	*ts = tu_ts(0, ns);
}

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	struct run *r = pr->run;
	void *batch[BATCH];
	unsigned long seq = 0;
	struct timespec ts;
	enum pmode mode;
	int err = 0;

	pthread_barrier_wait(&r->go);
	while (seq < r->k) {
		if (pr->close_at >= 0 && (long)seq >= pr->close_at) {
			do_close(r, &pr->rng);
			pr->close_at = -1;
		}
		mode = r->mixed ? pr->mode : P_PUT;
		if (r->mixed && tu_rnd(&pr->rng) % 8 == 0)
			mode = (enum pmode)(tu_rnd(&pr->rng) % P_NMODES);
		switch (mode) {
		case P_PUT:
			err = workq_put(r->q, encode(pr->id, seq));
			break;
		case P_TRY:
			err = workq_try_put(r->q, encode(pr->id, seq));
			if (err == EAGAIN) {
				sched_yield();
				continue;
			}
			break;
		case P_TIMED:
			short_timeout(&pr->rng, &ts);
			err = workq_timed_put(r->q, encode(pr->id, seq), &ts);
			if (err == ETIMEDOUT) {
				sched_yield();
				continue;
			}
			break;
		case P_MANY: {
			size_t n, i, nput;

			n = 1 + (size_t)(tu_rnd(&pr->rng) % BATCH);
			if (n > r->k - seq)
				n = (size_t)(r->k - seq);
			for (i = 0; i < n; i++)
				batch[i] = encode(pr->id, seq + i);
			nput = (size_t)-1;
			err = workq_put_many(r->q, batch, n, &nput);
			if (nput > n) {
				pr->bad_err = -1;
				goto out;
			}
			if (err == 0 && nput != n) {
				pr->bad_err = -2;
				goto out;
			}
			seq += nput;
			if (err == 0)
				continue;
			break;
		}
		default:
			break;
		}
		if (err == WORKQ_CLOSED) {
			pr->closed_seen = 1;
			break;
		}
		if (err != 0) {
			pr->bad_err = err;
			break;
		}
		if (mode != P_MANY)
			seq++;
	}
out:
	pr->accepted = seq;
	return NULL;
}

/* Records one received item. */
static void consume(struct consumer *c, void *item)
{
	struct run *r = c->run;
	unsigned p;
	unsigned long seq;

	decode(item, &p, &seq);
	if (item == WORKQ_DONE || p >= NPROD || seq >= r->k) {
		c->bogus++;
		return;
	}
	atomic_fetch_add(&r->counts[p * r->k + seq], 1);
	if ((long)seq <= c->last[p])
		c->order_bad++;
	c->last[p] = (long)seq;
	c->received++;
	if (c->close_at >= 0 && (long)c->received >= c->close_at) {
		do_close(r, &c->rng);
		c->close_at = -1;
	}
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	struct run *r = c->run;
	void *batch[BATCH];
	struct timespec ts;
	enum cmode mode;
	void *item;
	size_t i, ngot;
	int err;

	pthread_barrier_wait(&r->go);
	for (;;) {
		mode = r->mixed ? c->mode : C_GET;
		if (r->mixed && tu_rnd(&c->rng) % 8 == 0)
			mode = (enum cmode)(tu_rnd(&c->rng) % C_NMODES);
		item = NULL;
		switch (mode) {
		case C_TRY:
			err = workq_try_get(r->q, &item);
			if (err == EAGAIN) {
				sched_yield();
				continue;
			}
			break;
		case C_TIMED:
			short_timeout(&c->rng, &ts);
			err = workq_timed_get(r->q, &item, &ts);
			if (err == ETIMEDOUT) {
				sched_yield();
				continue;
			}
			break;
		case C_MANY: {
			size_t max = 1 + (size_t)(tu_rnd(&c->rng) % BATCH);

			ngot = (size_t)-1;
			err = workq_get_many(r->q, batch, max, &ngot);
			if (err == 0 && (ngot < 1 || ngot > max)) {
				c->bad_err = -1;
				return NULL;
			}
			if (err == WORKQ_CLOSED && ngot != 0)
				c->done_bad++;
			if (err == 0) {
				for (i = 0; i < ngot; i++)
					consume(c, batch[i]);
				continue;
			}
			item = WORKQ_DONE;      /* nothing else to check */
			break;
		}
		default:
			err = workq_get(r->q, &item);
			break;
		}
		if (err == WORKQ_CLOSED) {
			if (item != WORKQ_DONE)
				c->done_bad++;
			return NULL;
		}
		if (err != 0) {
			c->bad_err = err;
			return NULL;
		}
		consume(c, item);
	}
}

/*
 * One run: NPROD producers with k items each, NCONS consumers, on a
 * queue of `cap`.  With `closing`, one random thread closes midway.
 */
static void run_once(size_t cap, unsigned long k, int mixed, int closing,
                     unsigned long seed)
{
	struct run r;
	pthread_t tp[NPROD], tc[NCONS];
	uint64_t rng = rnd_init(seed, 1000);
	unsigned i, p;
	unsigned long s, total_recv = 0, total_acc = 0;
	void *it = NULL;

	/* No item of this run may be the sentinel. */
	decode(WORKQ_DONE, &p, &s);
	ck_assert_msg(p >= NPROD || s >= k,
	              "WORKQ_DONE %p collides with item (%u, %lu)", WORKQ_DONE,
	              p, s);

	memset(&r, 0, sizeof(r));
	r.q = tu_queue(cap);
	r.k = k;
	r.mixed = mixed;
	r.closing = closing;
	r.counts = calloc(NPROD * k, sizeof(*r.counts));
	ck_assert_ptr_nonnull(r.counts);
	ck_assert_int_eq(pthread_barrier_init(&r.go, NULL, NPROD + NCONS), 0);
	for (i = 0; i < NPROD; i++) {
		struct producer *pr = &r.prod[i];

		pr->run = &r;
		pr->id = i;
		pr->mode = (enum pmode)(i % P_NMODES);
		pr->rng = rnd_init(seed, i);
		pr->close_at = -1;
	}
	for (i = 0; i < NCONS; i++) {
		struct consumer *c = &r.cons[i];

		c->run = &r;
		c->id = i;
		c->mode = (enum cmode)(i % C_NMODES);
		c->rng = rnd_init(seed, 100 + i);
		c->close_at = -1;
		for (p = 0; p < NPROD; p++)
			c->last[p] = -1;
	}
	if (closing) {
		unsigned who = (unsigned)(tu_rnd(&rng) % (NPROD + NCONS));
		long at = (long)(tu_rnd(&rng) % k);

		if (who < NPROD)
			r.prod[who].close_at = at;
		else
			r.cons[who - NPROD].close_at = at;
	}
	for (i = 0; i < NCONS; i++)
		tc[i] = tu_spawn(consumer_main, &r.cons[i]);
	for (i = 0; i < NPROD; i++)
		tp[i] = tu_spawn(producer_main, &r.prod[i]);
	for (i = 0; i < NPROD; i++)
		tu_join(tp[i]);
	/* Every producer is done: close (again, maybe) to end the run. */
	ck_assert_int_eq(workq_close(r.q), 0);
	for (i = 0; i < NCONS; i++)
		tu_join(tc[i]);

	for (i = 0; i < NPROD; i++) {
		struct producer *pr = &r.prod[i];

		ck_assert_msg(pr->bad_err == 0,
		              "seed %lu: producer %u: unexpected return %d",
		              seed, i, pr->bad_err);
		if (!closing)
			ck_assert_msg(pr->accepted == k && !pr->closed_seen,
			              "seed %lu: producer %u put %lu of %lu",
			              seed, i, pr->accepted, k);
		total_acc += pr->accepted;
	}
	for (i = 0; i < NCONS; i++) {
		struct consumer *c = &r.cons[i];

		ck_assert_msg(c->bad_err == 0 && c->bogus == 0 &&
		                  c->done_bad == 0,
		              "seed %lu: consumer %u: err %d, bogus %d, "
		              "bad done %d", seed, i, c->bad_err, c->bogus,
		              c->done_bad);
		ck_assert_msg(c->order_bad == 0,
		              "seed %lu: consumer %u saw %d out-of-order items",
		              seed, i, c->order_bad);
		total_recv += c->received;
	}
	/* Exactly the accepted items, each once: received == accepted. */
	for (p = 0; p < NPROD; p++)
		for (s = 0; s < k; s++) {
			int want = s < r.prod[p].accepted ? 1 : 0;
			int got = atomic_load(&r.counts[p * k + s]);

			ck_assert_msg(got == want,
			              "seed %lu: cap %zu: item (%u, %lu) "
			              "received %d times, want %d (producer "
			              "accepted %lu)", seed, cap, p, s, got,
			              want, r.prod[p].accepted);
		}
	if (getenv("WORKQ_TEST_VERBOSE") != NULL)
		fprintf(stderr, "seed %lu cap %zu k %lu mixed %d closing %d: "
		        "accepted %lu received %lu\n", seed, cap, k, mixed,
		        closing, total_acc, total_recv);
	ck_assert_msg(total_recv == total_acc,
	              "seed %lu: received %lu, accepted %lu", seed, total_recv,
	              total_acc);
	ck_assert_uint_eq(workq_size(r.q), 0);
	ck_assert_int_eq(workq_try_get(r.q, &it), WORKQ_CLOSED);
	ck_assert_ptr_eq(it, WORKQ_DONE);
	ck_assert_int_eq(workq_destroy(r.q), 0);
	pthread_barrier_destroy(&r.go);
	free(r.counts);
}

static const size_t caps[] = { 0, 1, 2, 64, 1024 };
#define NCAPS ((int)(sizeof(caps) / sizeof(caps[0])))

static void setup(void)
{
	test_seed = get_seed();
}

START_TEST(mpmc_blocking_calls_exactly_once_in_producer_order)
{
	size_t cap = caps[_i];
	unsigned long k = (unsigned long)tu_scaled(10000);

	run_once(cap, k, 0, 0, test_seed + (unsigned long)_i);
}
END_TEST

START_TEST(mpmc_mixed_calls_exactly_once_in_producer_order)
{
	size_t cap = caps[_i];
	unsigned long k = (unsigned long)tu_scaled(10000);

	run_once(cap, k, 1, 0, test_seed + 10 + (unsigned long)_i);
}
END_TEST

START_TEST(mpmc_close_midway_received_equals_accepted)
{
	size_t cap = caps[_i];
	unsigned long k = (unsigned long)tu_scaled(5000);
	long rounds = tu_scaled(5), i;

	for (i = 0; i < rounds; i++)
		run_once(cap, k, (int)((i + _i) & 1), 1,
		         test_seed + 100 * (unsigned long)(_i + 1) +
		                 (unsigned long)i);
}
END_TEST

static Suite *stress_suite(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("mpmc");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc,
		mpmc_blocking_calls_exactly_once_in_producer_order, 0, NCAPS);
	tcase_add_loop_test(tc,
		mpmc_mixed_calls_exactly_once_in_producer_order, 0, NCAPS);
	tcase_add_loop_test(tc, mpmc_close_midway_received_equals_accepted, 0,
	                    NCAPS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(stress_suite());
}
