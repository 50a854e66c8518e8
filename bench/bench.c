/*
 * bench.c - workq's benchmark: throughput, batches, the pollfd path,
 * ping-pong latency and close latency, with workq and its peers (a
 * textbook condvar ring, GLib's GAsyncQueue, APR's apr_queue) measured
 * by the same code in the same program.  `make bench` builds and runs
 * it; `bench/bench --help` lists the options.
 *
 * Scenarios (rows)
 *   tput_PxC     P producer threads put N items in all, one per call; C
 *                consumer threads get until the queue is shut down and
 *                drained.  (P,C) in 1x1 2x2 4x4 1x4 4x1 16x16; capacity
 *                1, 64 and 1024; for 1x1 and 4x4 also capacity 0, a
 *                rendezvous (workq and the textbook ring: the peers
 *                that have one).  Value: million items per second.
 *   batch_PxC    the same with 64 items per put_many/get_many call
 *                (peers that have no batch call: "-").
 *   fd_PxC       workq only, 1x1 and 4x4 at capacity 1024: as tput, on a
 *                queue whose workq_pollfd was asked for, so every empty/
 *                non-empty transition writes the eventfd.
 *   fdpoll_PxC   as fd_PxC, but each consumer waits in poll() on the
 *                descriptor and then drains with workq_try_get until
 *                EAGAIN, as an event loop would.
 *   select_PxC   workq only, 1x1 at capacity 64 and 1024, 4x4 at 1024:
 *                as tput, but each consumer waits in workq_select on
 *                the queue and a second one that stays empty; each run
 *                is taken in turns with a plain one, as the fd rows are.
 *   pingpong     two threads bounce one item through two capacity-1
 *                queues; ns per round trip: the median of R runs'
 *                medians [min-max], and the median of their p99s.
 *   pingpong_fd  workq only: the same with both queues' pollfd asked for.
 *                Each fd run is taken in turns with a plain run of the
 *                same shape, and the last column compares the two.
 *   close_c16    16 consumers asleep in get on an empty queue (capacity
 *                64); us from the shutdown call (workq_close, the peer's
 *                close, or 16 sentinels) until all 16 are joined; median
 *                [min-max] of --close-reps fresh queues.
 *   bursty       one producer puts 20,000 items in bursts of 8, sleeping
 *                200 us (nanosleep) between bursts; two consumers;
 *                capacity 64.  The queue is idle most of the time, as a
 *                real program's job queue is, so this is what waiting
 *                costs.  Value: the process's CPU-seconds (user+sys,
 *                getrusage) per million items, LOWER is better, and
 *                beside it the runs' median wall time.  --items does not
 *                change it; each run is verified as the tput rows are.
 *
 * Conditions (--condition LIST, default quiet; all = every one)
 *   Every selected row runs again under each condition, and each gets
 *   its own table, headed by it and with it in every line; with more
 *   than one, a last table shows workq and its ratio per condition.
 *   quiet        the machine as it is.
 *   cpu1         the process pinned (sched_setaffinity) to the first
 *                CPU of its affinity mask; the mask is restored after.
 *   busy         a busy-loop process per CPU of the affinity mask
 *                (--hogs N to change), at normal priority, for the
 *                whole condition; killed and reaped after it, and at
 *                exit or on a signal (and by PR_SET_PDEATHSIG if the
 *                benchmark is killed outright).
 *   quota1       a CFS quota of one CPU's worth, like docker --cpus=1:
 *                a child cgroup with cpu.max "100000 100000" (v2) or
 *                cpu.cfs_quota_us = cpu.cfs_period_us = 100000 (v1);
 *                the process moves in, so its runs start inside, and
 *                moves back and removes the group after.  Where that is
 *                not allowed (not root, no cpu controller) it prints
 *                "quota1: skipped (reason)" and goes on.
 *   neighbour    as busy, but each hog in a session of its own (setsid):
 *                where the kernel groups tasks by session (autogroup,
 *                the default on most distributions), the CPUs are shared
 *                between the benchmark and the hogs as groups, as
 *                between two containers of equal weight, so the
 *                benchmark's threads share about half the CPUs while
 *                the affinity mask still shows them all.
 *   bench/conditions.c does the work.  The one-CPU rows are read
 *   against bench/floor's second line (a condvar hand-off on one CPU).
 *
 * Method
 *   Threads are created first and wait at a start gate; the clock, the
 *   CPU time (getrusage) and the allocation count are read as the gate
 *   opens and again once the last consumer is joined, so the span holds
 *   the shutdown and the drain but none of the driver's own set-up.
 *   Every run is verified: items received == items put, their sum, each
 *   producer's sequence strictly increasing at each consumer, every
 *   consumer ended with the done signal, and the queue ended empty
 *   (workq: closed, WORKQ_DONE forever, and its counters agree).
 *
 *   Every run (pilot and each repetition) is a forked child, and each
 *   starts from fresh library state.  The parent watches the items the
 *   consumers have received: a run that makes no progress for
 *   --stall-s, or is still going at a generous hard limit, is killed
 *   and reported STALLED, with the rate it reached, instead of hanging
 *   the benchmark.  The parent never starts a thread, so fork() is
 *   safe.  Pilots of N/100 items, then ten times more, until one lasts
 *   long enough to time, come first; where R runs of N items would take
 *   longer than --cell-s, N is scaled down (the cell is marked and the
 *   notes say so).
 *
 *   allocs/op: the program is linked with libworkq.a and
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (Makefile.am), so
 *   every call from our own objects passes through the counters below.
 *   GLib and APR are shared libraries whose internal calls --wrap
 *   cannot see: their column says n/a.
 *
 *   The file also builds against the 0.1 headers and library (the fd
 *   rows are then left out), which is how to check that a queue whose
 *   descriptor was never asked for runs as fast as in 0.1: build both,
 *   and run them in turns with --peers workq.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <workq.h>

#include "conditions.h"
#include "peers.h"

#if WORKQ_VERSION_HEX >= 0x000200
#define HAVE_POLLFD 1   /* built against 0.1 the fd rows are left out */
#endif

/* ------------------------------------------------------------------ */
/* Allocation counter                                                  */
/* ------------------------------------------------------------------ */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static atomic_ullong alloc_calls;

void *__wrap_malloc(size_t size)
{
	atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
	return __real_realloc(p, size);
}

/*
 * Whether the counter sees this program's malloc calls at all: if the
 * link lost --wrap, every count would be a reassuring 0.  Calls through
 * a volatile pointer, so that the compiler cannot drop the malloc/free
 * pair.
 */
static int counter_works(void)
{
	void *(*volatile get)(size_t) = malloc;
	unsigned long long before = atomic_load(&alloc_calls);
	void *p = get(16);

	free(p);
	return atomic_load(&alloc_calls) > before;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

static struct {
	uint64_t items;         /* per throughput run, before scaling */
	int reps;               /* runs per cell */
	double cell_s;          /* wall time one cell's runs may take */
	double pilot_s;         /* hard limit of a pilot run */
	double stall_s;         /* no progress this long: stalled */
	uint64_t trips;         /* ping-pong round trips */
	int close_reps;         /* close_c16 repetitions */
	const char *only;       /* comma separated row-name prefixes */
	const char *peers;      /* comma separated peer names */
	int counted;            /* the allocation counter works */
	unsigned conds;         /* 1 << enum condition, for each chosen */
	unsigned hogs;          /* busy: hog processes; 0: one per CPU */
} opt = {1000000, 5, 1.5, 10.0, 3.0, 50000, 20, NULL, NULL, 0,
         1u << COND_QUIET, 0};

/* A run's hard limit: this many times the pilot's estimate, and at
 * least LIMIT_MIN_S.  Runs on a 2-CPU VM vary tenfold from one to the
 * next (which thread the scheduler wakes where), so the limit is wide;
 * a queue that stops moving is caught by --stall-s much sooner. */
#define LIMIT_FACTOR 30
#define LIMIT_MIN_S 10.0
#define BATCH 64
#define CLOSE_THREADS 16
/* bursty: bursts of BURSTY_BURST items BURSTY_GAP_NS apart. */
#define BURSTY_ITEMS 20000
#define BURSTY_BURST 8
#define BURSTY_GAP_NS 200000L
#define BURSTY_CAP 64

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static void die(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) *
	               1e-6;
}

/* The clock, CPU time and allocation count at one instant. */
struct stamp {
	double t, cpu;
	unsigned long long allocs;
};

static void stamp(struct stamp *s)
{
	struct rusage ru;

	s->allocs = atomic_load(&alloc_calls);
	getrusage(RUSAGE_SELF, &ru);
	s->cpu = cpu_of(&ru);
	s->t = now_s();
}

