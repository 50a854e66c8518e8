/*
 * floor: what the machine itself allows a hand-off between two threads,
 * with no queue at all, in two settings.  `make bench` prints both after
 * its tables.
 *
 * Across two cores: two threads take turns incrementing one counter;
 * each turn moves the counter's cache line from one core to the other.
 * A queue of capacity 1 moves each item with at least two such transfers
 * (the slot to the consumer, the free slot back to the producer), so
 * 1 / (2 x transfer) bounds its items per second when producer and
 * consumer run on different cores: read the capacity-1 rows against it.
 * Left out where the process may use only one CPU.
 *
 * On one core: both threads pinned to one CPU hand a token back and
 * forth with nothing but a mutex and a condition variable (each waits
 * for its turn, flips the turn, signals).  Each hand-off is a sleep and
 * a switch to the other thread: what a queue whose ends share a CPU
 * pays if its waiters simply sleep.  Read the ping-pong row of
 * `bench/bench --condition cpu1` against it: far above it, the queue
 * wastes the shared CPU (spinning while the other end cannot run).
 *
 * Usage: bench/floor [turns [round-trips]]  (defaults 2,000,000 and
 * 20,000; median of 9 runs each)
 */
#include <config.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 9

static unsigned long turns = 2000000;
static unsigned long trips = 20000;

/* The counter alone on its line (128: the adjacent-line prefetcher too). */
static struct {
	unsigned long turn;
	char pad[128 - sizeof(unsigned long)];
} line __attribute__((aligned(128)));

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Thread `me` (0 or 1) moves the counter on at each of its turns. */
static void *take_turns(void *arg)
{
	unsigned long me = (unsigned long)arg;
	unsigned long i;

	for (i = me; i < turns; i += 2) {
		while (__atomic_load_n(&line.turn, __ATOMIC_ACQUIRE) != i)
			relax();
		__atomic_store_n(&line.turn, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Nanoseconds per transfer in one run, or a negative value on error.
 * The calling thread takes the odd turns itself. */
static double one_run(void)
{
	pthread_t th;
	double t0;
	int err;

	__atomic_store_n(&line.turn, 0, __ATOMIC_RELEASE);
	t0 = now_ns();
	err = pthread_create(&th, NULL, take_turns, (void *)0UL);
	if (err != 0) {
		fprintf(stderr, "floor: pthread_create: %s\n", strerror(err));
		return -1;
	}
	take_turns((void *)1UL);
	pthread_join(th, NULL);
	return (now_ns() - t0) / (double)turns;
}

/* ------------------------------------------------------------------ */
/* One core: a token passed with a mutex and a condition variable      */
/* ------------------------------------------------------------------ */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long turn;     /* guarded by mu: even, thread 0 moves */
} token = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

/* Thread `me` (0 or 1) waits for each of its turns, passes the token
 * on and signals; two turns are one round trip. */
static void *pass_token(void *arg)
{
	unsigned long me = (unsigned long)arg;
	unsigned long i;

	pthread_mutex_lock(&token.mu);
	for (i = me; i < 2 * trips; i += 2) {
		while (token.turn != i)
			pthread_cond_wait(&token.cv, &token.mu);
		token.turn = i + 1;
		pthread_cond_signal(&token.cv);
	}
	pthread_mutex_unlock(&token.mu);
	return NULL;
}

/* Nanoseconds per round trip in one run on one CPU, or a negative
 * value on error.  The calling thread is pinned already; the other one
 * inherits its mask. */
static double one_cv_run(void)
{
	pthread_t th;
	double t0;
	int err;

	token.turn = 0;
	t0 = now_ns();
	err = pthread_create(&th, NULL, pass_token, (void *)0UL);
	if (err != 0) {
		fprintf(stderr, "floor: pthread_create: %s\n", strerror(err));
		return -1;
	}
	pass_token((void *)1UL);
	pthread_join(th, NULL);
	return (now_ns() - t0) / (double)trips;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of RUNS runs of fn into ns[] (sorted); -1 on error. */
static int runs(double (*fn)(void), double *ns)
{
	int i;

	for (i = 0; i < RUNS; i++)
		if ((ns[i] = fn()) < 0)
			return -1;
	qsort(ns, RUNS, sizeof ns[0], by_value);
	return 0;
}

static int two_cores(void)
{
	double ns[RUNS];

	if (runs(one_run, ns) != 0)
		return 1;
	printf("floor: one cache-line transfer between two threads: "
	       "median %.0f ns [%.0f-%.0f] of %d runs\n",
	       ns[RUNS / 2], ns[0], ns[RUNS - 1], RUNS);
	printf("floor: so capacity 1 across two cores moves at most "
	       "%.1f M items/s (two transfers per item)\n",
	       1e3 / (2 * ns[RUNS / 2]));
	return 0;
}

/* Pins the process (this one thread) to the first CPU of its mask for
 * the condvar runs, and restores the mask after. */
static int one_core(void)
{
	cpu_set_t was, one;
	double ns[RUNS];
	int cpu, err;

	if (sched_getaffinity(0, sizeof(was), &was) != 0) {
		perror("floor: sched_getaffinity");
		return 1;
	}
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &was); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu < CPU_SETSIZE ? cpu : 0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0) {
		perror("floor: sched_setaffinity");
		return 1;
	}
	err = runs(one_cv_run, ns);
	sched_setaffinity(0, sizeof(was), &was);
	if (err != 0)
		return 1;
	printf("floor: a mutex+condvar token round trip between two "
	       "threads on one CPU (%d): median %.0f ns [%.0f-%.0f] of %d "
	       "runs of %lu\n", cpu, ns[RUNS / 2], ns[0], ns[RUNS - 1], RUNS,
	       trips);
	printf("floor: what a bare sleep-and-wake hand-off costs on one "
	       "CPU: read the cpu1 pingpong row (bench --condition cpu1) "
	       "against it\n");
	return 0;
}

int main(int argc, char **argv)
{
	cpu_set_t mask;

	if ((argc > 1 && (turns = strtoul(argv[1], NULL, 10)) < 2) ||
	    (argc > 2 && (trips = strtoul(argv[2], NULL, 10)) < 1) ||
	    argc > 3) {
		fprintf(stderr, "usage: %s [turns >= 2 [round-trips >= 1]]\n",
		        argv[0]);
		return 2;
	}
	/* Spinning turns on one CPU would wait out a time slice per turn. */
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0 &&
	    CPU_COUNT(&mask) < 2)
		printf("floor: one CPU allowed: no transfer between cores to "
		       "time\n");
	else if (two_cores() != 0)
		return 1;
	return one_core();
}
