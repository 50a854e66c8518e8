/*
 * eventloop.c - workq in an epoll loop.  Pool workers test 1..COUNT for
 * primality and put each answer into a second, "results" queue.  Main
 * blocks only in epoll_wait, on workq_pollfd(results) and a 100 ms timer
 * (progress lines).  Each round it feeds jobs with workq_try_put and drains
 * results with workq_try_get, both until EAGAIN, so neither side waits on
 * the other.  All fed, it closes the jobs and polls the pool with a zero
 * timeout; once the pool is joined it closes the results queue, whose
 * descriptor stays readable: try_get says WORKQ_CLOSED, the loop ends.
 */
#define _GNU_SOURCE 1   /* timerfd */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <workq.h>

/* A job, then its result: the same struct travels through both queues. */
struct task {
	unsigned long n;
	int prime;
};

static void check(int err, const char *what)
{
	if (err != 0) {
		fprintf(stderr, "eventloop: %s: %s\n", what, strerror(err));
		exit(1);
	}
}

static int sys(int ret, const char *what)       /* -1 and errno */
{
	if (ret < 0)
		check(errno, what);
	return ret;
}

/* The pool's item function; arg is the results queue. */
static void test_prime(void *item, void *arg)
{
	struct task *t = item;
	unsigned long d;

	t->prime = t->n >= 2;
	for (d = 2; t->prime && d <= t->n / d; d++)
		t->prime = t->n % d != 0;
	/* Waits while main is behind.  Never WORKQ_CLOSED: main closes the
	 * results queue only once the pool is joined. */
	check(workq_put(arg, t), "workq_put");
}

static void usage(FILE *f, int status)
{
	fputs("Usage: eventloop [-j|--jobs N] [-n|--count COUNT]\n"
	      "Counts the primes in 1..COUNT (default 200000) with N worker\n"
	      "threads (default 4), gathering the results in an epoll loop.\n",
	      f);
	exit(status);
}

static unsigned long number(const char *s, unsigned long min)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > 100000000)
		usage(stderr, 2);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct itimerspec tick = { { 0, 100000000L }, { 0, 100000000L } };
	struct timespec zero = { 0, 0 };
	struct epoll_event ev, evs[2];
	unsigned long nworkers = 4, count = 200000;
	unsigned long fed = 0, got = 0, primes = 0;
	struct task *tasks;             /* one per number, made up front */
	workq_t *jobs, *results;
	workq_pool_t *pool;
	int c, i, n, err, rfd, tfd, ep, running = 1, finished = 0;
	unsigned long long ticks;       /* a timerfd reads as 8 bytes */
	void *item;

	while ((c = getopt_long(argc, argv, "j:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': nworkers = number(optarg, 1); break;
		case 'n': count = number(optarg, 0); break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if ((tasks = calloc(count + 1, sizeof(*tasks))) == NULL)
		check(ENOMEM, "calloc");
	check(workq_create(&jobs, 64), "workq_create");
	check(workq_create(&results, 64), "workq_create");
	check(workq_pollfd(results, &rfd), "workq_pollfd");
	tfd = sys(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), "timerfd");
	sys(timerfd_settime(tfd, 0, &tick, NULL), "timerfd_settime");
	ep = sys(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
	for (i = 0; i < 2; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;    /* level-triggered */
		ev.data.fd = i == 0 ? rfd : tfd;
		sys(epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev), "epoll_ctl");
	}
	check(workq_pool_start(&pool, jobs, nworkers, test_prime, results),
	      "workq_pool_start");

	while (!finished) {
		while (fed < count) {   /* a full queue empties as we drain */
			tasks[fed].n = fed + 1;
			if ((err = workq_try_put(jobs, &tasks[fed])) == EAGAIN)
				break;
			check(err, "workq_try_put");
			fed++;
		}
		if (running && fed == count) {  /* close is idempotent */
			check(workq_close(jobs), "workq_close");
			err = workq_pool_timed_join(pool, &zero);
			if (err != ETIMEDOUT) {
				check(err, "workq_pool_timed_join");
				running = 0;
				check(workq_close(results), "workq_close");
			}
		}
		if ((n = epoll_wait(ep, evs, 2, -1)) < 0 && errno != EINTR)
			check(errno, "epoll_wait");
		for (i = 0; i < n; i++)
			if (evs[i].data.fd == tfd) {
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					check(errno, "read");
				printf("progress: %lu/%lu tested, %lu primes\n",
				       got, count, primes);
			}
		/* Level-triggered: whatever we leave wakes us again. */
		while ((err = workq_try_get(results, &item)) == 0) {
			got++;
			primes += (unsigned long)((struct task *)item)->prime;
		}
		finished = err == WORKQ_CLOSED;
		if (!finished)
			check(err == EAGAIN ? 0 : err, "workq_try_get");
	}
	check(workq_destroy(results), "workq_destroy");
	check(workq_destroy(jobs), "workq_destroy");
	sys(close(ep), "close");
	sys(close(tfd), "close");
	free(tasks);
	if (got != count)
		check(EPROTO, "results lost");
	printf("%lu numbers tested by %lu workers: %lu primes\n", count,
	       nworkers, primes);
	return fflush(stdout) == 0 ? 0 : 1;
}