/* ------------------------------------------------------------------ */
/* Scenarios                                                           */
/* ------------------------------------------------------------------ */

enum kind { TPUT, BATCHED, FD, FDPOLL, SELECT, PINGPONG, PINGPONG_FD, CLOSE,
	BURSTY };

struct row {
	char name[24];
	enum kind kind;
	unsigned P, C;
	size_t cap;
};

static int is_tput(enum kind k)
{
	return k == TPUT || k == BATCHED || k == FD || k == FDPOLL ||
	       k == SELECT;
}

/* The rows that measure a path of workq's own (the descriptor, the
 * select), against the plain kind of the same shape, in turns. */
static int vs_plain(enum kind k)
{
	return k == FD || k == FDPOLL || k == SELECT || k == PINGPONG_FD;
}

static const char *unit_of(enum kind k)
{
	if (is_tput(k))
		return "Mitems/s";
	if (k == BURSTY)
		return "CPU-s/Mitem";
	return k == CLOSE ? "us" : "ns/rt";
}

/* Whether peer p takes part in row r. */
static int applies(const struct row *r, const struct peer *p)
{
	if (r->cap == 0 && !p->rendezvous)
		return 0;
	switch (r->kind) {
	case BATCHED:
		return p->put_many != NULL && p->get_many != NULL;
	case FD:
	case FDPOLL:
	case SELECT:
	case PINGPONG_FD:
		return p == &peer_workq;
	default:
		return 1;
	}
}

/*
 * What one forked run sends back.  For ping-pong, v[] holds the median,
 * 1st and 99th percentile in ns; for close_c16, the median, minimum and
 * maximum in us.
 */
struct run {
	int ok;                 /* finished and verified */
	double secs;            /* wall time of the measured span */
	double cpu_s;           /* CPU time (all threads) in it */
	unsigned long long allocs;      /* wrapped calls in it */
	double v[3];
	char why[200];          /* when !ok */
};

static void failed(struct run *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void failed(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0] != '\0')
		return;         /* the first reason is the interesting one */
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->ok = 0;
}

/* Progress of the run in the child, readable by the parent after a kill. */
struct shared {
	atomic_ullong received;
};
static struct shared *shm;

/* ------------------------------------------------------------------ */
/* The start gate                                                      */
/* ------------------------------------------------------------------ */

/*
 * Workers check in and sleep until the driver opens the gate.  The
 * driver stamps the start under the gate's lock, just before opening,
 * so no queue call happens before t0 however late the driver runs.
 */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned arrived;
	int open;
};

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->arrived = 0;
	g->open = 0;
}

static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->arrived++;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g, unsigned nworkers, struct stamp *t0)
{
	pthread_mutex_lock(&g->mu);
	while (g->arrived < nworkers)
		pthread_cond_wait(&g->cv, &g->mu);
	stamp(t0);
	g->open = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

/* ------------------------------------------------------------------ */
/* Throughput runs (in the child)                                      */
/* ------------------------------------------------------------------ */

/*
 * An item is (producer << TAG_SHIFT | sequence) + 1: never NULL, and
 * small enough never to be PEER_SENTINEL.  That it is not WORKQ_DONE
 * either (an address) is checked before each run.
 */
#if UINTPTR_MAX > 0xffffffffu
#define TAG_SHIFT 40
#else
#define TAG_SHIFT 24
#endif
#define SEQ_MASK ((UINT64_C(1) << TAG_SHIFT) - 1)

static void *tag(unsigned producer, uint64_t seq)
{
	return (void *)(uintptr_t)((((uint64_t)producer << TAG_SHIFT) | seq) +
	                           1);
}

struct tctx {
	const struct peer *p;
	void *q;
	enum kind kind;
	unsigned P;
	int fd;                 /* fdpoll: the queue's descriptor */
	void *idle;             /* select: a second queue, never fed */
	struct gate gate;
};

struct prod {
	_Alignas(64) struct tctx *t;
	unsigned id;
	uint64_t n;             /* items to put */
	int err;
};

struct cons {
	_Alignas(64) struct tctx *t;
	uint64_t *last;         /* per producer: 1 + last sequence seen */
	uint64_t count, sum, disorder, bad;
	int err;                /* 0: ended with PEER_DONE */
};

/* Sleeps ns nanoseconds, however often a signal interrupts. */
static void nap(long ns)
{
	struct timespec ts = {0, ns};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *producer(void *arg)
{
	struct prod *pr = arg;
	const struct peer *p = pr->t->p;
	void *q = pr->t->q;
	void *buf[BATCH];
	uint64_t s = 0;

	gate_pass(&pr->t->gate);
	if (pr->t->kind == BURSTY) {
		for (; s < pr->n && pr->err == 0; s++) {
			pr->err = p->put(q, tag(pr->id, s));
			if ((s + 1) % BURSTY_BURST == 0 && s + 1 < pr->n)
				nap(BURSTY_GAP_NS);
		}
		return NULL;
	}
	if (pr->t->kind == BATCHED) {
		while (s < pr->n && pr->err == 0) {
			size_t k = 0;

			while (k < BATCH && s < pr->n)
				buf[k++] = tag(pr->id, s++);
			pr->err = p->put_many(q, buf, k);
		}
		return NULL;
	}
	for (; s < pr->n && pr->err == 0; s++)
		pr->err = p->put(q, tag(pr->id, s));
	return NULL;
}

/* Checks and counts one item at a consumer. */
static void received(struct cons *c, void *item)
{
	uint64_t v = (uint64_t)(uintptr_t)item - 1;
	uint64_t pid = v >> TAG_SHIFT;
	uint64_t seq = v & SEQ_MASK;

	if (item == NULL || pid >= c->t->P) {
		c->bad++;
		return;
	}
	if (seq + 1 <= c->last[pid])
		c->disorder++;
	c->last[pid] = seq + 1;
	c->count++;
	c->sum += (uint64_t)(uintptr_t)item;
	/* Often enough for the watchdog to see a slow queue move. */
	if ((c->count & 63) == 0)
		atomic_fetch_add_explicit(&shm->received, 64,
		                          memory_order_relaxed);
}

#ifdef HAVE_POLLFD
/* An event loop's consumer: sleep in poll(), then drain with try_get. */
static int poll_consumer(struct cons *c)
{
	struct pollfd pfd;
	void *item;
	int err;

	pfd.fd = c->t->fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return errno;
		while ((err = workq_try_get(c->t->q, &item)) == 0)
			received(c, item);
		if (err == WORKQ_CLOSED)
			return item == WORKQ_DONE ? 0 : EPROTO;
		if (err != EAGAIN)
			return err;
	}
}
#endif

#ifdef WORKQ_SELECT_GET
/* A consumer that selects between the queue and one that stays empty,
 * as a stage waiting on its input and a control queue would. */
static int select_consumer(struct cons *c)
{
	workq_select_case_t cs[2];
	size_t which;
	int err;

	for (;;) {
		cs[0].q = c->t->idle;
		cs[1].q = c->t->q;
		cs[0].op = cs[1].op = WORKQ_SELECT_GET;
		cs[0].item = cs[1].item = NULL;
		err = workq_select(cs, 2, &which);
		if (err == 0 && which == 1)
			received(c, cs[1].item);
		else if (err == WORKQ_CLOSED && which == 1)
			return cs[1].item == WORKQ_DONE ? 0 : EPROTO;
		else
			return err != 0 ? err : EPROTO;
	}
}
#endif

static void *consumer(void *arg)
{
	struct cons *c = arg;
	const struct peer *p = c->t->p;
	void *q = c->t->q;
	void *buf[BATCH];
	void *item;
	size_t i, k;
	int err;

	gate_pass(&c->t->gate);
	switch (c->t->kind) {
	case BATCHED:
		while ((err = p->get_many(q, buf, BATCH, &k)) == 0)
			for (i = 0; i < k; i++)
				received(c, buf[i]);
		break;
#ifdef HAVE_POLLFD
	case FDPOLL:
		c->err = poll_consumer(c);
		return NULL;
#endif
#ifdef WORKQ_SELECT_GET
	case SELECT:
		c->err = select_consumer(c);
		return NULL;
#endif
	default:
		while ((err = p->get(q, &item)) == 0)
			received(c, item);
		break;
	}
	c->err = err == PEER_DONE ? 0 : err;
	return NULL;
}

struct tput_arg {
	const struct row *row;
	const struct peer *p;
	uint64_t n;
};

/* Sets up producers; returns the sum of every item they will put, or
 * sets r->why when a tag would be mistaken for WORKQ_DONE. */
static uint64_t plan(struct prod *pr, struct tctx *t, uint64_t n,
                     struct run *r)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < t->P; i++) {
		uint64_t k = n / t->P + (i < n % t->P);
		uintptr_t lo = (uintptr_t)tag(i, 0);
		uintptr_t hi = (uintptr_t)tag(i, k ? k - 1 : 0);
		uintptr_t done = (uintptr_t)WORKQ_DONE;

		memset(&pr[i], 0, sizeof(pr[i]));
		pr[i].t = t;
		pr[i].id = i;
		pr[i].n = k;
		sum += k * ((uint64_t)i << TAG_SHIFT) + k * (k + 1) / 2;
		if (k > SEQ_MASK || (k > 0 && done >= lo && done <= hi))
			failed(r, "items of producer %u would collide with "
			       "WORKQ_DONE: use fewer --items", i);
	}
	return sum;
}

