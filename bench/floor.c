/*
 * floor: what the machine itself allows a hand-off between two threads,
 * with no queue at all.  Two threads take turns incrementing one counter;
 * each turn moves the counter's cache line from one core to the other.
 *
 * A queue of capacity 1 moves each item with at least two such transfers
 * (the slot to the consumer, the free slot back to the producer), so
 * 1 / (2 x transfer) bounds its items per second when producer and
 * consumer run on different cores.  `make bench` prints this after its
 * table, so that the capacity-1 rows can be read against it.
 *
 * Usage: bench/floor [turns]  (default 2,000,000; median of 9 runs)
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 9

static unsigned long turns = 2000000;

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

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double ns[RUNS];
	int i;

	if (argc > 1 && (turns = strtoul(argv[1], NULL, 10)) < 2) {
		fprintf(stderr, "usage: %s [turns >= 2]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < RUNS; i++)
		if ((ns[i] = one_run()) < 0)
			return 1;
	qsort(ns, RUNS, sizeof ns[0], by_value);
	printf("floor: one cache-line transfer between two threads: "
	       "median %.0f ns [%.0f-%.0f] of %d runs\n",
	       ns[RUNS / 2], ns[0], ns[RUNS - 1], RUNS);
	printf("floor: so capacity 1 across two cores moves at most "
	       "%.1f M items/s (two transfers per item)\n",
	       1e3 / (2 * ns[RUNS / 2]));
	return 0;
}
