/*
 * checksum.c - the CRC-32 (as zlib's) of each file named, computed by a
 * workq pool.  Main puts one job per file on a small bounded queue (it
 * waits when the workers fall behind), closes it and joins the pool;
 * results are printed afterwards, in argument order.
 *
 * SIGINT or SIGTERM stops the run.  A signal handler may not call workq
 * (it is not async-signal-safe), so the signals stay blocked in every
 * thread and a thread of ours takes them with sigwait(), then calls
 * workq_discard() to drop the files not started.  The pool finishes the
 * files in hand and ends; we exit with 128 + the signal number.  A
 * second signal exits at once.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <workq.h>

enum { NOT_STARTED, SUMMED, FAILED };

/* One per file.  A worker fills in the result; main reads it only after
 * workq_pool_join. */
struct job {
	const char *path;
	uint32_t crc;
	int state, err;                 /* err: the errno when FAILED */
};

static workq_t *q;
static sigset_t sigs;                   /* SIGINT and SIGTERM */
static int caught;      /* the signal taken, or 0; main reads it after
                         * joining the thread that sets it */
static uint32_t crc_table[256];

static void check(int err, const char *what)
{
	if (err != 0) {
		fprintf(stderr, "checksum: %s: %s\n", what, strerror(err));
		exit(1);
	}
}

/* The pool's item function: checksums one file. */
static void sum_file(void *item, void *arg)
{
	struct job *job = item;
	long ms = *(const long *)arg;
	struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };
	unsigned char buf[8192];
	uint32_t crc = 0xffffffffu;
	size_t n, i;
	FILE *f;

	while (nanosleep(&delay, &delay) != 0)
		;                       /* --delay-ms, for tests; EINTR */
	if ((f = fopen(job->path, "rb")) == NULL) {
		job->err = errno;
		job->state = FAILED;
		return;
	}
	errno = 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (i = 0; i < n; i++)
			crc = crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	job->err = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
	job->state = job->err != 0 ? FAILED : SUMMED;
	job->crc = ~crc;
	fclose(f);              /* read-only: nothing to lose */
}

static void *take_signals(void *arg)
{
	int sig;

	for (;;) {                      /* main cancels us in sigwait */
		check(sigwait(&sigs, &sig), "sigwait");
		if (caught != 0)
			_exit(128 + sig);       /* the second one: stop now */
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		caught = sig;
		/* Drops the jobs not started (they stay NOT_STARTED); main's
		 * workq_put now fails, and the pool ends once the files in
		 * hand are done. */
		check(workq_discard(q, NULL, NULL), "workq_discard");
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	}
	return arg;
}

static void usage(FILE *f, int status)
{
	fputs("Usage: checksum [-j N] [--delay-ms MS] FILE...\n"
	      "Prints the CRC-32 of each FILE, using N threads (default 4).\n"
	      "  --delay-ms MS  wait MS ms before each file (to test SIGINT)\n",
	      f);
	exit(status);
}

/* A whole decimal number in [min, max], or a usage error. */
static long number(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
		usage(stderr, 2);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	long nthreads = 4, delay_ms = 0;
	struct job *jobs;
	workq_pool_t *pool;
	pthread_t sigthread;
	int c, i, n, err, status = 0;

	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': nthreads = number(optarg, 1, 1024); break;
		case 'd': delay_ms = number(optarg, 0, 60000); break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if ((n = argc - optind) < 1)
		usage(stderr, 2);
	if ((jobs = calloc((size_t)n, sizeof(*jobs))) == NULL)
		check(ENOMEM, "calloc");
	for (c = 0; c < 256; c++) {
		uint32_t r = (uint32_t)c;

		for (i = 0; i < 8; i++)
			r = (r >> 1) ^ (0xedb88320u & (0u - (r & 1)));
		crc_table[c] = r;
	}

	/* Block the signals before any thread starts: all inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	check(pthread_sigmask(SIG_BLOCK, &sigs, NULL), "pthread_sigmask");
	check(workq_create(&q, 2 * (size_t)nthreads), "workq_create");
	check(pthread_create(&sigthread, NULL, take_signals, NULL),
	      "pthread_create");
	check(workq_pool_start(&pool, q, (size_t)nthreads, sum_file, &delay_ms),
	      "workq_pool_start");
	for (i = 0; i < n; i++) {
		jobs[i].path = argv[optind + i];
		/* WORKQ_CLOSED: a signal came and discard closed the queue. */
		if ((err = workq_put(q, &jobs[i])) == WORKQ_CLOSED)
			break;
		check(err, "workq_put");
	}
	check(workq_close(q), "workq_close");
	check(workq_pool_join(pool), "workq_pool_join");
	check(pthread_cancel(sigthread), "pthread_cancel");
	check(pthread_join(sigthread, NULL), "pthread_join");
	check(workq_destroy(q), "workq_destroy");

	for (i = 0; i < n; i++) {
		if (jobs[i].state == SUMMED)
			printf("%08lx  %s\n", (unsigned long)jobs[i].crc,
			       jobs[i].path);
		if (jobs[i].state == FAILED) {
			fprintf(stderr, "checksum: %s: %s\n", jobs[i].path,
			        strerror(jobs[i].err));
			status = 1;
		}
	}
	if (caught != 0) {
		fprintf(stderr, "checksum: interrupted\n");
		status = 128 + caught;
	}
	free(jobs);
	return fflush(stdout) == 0 ? status : 1;
}