/* Verifies a finished run; sets r->ok. */
static void verify(struct run *r, const struct tctx *t,
                   const struct prod *pr, const struct cons *cs, unsigned C,
                   uint64_t n, uint64_t expect_sum)
{
	uint64_t count = 0, sum = 0, disorder = 0, bad = 0;
	char why[160];
	unsigned i;

	for (i = 0; i < t->P; i++)
		if (pr[i].err != 0)
			failed(r, "producer %u: put error %d", i, pr[i].err);
	for (i = 0; i < C; i++) {
		if (cs[i].err != 0)
			failed(r, "consumer %u: get error %d", i, cs[i].err);
		count += cs[i].count;
		sum += cs[i].sum;
		disorder += cs[i].disorder;
		bad += cs[i].bad;
	}
	if (count != n || bad != 0)
		failed(r, "%" PRIu64 " items received of %" PRIu64
		       " (%" PRIu64 " not ours)", count, n, bad);
	if (sum != expect_sum)
		failed(r, "checksum differs: items lost or duplicated");
	if (disorder != 0)
		failed(r, "%" PRIu64 " items out of producer order", disorder);
	if (t->p->end_check(t->q, n, why, sizeof(why)) != 0)
		failed(r, "after shutdown: %s", why);
	if (r->why[0] == '\0')
		r->ok = 1;
}

static void tput_child(const void *argp, struct run *r)
{
	const struct tput_arg *a = argp;
	const unsigned P = a->row->P, C = a->row->C;
	struct tctx t;
	struct prod *pr;
	struct cons *cs;
	pthread_t *th;
	struct stamp s0, s1;
	uint64_t expect;
	unsigned i;
	int err;

	t.p = a->p;
	t.kind = a->row->kind;
	t.P = P;
	t.fd = -1;
	t.idle = NULL;
	gate_init(&t.gate);
	t.q = a->p->create(a->row->cap);
	if (t.q == NULL) {
		failed(r, "create(%zu) failed", a->row->cap);
		return;
	}
#ifdef HAVE_POLLFD
	/* Asking is what arms the descriptor: from now on every transition
	 * of the queue writes or reads the eventfd. */
	if ((t.kind == FD || t.kind == FDPOLL) &&
	    (err = workq_pollfd(t.q, &t.fd)) != 0) {
		failed(r, "workq_pollfd: %s", strerror(err));
		return;
	}
#endif
	if (t.kind == SELECT && (t.idle = a->p->create(1)) == NULL) {
		failed(r, "create(1) failed");
		return;
	}
	pr = aligned_alloc(64, sizeof(*pr) * P);
	cs = aligned_alloc(64, sizeof(*cs) * C);
	th = calloc(P + C, sizeof(*th));
	if (pr == NULL || cs == NULL || th == NULL)
		die("out of memory");
	expect = plan(pr, &t, a->n, r);
	if (r->why[0] != '\0')
		return;
	for (i = 0; i < C; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].t = &t;
		cs[i].last = calloc(P, sizeof(uint64_t));
		if (cs[i].last == NULL)
			die("out of memory");
	}
	for (i = 0; i < C; i++)
		if ((err = pthread_create(&th[P + i], NULL, consumer, &cs[i])))
			die("pthread_create: %s", strerror(err));
	for (i = 0; i < P; i++)
		if ((err = pthread_create(&th[i], NULL, producer, &pr[i])))
			die("pthread_create: %s", strerror(err));

	gate_open(&t.gate, P + C, &s0);
	for (i = 0; i < P; i++)
		pthread_join(th[i], NULL);
	t.p->shutdown(t.q, C);
	for (i = 0; i < C; i++)
		pthread_join(th[P + i], NULL);
	stamp(&s1);

	r->secs = s1.t - s0.t;
	r->cpu_s = s1.cpu - s0.cpu;
	r->allocs = s1.allocs - s0.allocs;
	verify(r, &t, pr, cs, C, a->n, expect);
	t.p->destroy(t.q);
	if (t.idle != NULL)
		t.p->destroy(t.idle);
	for (i = 0; i < C; i++)
		free(cs[i].last);
	free(th);
	free(cs);
	free(pr);
	gate_destroy(&t.gate);
}

/* ------------------------------------------------------------------ */
/* Ping-pong (in the child)                                            */
/* ------------------------------------------------------------------ */

struct echo {
	const struct peer *p;
	void *ping, *pong;
	uint64_t trips;
	int err;
};

static void *echo(void *arg)
{
	struct echo *e = arg;
	uint64_t i;

	for (i = 0; i < e->trips && e->err == 0; i++) {
		void *item;

		e->err = e->p->get(e->ping, &item);
		if (e->err == 0)
			e->err = e->p->put(e->pong, item);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Runs n round trips from i0 on; times each one into ts (may be NULL).
 * Returns 0 or the first error. */
static int bounce(const struct echo *e, uint64_t i0, uint64_t n,
                  uint64_t *ts)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		void *item = (void *)(uintptr_t)(i0 + i + 1), *back = NULL;
		int err;

		if (ts != NULL)
			ts[i] = now_ns();
		if ((err = e->p->put(e->ping, item)) != 0 ||
		    (err = e->p->get(e->pong, &back)) != 0)
			return err;
		if (back != item)
			return EPROTO;
	}
	return 0;
}

struct pp_arg {
	const struct row *row;
	const struct peer *p;
	uint64_t trips;
};

static void pingpong_child(const void *argp, struct run *r)
{
	const struct pp_arg *a = argp;
	const uint64_t warm = 1000, n = a->trips;
	struct echo e;
	struct stamp s0, s1;
	pthread_t th;
	uint64_t *ts, i;
	int err;

	e.p = a->p;
	e.ping = a->p->create(1);
	e.pong = a->p->create(1);
	e.trips = warm + n;
	e.err = 0;
	if (e.ping == NULL || e.pong == NULL) {
		failed(r, "create(1) failed");
		return;
	}
#ifdef HAVE_POLLFD
	if (a->row->kind == PINGPONG_FD) {
		int fd;

		if ((err = workq_pollfd(e.ping, &fd)) != 0 ||
		    (err = workq_pollfd(e.pong, &fd)) != 0) {
			failed(r, "workq_pollfd: %s", strerror(err));
			return;
		}
	}
#endif
	ts = malloc(sizeof(*ts) * (n + 1));
	if (ts == NULL)
		die("out of memory");
	if ((err = pthread_create(&th, NULL, echo, &e)) != 0)
		die("pthread_create: %s", strerror(err));
	err = bounce(&e, 0, warm, NULL);
	stamp(&s0);
	if (err == 0)
		err = bounce(&e, warm, n, ts);
	ts[n] = now_ns();
	stamp(&s1);
	if (err != 0) {
		/* The echo thread may be stuck: the child's exit ends it.
		 * (An echo thread that fails leaves this one waiting: the
		 * run is then killed as stalled.) */
		if (err == EPROTO)
			failed(r, "wrong item echoed");
		else
			failed(r, "put/get error %d", err);
		return;
	}
	pthread_join(th, NULL);
	if (e.err != 0) {
		failed(r, "echo: put/get error %d", e.err);
		return;
	}
	r->secs = s1.t - s0.t;
	r->cpu_s = s1.cpu - s0.cpu;
	r->allocs = s1.allocs - s0.allocs;
	for (i = 0; i < n; i++)
		ts[i] = ts[i + 1] - ts[i];
	qsort(ts, n, sizeof(*ts), cmp_u64);
	r->v[0] = (double)ts[n / 2];
	r->v[1] = (double)ts[n / 100];
	r->v[2] = (double)ts[n - 1 - n / 100];
	a->p->destroy(e.ping);
	a->p->destroy(e.pong);
	free(ts);
	r->ok = 1;
}

/* ------------------------------------------------------------------ */
/* Close latency (in the child)                                        */
/* ------------------------------------------------------------------ */

struct sleeper {
	_Alignas(64) const struct peer *p;
	void *q;
	atomic_uint *ready;
	unsigned items;
	int err;                /* 0: ended with PEER_DONE */
};

static void *sleeper(void *arg)
{
	struct sleeper *s = arg;
	void *item;
	int err;

	atomic_fetch_add(s->ready, 1);
	while ((err = s->p->get(s->q, &item)) == 0)
		s->items++;
	s->err = err == PEER_DONE ? 0 : err;
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Waits until the 16 threads sleep in get: workq can say so exactly;
 * for the others, and as a floor, 5 ms after the last one checked in. */
static void let_sleep(const struct peer *p, void *q, atomic_uint *ready)
{
	while (atomic_load(ready) < CLOSE_THREADS)
		usleep(200);
	usleep(5000);
#ifdef HAVE_POLLFD
	if (p == &peer_workq) {
		struct workq_stats st;
		int tries;

		for (tries = 0; tries < 1000; tries++) {
			if (workq_stats(q, &st) == 0 &&
			    st.blocked_consumers == CLOSE_THREADS)
				break;
			usleep(1000);
		}
	}
#else
	(void)p;
	(void)q;
#endif
}

struct close_arg {
	const struct row *row;
	const struct peer *p;
	int reps;
};

static void close_child(const void *argp, struct run *r)
{
	const struct close_arg *a = argp;
	struct sleeper *s = aligned_alloc(64, sizeof(*s) * CLOSE_THREADS);
	double *us = calloc((size_t)a->reps, sizeof(double));
	pthread_t th[CLOSE_THREADS];
	char why[160];
	int rep, i, err;

	if (s == NULL || us == NULL)
		die("out of memory");
	for (rep = 0; rep < a->reps; rep++) {
		atomic_uint ready = 0;
		void *q = a->p->create(a->row->cap);
		struct stamp s0, s1;

		if (q == NULL) {
			failed(r, "create failed");
			return;
		}
		for (i = 0; i < CLOSE_THREADS; i++) {
			memset(&s[i], 0, sizeof(s[i]));
			s[i].p = a->p;
			s[i].q = q;
			s[i].ready = &ready;
			err = pthread_create(&th[i], NULL, sleeper, &s[i]);
			if (err != 0)
				die("pthread_create: %s", strerror(err));
		}
		let_sleep(a->p, q, &ready);
		stamp(&s0);
		a->p->shutdown(q, CLOSE_THREADS);
		for (i = 0; i < CLOSE_THREADS; i++)
			pthread_join(th[i], NULL);
		stamp(&s1);
		us[rep] = (s1.t - s0.t) * 1e6;
		r->allocs += s1.allocs - s0.allocs;
		r->secs += s1.t - s0.t;
		for (i = 0; i < CLOSE_THREADS; i++)
			if (s[i].err != 0 || s[i].items != 0)
				failed(r, "consumer %d: error %d, %u items", i,
				       s[i].err, s[i].items);
		if (a->p->end_check(q, 0, why, sizeof(why)) != 0)
			failed(r, "after shutdown: %s", why);
		a->p->destroy(q);
	}
	qsort(us, (size_t)a->reps, sizeof(*us), cmp_double);
	r->v[0] = a->reps % 2 ? us[a->reps / 2] :
	          (us[a->reps / 2 - 1] + us[a->reps / 2]) / 2;
	r->v[1] = us[0];
	r->v[2] = us[a->reps - 1];
	r->cpu_s = -1;
	if (r->why[0] == '\0')
		r->ok = 1;
	free(us);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Running in a child, with a deadline                                 */
/* ------------------------------------------------------------------ */

enum outcome { DONE, STALLED, CRASHED };

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t k = read(fd, (char *)buf + got, len - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Kills a child that overran; fills r with what can be known. */
static enum outcome kill_run(pid_t pid, int fd, double t0, struct run *r,
                             const char *what, double secs)
{
	struct rusage ru;
	int st;

	kill(pid, SIGKILL);
	condition_run(0);       /* dying already: none to kill at exit */
	wait4(pid, &st, 0, &ru);
	close(fd);
	memset(r, 0, sizeof(*r));
	r->secs = now_s() - t0;
	r->cpu_s = cpu_of(&ru);
	snprintf(r->why, sizeof(r->why), "%s %.1f s", what, secs);
	return STALLED;
}

/*
 * Runs fn(arg, r) in a forked child and waits for its result.  A child
 * still running after limit_s, or, where watch is set, one whose
 * consumers have received nothing new for --stall-s, is killed:
 * STALLED, with r->secs the time it had and r->cpu_s the CPU time it
 * used (its set-up included).
 */
static enum outcome forked(void (*fn)(const void *, struct run *),
                           const void *arg, double limit_s, int watch,
                           struct run *r)
{
	double t0 = now_s(), moved = t0;
	unsigned long long seen = 0;
	int fds[2], st = 0;
	pid_t pid, parent = getpid();

	memset(r, 0, sizeof(*r));
	atomic_store(&shm->received, 0);
	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* A run outlives no benchmark, even one killed outright. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(3);
		close(fds[0]);
		fn(arg, r);
		if (write(fds[1], r, sizeof(*r)) != (ssize_t)sizeof(*r))
			_exit(3);
		_exit(0);
	}
	condition_run(pid);
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = {fds[0], POLLIN, 0};
		unsigned long long now_seen = atomic_load(&shm->received);
		double t = now_s();
		int n;

		if (now_seen != seen) {
			seen = now_seen;
			moved = t;
		}
		if (t - t0 >= limit_s)
			return kill_run(pid, fds[0], t0, r, "still running "
			                "after", limit_s);
		if (watch && t - moved >= opt.stall_s)
			return kill_run(pid, fds[0], t0, r, "no item received "
			                "for", opt.stall_s);
		/* Wake every 100 ms to look at the progress counter. */
		n = poll(&pfd, 1, 100);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
	}
	/* The run has finished or failed: none to kill at exit.  (Cleared
	 * before the wait, so that no reaped, maybe reused pid is named.) */
	condition_run(0);
	if (read_full(fds[0], r, sizeof(*r)) != (ssize_t)sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st))
			snprintf(r->why, sizeof(r->why), "run crashed "
			         "(signal %d)", WTERMSIG(st));
		else
			snprintf(r->why, sizeof(r->why), "run exited (%d) "
			         "without a result", WEXITSTATUS(st));
		close(fds[0]);
		return CRASHED;
	}
	close(fds[0]);
	waitpid(pid, &st, 0);
	return DONE;
}

/* ------------------------------------------------------------------ */
/* Cells: one peer in one row                                          */
/* ------------------------------------------------------------------ */

enum state { NA, OK, STALL, FAIL };

struct cell {
	enum state state;
	int scaled;             /* items reduced to fit --cell-s */
	int nruns, nstalled;
	double med, lo, hi;     /* in the row's unit */
	double cpu;             /* median CPU %; < 0: none */
	double per_cpu;         /* median million units per CPU second */
	double allocs;          /* worst allocations per unit; < 0: n/a */
	double p99;             /* ping-pong: 99th percentile; else 0 */
	double ref;             /* fd rows: workq's plain median, from runs
	                         * taken in turns with these; else 0 */
	double wall_ms;         /* bursty: median wall time of a run */
	char note[320];
};

static void note(struct cell *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void note(struct cell *c, const char *fmt, ...)
{
	size_t len = strlen(c->note);
	va_list ap;

	if (len > 0 && len + 2 < sizeof(c->note)) {
		memcpy(c->note + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(c->note + len, sizeof(c->note) - len, fmt, ap);
	va_end(ap);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double allocs_per(const struct peer *p, unsigned long long calls,
                         double ops)
{
	if (!opt.counted || p->allocs_hidden || ops <= 0)
		return -1;
	return (double)calls / ops;
}

/*
 * Runs pilots for a throughput cell and sets a->n to the items each
 * measured run will move: --items, or fewer where R runs would overrun
 * --cell-s.  Returns the estimated seconds of one run, or -1 when a
 * pilot stalled or failed (c then says so).  The smallest pilots mostly
 * time thread start-up, so they grow until one lasts long enough to say
 * how fast the queue runs.  Each is sized for twice that time at the
 * last one's rate, not more: the next may run ten times slower.
 */
static double pilot(struct tput_arg *a, struct cell *c)
{
	const double enough = opt.cell_s / (4 * opt.reps);
	uint64_t n = opt.items, n2, least = n / 100 < 1000 ? 1000 : n / 100;
	enum outcome o;
	struct run r;
	double est, grow;

	a->n = least;
	for (;;) {
		o = forked(tput_child, a, opt.pilot_s, 1, &r);
		if (o != DONE || !r.ok || a->n >= n || r.secs >= enough)
			break;
		grow = r.secs > 0 ? 2 * enough / r.secs : 10;
		grow = grow < 2 ? 2 : grow > 10 ? 10 : grow;
		a->n = (double)a->n * grow < (double)n ?
		       (uint64_t)((double)a->n * grow) : n;
	}
	if (o != DONE || !r.ok) {
		c->state = o == STALLED ? STALL : FAIL;
		c->nruns = c->nstalled = o == STALLED;
		c->cpu = c->per_cpu = c->allocs = -1;
		if (r.secs > 0)
			c->med = c->lo = c->hi =
			        (double)atomic_load(&shm->received) / r.secs /
			        1e6;
		note(c, "pilot of %" PRIu64 " items: %s", a->n, r.why);
		return -1;
	}
	est = r.secs * (double)n / (double)a->n;
	n2 = (uint64_t)((double)n * opt.cell_s / (est * opt.reps));
	n2 -= n2 % 1000;
	if (n2 < least)
		n2 = least;
	if (n2 < n) {
		note(c, "%" PRIu64 " items instead of %" PRIu64 " (pilot: "
		     "%.3g Mitems/s)", n2, n, (double)a->n / r.secs / 1e6);
		c->scaled = 1;
		est = r.secs * (double)n2 / (double)a->n;
		n = n2;
	}
	a->n = n;
	return est;
}

static void cell_tput(const struct row *row, const struct peer *p,
                      struct cell *c)
{
	double rate[64], cpu[64], per[64], ref[64];
	struct row plain = *row;
	struct tput_arg a = {row, p, 0}, b = {&plain, p, 0};
	double est, limit, spent = 0;
	int i, nok = 0, nfail = 0, nref = 0;
	enum outcome o;
	struct run r;
	uint64_t n;

	if ((est = pilot(&a, c)) < 0)
		return;
	n = b.n = a.n;
	plain.kind = TPUT;
	limit = LIMIT_FACTOR * est < LIMIT_MIN_S ? LIMIT_MIN_S :
	        LIMIT_FACTOR * est;
	c->allocs = -1;
	for (i = 0; i < opt.reps && i < 64; i++) {
		/* The fd rows take a plain run before each of theirs, so
		 * that the two are compared under the same conditions:
		 * rows measured minutes apart on a shared VM are not. */
		if (vs_plain(row->kind) &&
		    forked(tput_child, &b, limit, 1, &r) == DONE && r.ok)
			ref[nref++] = (double)n / r.secs / 1e6;
		o = forked(tput_child, &a, limit, 1, &r);
		spent += r.secs;
		if (o == STALLED) {
			/* Counted at the rate it reached until killed. */
			rate[c->nruns] = (double)atomic_load(&shm->received) /
			                 r.secs / 1e6;
			cpu[c->nruns++] = 100 * r.cpu_s / r.secs;
			if (++c->nstalled == 1)
				note(c, "killed a run of %" PRIu64 " items: %s",
				     n, r.why);
			if (c->nstalled == 2) {
				note(c, "stopped after 2 stalled runs");
				break;
			}
			continue;
		}
		if (o != DONE || !r.ok) {
			if (nfail++ == 0)
				note(c, "%s", r.why);
			continue;
		}
		rate[c->nruns] = (double)n / r.secs / 1e6;
		cpu[c->nruns++] = 100 * r.cpu_s / r.secs;
		per[nok++] = r.cpu_s > 0 ? (double)n / r.cpu_s / 1e6 : 0;
		if (allocs_per(p, r.allocs, (double)n) > c->allocs)
			c->allocs = allocs_per(p, r.allocs, (double)n);
		/* Runs far slower than the pilot promised (the tenfold
		 * swings above) stop the cell rather than the clock. */
		if (spent > 3 * opt.cell_s && i + 1 < opt.reps) {
			note(c, "%d of %d runs (time budget)", i + 1,
			     opt.reps);
			break;
		}
	}
	if (nfail > 0) {
		c->state = FAIL;
		note(c, "%d runs failed verification", nfail);
		if (c->nruns == 0)
			return;
	} else {
		c->state = c->nstalled ? STALL : OK;
	}
	c->med = median(rate, c->nruns);
	c->lo = rate[0];
	c->hi = rate[c->nruns - 1];
	c->cpu = median(cpu, c->nruns);
	c->per_cpu = nok > 0 ? median(per, nok) : -1;
	c->ref = nref > 0 ? median(ref, nref) : 0;
}

/*
 * Ping-pong runs R children of trips/R round trips each: whether the two
 * threads share a CPU or wake each other across CPUs is settled per
 * run, and changes the answer tenfold on a VM, so one long run would
 * report only one of the two.  Value: the median of the runs' medians
 * [their min-max]; p99: the median of the runs' 99th percentiles.
 */
static void cell_pingpong(const struct row *row, const struct peer *p,
                          struct cell *c)
{
	uint64_t each = opt.trips / (uint64_t)opt.reps;
	struct row plain = *row;
	struct pp_arg a = {row, p, each < 1000 ? 1000 : each};
	struct pp_arg b = {&plain, p, a.trips};
	double med[64], p99[64], cpu[64], per[64], ref[64], mean = 0;
	double limit = LIMIT_MIN_S + (double)a.trips * 200e-6;
	int i, nfail = 0, nref = 0;
	struct run r;

	plain.kind = PINGPONG;
	c->allocs = -1;
	for (i = 0; i < opt.reps; i++) {
		enum outcome o;

		/* In turns with plain runs, as in cell_tput. */
		if (vs_plain(row->kind) &&
		    forked(pingpong_child, &b, limit, 0, &r) == DONE && r.ok)
			ref[nref++] = r.v[0];
		o = forked(pingpong_child, &a, limit, 0, &r);

		if (o != DONE || !r.ok) {
			c->nstalled += o == STALLED;
			if (nfail++ == 0)
				note(c, "%s", r.why);
			continue;
		}
		med[c->nruns] = r.v[0];
		p99[c->nruns] = r.v[2];
		cpu[c->nruns] = 100 * r.cpu_s / r.secs;
		per[c->nruns++] = r.cpu_s > 0 ?
		                  (double)a.trips / r.cpu_s / 1e6 : 0;
		mean += r.secs * 1e9 / (double)a.trips;
		if (allocs_per(p, r.allocs, (double)a.trips) > c->allocs)
			c->allocs = allocs_per(p, r.allocs, (double)a.trips);
	}
	c->state = c->nstalled ? STALL : nfail ? FAIL : OK;
	if (c->nruns == 0)
		return;
	c->med = median(med, c->nruns);
	c->lo = med[0];
	c->hi = med[c->nruns - 1];
	c->p99 = median(p99, c->nruns);
	c->cpu = median(cpu, c->nruns);
	c->per_cpu = median(per, c->nruns);
	c->ref = nref > 0 ? median(ref, nref) : 0;
	note(c, "%d runs of %" PRIu64 " round trips; mean of the runs' "
	     "means %.0f ns", c->nruns, a.trips, mean / c->nruns);
}

static void cell_close(const struct row *row, const struct peer *p,
                       struct cell *c)
{
	struct close_arg a = {row, p, opt.close_reps};
	struct run r;
	enum outcome o = forked(close_child, &a,
	                        LIMIT_MIN_S + opt.close_reps, 0, &r);

	c->nruns = opt.close_reps;
	if (o != DONE || !r.ok) {
		c->state = o == STALLED ? STALL : FAIL;
		note(c, "%s", r.why);
		return;
	}
	c->state = OK;
	c->med = r.v[0];
	c->lo = r.v[1];
	c->hi = r.v[2];
	c->cpu = -1;
	c->per_cpu = -1;
	c->allocs = allocs_per(p, r.allocs, opt.close_reps);
}

/*
 * bursty: R runs of BURSTY_ITEMS items each, with no pilot: the pauses,
 * not the queue, set how long a run takes.  Value: CPU-seconds per
 * million items.  A run killed as stalled counts with the CPU time it
 * had spent per item received by then, as a stalled throughput run
 * counts at the rate it reached.
 */
static void cell_bursty(const struct row *row, const struct peer *p,
                        struct cell *c)
{
	struct tput_arg a = {row, p, BURSTY_ITEMS};
	const double n = BURSTY_ITEMS;
	double v[64], wall[64], cpu[64], per[64];
	double limit = LIMIT_MIN_S + LIMIT_FACTOR * n / BURSTY_BURST *
	               (double)BURSTY_GAP_NS * 1e-9;
	int i, nfail = 0, nok = 0;
	struct run r;

	c->allocs = -1;
	for (i = 0; i < opt.reps; i++) {
		enum outcome o = forked(tput_child, &a, limit, 1, &r);

		if (o == STALLED) {
			double got = (double)atomic_load(&shm->received);

			if (++c->nstalled == 1)
				note(c, "killed a run: %s", r.why);
			v[c->nruns] = r.cpu_s / (got > 0 ? got : 1) * 1e6;
			wall[c->nruns] = r.secs * 1e3;
			cpu[c->nruns++] = 100 * r.cpu_s / r.secs;
			if (c->nstalled == 2) {
				note(c, "stopped after 2 stalled runs");
				break;
			}
			continue;
		}
		if (o != DONE || !r.ok) {
			if (nfail++ == 0)
				note(c, "%s", r.why);
			continue;
		}
		v[c->nruns] = r.cpu_s / n * 1e6;
		wall[c->nruns] = r.secs * 1e3;
		cpu[c->nruns++] = 100 * r.cpu_s / r.secs;
		per[nok++] = r.cpu_s > 0 ? n / r.cpu_s / 1e6 : 0;
		if (allocs_per(p, r.allocs, n) > c->allocs)
			c->allocs = allocs_per(p, r.allocs, n);
	}
	c->state = nfail ? FAIL : c->nstalled ? STALL : OK;
	if (nfail > 0)
		note(c, "%d runs failed verification", nfail);
	if (c->nruns == 0)
		return;
	c->med = median(v, c->nruns);
	c->lo = v[0];
	c->hi = v[c->nruns - 1];
	c->wall_ms = median(wall, c->nruns);
	c->cpu = median(cpu, c->nruns);
	c->per_cpu = nok > 0 ? median(per, nok) : -1;
	note(c, "%d runs of %d items in bursts of %d, %ld us apart; wall "
	     "time median %.0f ms [%.0f-%.0f]", c->nruns, BURSTY_ITEMS,
	     BURSTY_BURST, BURSTY_GAP_NS / 1000, c->wall_ms, wall[0],
	     wall[c->nruns - 1]);
}

/* ------------------------------------------------------------------ */
/* The report                                                          */
/* ------------------------------------------------------------------ */

static const struct peer *all_peers[] = {
	&peer_workq,
	&peer_textbook,
#ifdef HAVE_GLIB
	&peer_glib,
#endif
#ifdef HAVE_APR
	&peer_apr,
#endif
};
#define NALL (sizeof(all_peers) / sizeof(all_peers[0]))

static const char *const known_peers[] = {"workq", "textbook", "glib", "apr"};
#define NKNOWN (sizeof(known_peers) / sizeof(known_peers[0]))

static const struct peer *peers[NKNOWN];
static size_t npeers;

/* Three significant digits, without an exponent for the usual range. */
static const char *num(char *buf, size_t len, double v)
{
	if (v >= 100 || v <= -100)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 0.001 || v <= -0.001 || v == 0)
		snprintf(buf, len, "%.3g", v);
	else
		snprintf(buf, len, "%.1e", v);
	return buf;
}

static void print_cell(const struct cell *c)
{
	char m[32], l[32], h[32], x[32];

	if (c->state == NA) {
		printf(" - | | | |");
		return;
	}
	if (c->state != OK && c->nruns == 0) {
		printf(" %s | | | |", c->state == FAIL ? "FAIL" : "STALLED");
		return;
	}
	printf(" %s%s [%s–%s]%s", c->state == FAIL ? "FAIL " : "",
	       num(m, sizeof(m), c->med), num(l, sizeof(l), c->lo),
	       num(h, sizeof(h), c->hi), c->scaled ? "†" : "");
	if (c->p99 > 0)
		printf(" p99 %s", num(x, sizeof(x), c->p99));
	if (c->wall_ms > 0)
		printf(" wall %s ms", num(x, sizeof(x), c->wall_ms));
	if (c->state == STALL)
		printf(" STALLED %d/%d", c->nstalled, c->nruns);
	printf(" | %s", c->cpu >= 0 ? num(x, sizeof(x), c->cpu) : "–");
	printf(" | %s", c->per_cpu >= 0 ? num(x, sizeof(x), c->per_cpu) : "–");
	if (c->allocs < 0)
		printf(" | n/a |");
	else if (c->allocs == 0)
		printf(" | 0 |");
	else
		printf(" | %.2g |", c->allocs);
}

/* A result to compare with: every run finished and was verified. */
static int usable(const struct cell *c)
{
	return c->state == OK;
}

/* Index of the fastest usable peer but workq (only bounded ones if
 * bounded is set) in a row's cells, or -1. */
static int best_other(const struct row *row, const struct cell *cells,
                      int bounded)
{
	int lower_better = !is_tput(row->kind), best = -1;
	size_t i;

	for (i = 0; i < npeers; i++) {
		if (peers[i] == &peer_workq || !usable(&cells[i]) ||
		    (bounded && !peers[i]->bounded) || cells[i].med <= 0)
			continue;
		if (best < 0 || (lower_better ? cells[i].med < cells[best].med :
		                                cells[i].med > cells[best].med))
			best = (int)i;
	}
	return best;
}

/* workq's speed over c's: > 1 when workq is faster, whether the unit is
 * a rate or a time. */
static double speedup(const struct row *row, const struct cell *w,
                      const struct cell *c)
{
	return is_tput(row->kind) ? w->med / c->med : c->med / w->med;
}

/* A ratio with two decimals, or two significant digits below 0.1,
 * where two decimals would round a hundredfold loss to 0.00. */
static const char *times(char *buf, size_t len, double v)
{
	snprintf(buf, len, v < 0.1 ? "%.2g" : "%.2f", v);
	return buf;
}

/*
 * The last column, into buf: workq's speed over the best other peer's,
 * and over the best bounded one where that differs (GLib's queue is
 * unbounded, so it never waits for room); for the fd rows, over workq's
 * plain runs taken in turns with them.  "–" where there is none.
 */
static void ratio_text(const struct row *row, const struct cell *cells,
                       char *buf, size_t len)
{
	const struct cell *w = NULL;
	char x[32], y[32];
	int best, bounded, k;
	size_t i;

	snprintf(buf, len, "–");
	for (i = 0; i < npeers; i++)
		if (peers[i] == &peer_workq)
			w = &cells[i];
	if (w == NULL || !usable(w) || w->med <= 0)
		return;
	if (vs_plain(row->kind)) {
		struct cell plain = *w;

		plain.med = w->ref;
		if (plain.med > 0)
			snprintf(buf, len, "%s× of plain, in turns",
			         times(x, sizeof(x), speedup(row, w, &plain)));
		return;
	}
	best = best_other(row, cells, 0);
	bounded = best_other(row, cells, 1);
	if (best < 0)
		return;
	k = snprintf(buf, len, "%s× vs %s",
	             times(x, sizeof(x), speedup(row, w, &cells[best])),
	             peers[best]->name);
	if (bounded >= 0 && bounded != best && k > 0 && (size_t)k < len)
		snprintf(buf + k, len - (size_t)k, "; %s× vs %s",
		         times(y, sizeof(y), speedup(row, w, &cells[bounded])),
		         peers[bounded]->name);
}

static void print_ratio(const struct row *row, const struct cell *cells)
{
	char buf[128];

	ratio_text(row, cells, buf, sizeof(buf));
	printf(" %s |\n", buf);
}

static void print_head(void)
{
	size_t i;

	printf("\n| condition | scenario | cap | unit |");
	for (i = 0; i < npeers; i++)
		printf(" %s | CPU %% | M/CPU-s | allocs/op |", peers[i]->name);
	printf(" workq ÷ best other |\n|---|---|---:|---|");
	for (i = 0; i < npeers; i++)
		printf("---:|---:|---:|---:|");
	printf("---|\n");
	fflush(stdout);
}

/* The first "model name" of /proc/cpuinfo, into buf. */
static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown CPU");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		snprintf(buf, len, "%s", colon + 2);
		buf[strcspn(buf, "\n")] = '\0';
		break;
	}
	fclose(f);
}

/* The conditions chosen, in the order they run. */
static void print_conditions(void)
{
	const char *sep = "";
	int k;

	printf("- conditions:");
	for (k = 0; k < NCOND; k++)
		if (opt.conds & (1u << k)) {
			printf("%s %s", sep, condition_name((enum condition)k));
			sep = ",";
		}
	printf(" (quiet: as is; cpu1: pinned to one CPU; busy: %u "
	       "busy-loop processes beside; quota1: a CFS quota of one "
	       "CPU; neighbour: as busy, in a session of their own); each "
	       "has its own table\n",
	       opt.hogs ? opt.hogs : condition_cpus());
}

/* The peers measured, and those asked for but not built in. */
static void print_peers(void)
{
	size_t i, k;

	printf("- peers:\n");
	for (i = 0; i < npeers; i++)
		printf("  - %s%s%s: %s\n", peers[i]->name,
		       peers[i]->version ? " " : "",
		       peers[i]->version ? peers[i]->version() : "",
		       peers[i]->about);
	for (k = 0; k < NKNOWN; k++) {
		int built = 0;

		for (i = 0; i < NALL; i++)
			built |= !strcmp(all_peers[i]->name, known_peers[k]);
		if (!built && (opt.peers == NULL ||
		               strstr(opt.peers, known_peers[k]) != NULL))
			printf("  - %s: skipped (not installed)\n",
			       known_peers[k]);
	}
}

static void print_header(int argc, char **argv)
{
	char date[64], model[128];
	time_t now = time(NULL);
	struct utsname u;
	int i;

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	cpu_model(model, sizeof(model));
	if (uname(&u) != 0)
		strcpy(u.release, "?");
	printf("# workq benchmark\n\n");
	printf("- date: %s\n", date);
	printf("- machine: %ld CPUs online, %s, Linux %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.release);
	printf("- command:");
	for (i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n- settings: %" PRIu64 " items per throughput run (fewer "
	       "where marked †), %d runs per cell, about %.3g s per cell, "
	       "%" PRIu64 " ping-pong round trips, %d close_c16 repetitions\n",
	       opt.items, opt.reps, opt.cell_s, opt.trips, opt.close_reps);
	print_conditions();
	print_peers();
	printf("- value: median of the runs [min–max]; ping-pong: median "
	       "of the runs' median round trips [min–max], and the median "
	       "of their 99th percentiles.  CPU %% = user+sys CPU time / "
	       "wall time of the measured span (200 = two cores busy).  "
	       "M/CPU-s = million items (round trips) per CPU-second.  "
	       "bursty: CPU-seconds of the whole process (user+sys) per "
	       "million items, lower is better, and the median wall time "
	       "of its runs.\n");
	if (opt.counted)
		printf("- allocs/op: malloc/calloc/realloc calls per item "
		       "(round trip, close), worst run, counted by "
		       "-Wl,--wrap: it sees libworkq.a, linked statically, "
		       "and this program's own code (the textbook ring), "
		       "but not the calls GLib and APR make inside their "
		       "shared libraries: n/a.\n");
	else
		printf("- allocs/op: n/a, the malloc counter is not linked "
		       "in (-Wl,--wrap missing)\n");
	printf("- last column: workq's speed ÷ the best other peer's "
	       "(> 1: workq faster), and ÷ the best bounded one where the "
	       "best is GLib's unbounded queue; fd rows: ÷ the median of "
	       "plain runs (no descriptor) of the same shape, taken in "
	       "turns with the fd runs.  STALLED k/n: k of n runs were killed (no item "
	       "received for %.3g s, or still running at %dx the pilot's "
	       "estimate) and count at the rate they reached; FAIL: "
	       "verification failed.  Other work on the machine is not "
	       "controlled: compare within one table.\n", opt.stall_s,
	       LIMIT_FACTOR);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Rows, options, main                                                 */
/* ------------------------------------------------------------------ */

static int wanted(const char *name)
{
	const char *p = opt.only;

	if (p == NULL)
		return 1;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len > 0 && strncmp(name, p, len) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static size_t add_row(struct row *rows, size_t n, enum kind kind,
                      const char *prefix, unsigned P, unsigned C,
                      size_t cap)
{
	struct row *r = &rows[n];

	if (is_tput(kind))
		snprintf(r->name, sizeof(r->name), "%s_%ux%u", prefix, P, C);
	else
		snprintf(r->name, sizeof(r->name), "%s", prefix);
	if (!wanted(r->name))
		return n;
	r->kind = kind;
	r->P = P;
	r->C = C;
	r->cap = cap;
	return n + 1;
}

static size_t make_rows(struct row *rows)
{
	static const unsigned pc[][2] = {
		{1, 1}, {2, 2}, {4, 4}, {1, 4}, {4, 1}, {16, 16}
	};
	static const size_t caps[] = {1, 64, 1024};
	size_t n = 0, i, j;

	for (i = 0; i < 6; i++) {
		/* Capacity 0, a rendezvous (each put waits for its take),
		 * for 1x1 and 4x4 only: enough to show what a hand-off
		 * costs. */
		if (i == 0 || i == 2)
			n = add_row(rows, n, TPUT, "tput", pc[i][0], pc[i][1],
			            0);
		for (j = 0; j < 3; j++)
			n = add_row(rows, n, TPUT, "tput", pc[i][0], pc[i][1],
			            caps[j]);
	}
	/* Batches of 64 into a queue of one are single items with more
	 * bookkeeping; once, for 1x1, is enough to show it. */
	for (i = 0; i < 6; i++)
		for (j = i == 0 ? 0 : 1; j < 3; j++)
			n = add_row(rows, n, BATCHED, "batch", pc[i][0],
			            pc[i][1], caps[j]);
#ifdef HAVE_POLLFD
	n = add_row(rows, n, FD, "fd", 1, 1, 1024);
	n = add_row(rows, n, FDPOLL, "fdpoll", 1, 1, 1024);
	n = add_row(rows, n, FD, "fd", 4, 4, 1024);
	n = add_row(rows, n, FDPOLL, "fdpoll", 4, 4, 1024);
#endif
#ifdef WORKQ_SELECT_GET
	n = add_row(rows, n, SELECT, "select", 1, 1, 64);
	n = add_row(rows, n, SELECT, "select", 1, 1, 1024);
	n = add_row(rows, n, SELECT, "select", 4, 4, 1024);
#endif
	n = add_row(rows, n, PINGPONG, "pingpong", 1, 1, 1);
#ifdef HAVE_POLLFD
	n = add_row(rows, n, PINGPONG_FD, "pingpong_fd", 1, 1, 1);
#endif
	n = add_row(rows, n, CLOSE, "close_c16", 0, CLOSE_THREADS, 64);
	n = add_row(rows, n, BURSTY, "bursty", 1, 2, BURSTY_CAP);
	return n;
}

static void usage(FILE *f, int status)
{
	fprintf(f,
	        "usage: bench [--quick] [--items N] [--reps R] [--only LIST]\n"
	        "             [--peers LIST] [--cell-s S] [--stall-s S]\n"
	        "             [--trips N] [--close-reps N] [--condition LIST]\n"
	        "             [--hogs N]\n"
	        "  --quick        a smoke run (100000 items, 3 runs, 0.25 s "
	        "per cell,\n"
	        "                 5000 trips, 5 close reps): about a minute "
	        "per condition\n"
	        "  --items N      items per throughput run (1000000)\n"
	        "  --reps R       runs per cell (5)\n"
	        "  --only LIST    rows whose names start with one of these\n"
	        "                 comma separated prefixes (tput,batch_4x4,"
	        "fd,\n"
	        "                 pingpong,close_c16,bursty, ...)\n"
	        "  --peers LIST   workq,textbook,glib,apr (all built ones)\n"
	        "  --cell-s S     wall time the runs of one cell may take "
	        "before\n"
	        "                 its items are scaled down (1.5)\n"
	        "  --stall-s S    a run whose consumers receive nothing for "
	        "S\n"
	        "                 seconds is killed and marked STALLED (3)\n"
	        "  --trips N      ping-pong round trips (50000)\n"
	        "  --close-reps N close_c16 repetitions (20)\n"
	        "  --condition LIST  run the rows again under each of these "
	        "CPU\n"
	        "                 conditions, one table each (quiet):\n"
	        "                 quiet   the machine as it is\n"
	        "                 cpu1    pinned to the first CPU of the "
	        "affinity mask\n"
	        "                 busy    beside N busy-loop processes "
	        "(see --hogs)\n"
	        "                 quota1  in a cgroup with a CFS quota of "
	        "one CPU\n"
	        "                         (root; skipped, with the reason, "
	        "where not\n"
	        "                         possible)\n"
	        "                 neighbour  as busy, each hog in a session "
	        "of its own\n"
	        "                 all     every one, in this order\n"
	        "  --hogs N       busy, neighbour: N hog processes (one per "
	        "CPU of the "
	        "affinity\n"
	        "                 mask)\n"
	        "Results go to stdout as markdown, progress to stderr.\n");
	exit(status);
}

static uint64_t number(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		die("%s: not a number: %s", what, s);
	return v;
}

/* --hogs: 1 to 1024 (0 is the default's mark: one per CPU). */
static unsigned hog_count(const char *v)
{
	uint64_t n = number(v, "--hogs");

	if (n < 1 || n > 1024)
		die("--hogs: 1 to 1024, not %s", v);
	return (unsigned)n;
}

static void conditions(const char *list)
{
	char why[128];

	if (condition_parse(list, &opt.conds, why, sizeof(why)) != 0)
		die("--condition: %s", why);
}

static void parse(int argc, char **argv)
{
	int i;

	/* --quick first, so that explicit options override it. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			opt.items = 100000;
			opt.reps = 3;
			opt.cell_s = 0.25;
			opt.pilot_s = 5;
			opt.trips = 5000;
			opt.close_reps = 5;
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--quick") == 0)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage(stdout, 0);
		if (v == NULL)
			usage(stderr, 2);
		i++;
		if (strcmp(a, "--items") == 0)
			opt.items = number(v, a);
		else if (strcmp(a, "--reps") == 0)
			opt.reps = (int)number(v, a);
		else if (strcmp(a, "--trips") == 0)
			opt.trips = number(v, a);
		else if (strcmp(a, "--close-reps") == 0)
			opt.close_reps = (int)number(v, a);
		else if (strcmp(a, "--cell-s") == 0)
			opt.cell_s = atof(v);
		else if (strcmp(a, "--stall-s") == 0)
			opt.stall_s = atof(v);
		else if (strcmp(a, "--only") == 0)
			opt.only = v;
		else if (strcmp(a, "--peers") == 0)
			opt.peers = v;
		else if (strcmp(a, "--condition") == 0 ||
		         strcmp(a, "--conditions") == 0)
			conditions(v);
		else if (strcmp(a, "--hogs") == 0)
			opt.hogs = hog_count(v);
		else
			usage(stderr, 2);
	}
	if (opt.items < 1000 || opt.reps < 1 || opt.reps > 64 ||
	    opt.trips < 100 || opt.close_reps < 1 || opt.close_reps > 10000 ||
	    !(opt.cell_s > 0) || !(opt.stall_s > 0))
		die("out of range: --items >= 1000, --reps 1..64, --trips "
		    ">= 100, --close-reps 1..10000, --cell-s > 0, "
		    "--stall-s > 0");
}

/* Chooses the peers named by --peers (all built ones by default), in
 * the table's fixed order. */
static void pick_peers(void)
{
	const char *p = opt.peers;
	size_t i, k;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",");

		for (k = 0; k < NKNOWN; k++)
			if (strlen(known_peers[k]) == len &&
			    strncmp(p, known_peers[k], len) == 0)
				break;
		if (k == NKNOWN)
			die("--peers: unknown peer '%.*s' (workq, textbook, "
			    "glib, apr)", (int)len, p);
		p += len;
		if (*p == ',')
			p++;
	}
	for (i = 0; i < NALL; i++) {
		const char *name = all_peers[i]->name;
		size_t len = strlen(name);

		for (p = opt.peers; p != NULL && *p != '\0';) {
			size_t l = strcspn(p, ",");

			if (l == len && strncmp(p, name, len) == 0)
				break;
			p += l;
			if (*p == ',')
				p++;
		}
		if (opt.peers == NULL || *p != '\0')
			peers[npeers++] = all_peers[i];
	}
	if (npeers == 0)
		die("--peers: none of these is built in");
}

/* Measures every peer that takes part in row r, with progress lines on
 * stderr; *done counts the cells so far, of total. */
static void run_row(enum condition cond, const struct row *r,
                    struct cell *row_cells, size_t *done, size_t total)
{
	size_t j;

	for (j = 0; j < npeers; j++) {
		struct cell *c = &row_cells[j];
		double c0 = now_s();

		if (!applies(r, peers[j]))
			continue;
		fprintf(stderr, "[%s %3zu/%zu] %s cap %zu %s ...",
		        condition_name(cond), ++*done, total, r->name, r->cap,
		        peers[j]->name);
		if (is_tput(r->kind))
			cell_tput(r, peers[j], c);
		else if (r->kind == CLOSE)
			cell_close(r, peers[j], c);
		else if (r->kind == BURSTY)
			cell_bursty(r, peers[j], c);
		else
			cell_pingpong(r, peers[j], c);
		fprintf(stderr, " %.3g %s%s (%.1f s)\n", c->med,
		        unit_of(r->kind), c->state == OK ? "" :
		        c->state == STALL ? " STALLED" : " FAIL",
		        now_s() - c0);
	}
}

/*
 * Runs every row under condition cond and prints its table and notes;
 * cells has a row of npeers cells for each row.  Returns 1, or 0 where
 * the condition cannot be had here (the report says why).
 */
static int run_condition(enum condition cond, const struct row *rows,
                         size_t nrows, struct cell *cells)
{
	const char *name = condition_name(cond);
	size_t i, j, done = 0, total = 0;
	char what[600];

	fprintf(stderr, "== condition %s\n", name);
	printf("\n## Condition: %s\n\n", name);
	if (condition_enter(cond, opt.hogs ? opt.hogs : condition_cpus(),
	                    what, sizeof(what)) != 0) {
		printf("%s: skipped (%s)\n", name, what);
		fprintf(stderr, "%s: skipped (%s)\n", name, what);
		fflush(stdout);
		return 0;
	}
	printf("- %s: %s\n", name, what);
	for (i = 0; i < nrows; i++)
		for (j = 0; j < npeers; j++)
			total += applies(&rows[i], peers[j]);
	print_head();
	for (i = 0; i < nrows; i++) {
		run_row(cond, &rows[i], &cells[i * npeers], &done, total);
		printf("| %s | %s | %zu | %s |", name, rows[i].name,
		       rows[i].cap, unit_of(rows[i].kind));
		for (j = 0; j < npeers; j++)
			print_cell(&cells[i * npeers + j]);
		print_ratio(&rows[i], &cells[i * npeers]);
		fflush(stdout);
	}
	condition_leave(cond);

	printf("\n");
	for (i = 0; i < nrows * npeers; i++)
		if (cells[i].note[0] != '\0' && cells[i].state != NA)
			printf("- %s: %s cap %zu, %s: %s\n", name,
			       rows[i / npeers].name, rows[i / npeers].cap,
			       peers[i % npeers]->name, cells[i].note);
	fflush(stdout);
	return 1;
}

/* workq's median, and its last column, in one table over the
 * conditions that ran: how a waiting policy fares in each at a glance. */
static void print_summary(const struct row *rows, size_t nrows,
                          const struct cell *cells, const int *ran)
{
	size_t i, stride = nrows * npeers;
	int k;

	printf("\n## workq in every condition\n\nworkq's median in each "
	       "condition, and (in brackets) the table's last column: its "
	       "speed ÷ the best other peer's in the same condition.\n\n"
	       "| scenario | cap | unit |");
	for (k = 0; k < NCOND; k++)
		if (opt.conds & (1u << k))
			printf(" %s |", condition_name((enum condition)k));
	printf("\n|---|---:|---|");
	for (k = 0; k < NCOND; k++)
		if (opt.conds & (1u << k))
			printf("---:|");
	printf("\n");
	for (i = 0; i < nrows; i++) {
		printf("| %s | %zu | %s |", rows[i].name, rows[i].cap,
		       unit_of(rows[i].kind));
		for (k = 0; k < NCOND; k++) {
			const struct cell *rc = &cells[(size_t)k * stride +
			                               i * npeers];
			const struct cell *w = NULL;
			char m[32], ratio[128];
			size_t j;

			if (!(opt.conds & (1u << k)))
				continue;
			for (j = 0; j < npeers; j++)
				if (peers[j] == &peer_workq)
					w = &rc[j];
			if (!ran[k] || w == NULL) {
				printf(" %s |", ran[k] ? "–" : "skipped");
				continue;
			}
			if (w->state != OK) {
				printf(" %s |", w->state == NA ? "–" :
				       w->state == STALL ? "STALLED" : "FAIL");
				continue;
			}
			ratio_text(&rows[i], rc, ratio, sizeof(ratio));
			printf(" %s (%s) |", num(m, sizeof(m), w->med), ratio);
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct row rows[64];
	struct cell *cells;
	double t0 = now_s();
	int ran[NCOND] = {0}, k, nconds = 0;
	size_t nrows;

	parse(argc, argv);
	pick_peers();
	opt.counted = counter_works();
	nrows = make_rows(rows);
	if (nrows == 0)
		die("--only: no scenario matches '%s'", opt.only);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cells = calloc(NCOND * nrows * npeers, sizeof(*cells));
	if (shm == MAP_FAILED || cells == NULL)
		die("out of memory");
	/* Before any condition: from here on, the hogs and the cgroup are
	 * undone at exit and on a signal. */
	condition_init();

	print_header(argc, argv);
	for (k = 0; k < NCOND; k++)
		if (opt.conds & (1u << k)) {
			ran[k] = run_condition((enum condition)k, rows, nrows,
			                       &cells[(size_t)k * nrows *
			                              npeers]);
			nconds++;
		}
	if (nconds > 1)
		print_summary(rows, nrows, cells, ran);
	printf("\nWhole run: %.0f s.\n", now_s() - t0);
	free(cells);
	return 0;
}
