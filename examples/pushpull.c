/*
 * pushpull.c - the asyncio program of the blog post "More asyncio queues",
 * ported to C with real threads.  A pusher puts the numbers 0..19, one
 * every 0.5 s, then the done sentinel.  Pullers print what they get and
 * "work" on it for a random time; one that gets the sentinel re-posts it,
 * as the Python program does, and returns.  Main joins them all.
 * Try:  ./examples/pushpull --pullers Fred,George,Ron --seed 1
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <workq.h>

#define NAME_MAX_LEN 32

struct puller {
	pthread_t thread;
	char label[NAME_MAX_LEN + 1];   /* the name, centred in 6 columns */
	unsigned seed;                  /* this thread's own rand_r() state */
};

/* Set by main before any thread starts, read-only afterwards. */
static workq_t *q;
static long n_items = 20, interval_ms = 500, max_work_ms = 3000;
static int *values;                     /* the items point at these */

static void check(int err, const char *what)
{
	if (err != 0) {
		fprintf(stderr, "pushpull: %s: %s\n", what, strerror(err));
		exit(1);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;                       /* EINTR: sleep the rest */
}

static void *push(void *arg)
{
	long i;

	for (i = 0; i < n_items; i++) {
		check(workq_put(q, &values[i]), "workq_put");
		sleep_ms(interval_ms);
	}
	/* The seed's "put DONE_SIGNAL": the same as workq_close(q). */
	check(workq_put(q, WORKQ_DONE), "workq_put");
	return arg;
}

/* One printf per line, flushed at once: lines never interleave, also
 * when stdout is a pipe or a file. */
#define SAY(...) (printf(__VA_ARGS__), fflush(stdout))

static void *pull(void *arg)
{
	struct puller *p = arg;
	void *item;
	int err;

	while ((err = workq_get(q, &item)) == 0) {
		SAY("[%s] Got item: %d (size %zu)\n", p->label, *(int *)item,
		    workq_size(q));
		/* As the seed's random.random() * 3, in ms. */
		sleep_ms((long)(rand_r(&p->seed) / (RAND_MAX + 1.0) *
		                (double)max_work_ms));
		check(workq_task_done(q), "workq_task_done");
	}
	check(err == WORKQ_CLOSED ? 0 : err, "workq_get");
	/* Closed and drained: item is WORKQ_DONE. */
	SAY("[%s] Got item: DONE_SIGNAL (size %zu)\n", p->label, workq_size(q));
	/* As the seed does.  workq shows the sentinel to every puller
	 * anyway; this put is a close, which never waits. */
	check(workq_put(q, WORKQ_DONE), "workq_put");
	SAY("[%s] Done\n", p->label);
	return NULL;
}

static void usage(FILE *f, int status)
{
	fputs("Usage: pushpull [--items N] [--interval-ms MS]\n"
	      "                [--max-work-ms MS] [--pullers NAME,...]\n"
	      "                [--seed S] [--help]\n"
	      "Defaults: 20 items, one every 500 ms; pullers Fred,George\n"
	      "(names of 1 to 32 characters) working up to 3000 ms on an\n"
	      "item; seed from the clock.\n", f);
	exit(status);
}

/* A whole decimal number in [0, INT_MAX], or a usage error.  Where long
 * is 32 bits, INT_MAX is also what strtol returns for a number too big
 * for it, so only ERANGE tells those apart. */
static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE ||
	    v > INT_MAX)
		usage(stderr, 2);
	return v;
}

/* Splits "A,Bob,Carol" into pullers, each with its centred label. */
static struct puller *parse_names(const char *name, size_t *np)
{
	struct puller *p;
	size_t i, n = 1, len, pad;

	for (i = 0; name[i] != '\0'; i++)
		n += name[i] == ',';
	if ((p = calloc(n, sizeof(*p))) == NULL)
		check(ENOMEM, "calloc");
	for (i = 0; i < n; i++, name += len + 1) {
		if ((len = strcspn(name, ",")) == 0 || len > NAME_MAX_LEN)
			usage(stderr, 2);
		/* As Python's f"{name:^6}": an odd space goes on the right. */
		pad = len < 6 ? 6 - len : 0;
		snprintf(p[i].label, sizeof(p[i].label), "%*s%.*s%*s",
		         (int)(pad / 2), "", (int)len, name,
		         (int)(pad - pad / 2), "");
	}
	*np = n;
	return p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "items", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "max-work-ms", required_argument, NULL, 'w' },
		{ "pullers", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *names = "Fred,George";
	unsigned long seed = (unsigned long)time(NULL);
	struct puller *pullers;
	pthread_t pusher;
	size_t i, n;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n_items = number(optarg); break;
		case 'i': interval_ms = number(optarg); break;
		case 'w': max_work_ms = number(optarg); break;
		case 'p': names = optarg; break;
		case 's': seed = (unsigned long)number(optarg); break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	pullers = parse_names(names, &n);
	if ((values = malloc(((size_t)n_items + 1) * sizeof(int))) == NULL)
		check(ENOMEM, "malloc");
	for (i = 0; i < (size_t)n_items; i++)
		values[i] = (int)i;

	/* asyncio.Queue() is unbounded; 64 slots are as good for 20 items.
	 * With more, the pusher simply waits for room (backpressure). */
	check(workq_create(&q, 64), "workq_create");
	check(pthread_create(&pusher, NULL, push, NULL), "pthread_create");
	for (i = 0; i < n; i++) {
		pullers[i].seed = (unsigned)(seed + i);
		check(pthread_create(&pullers[i].thread, NULL, pull,
		                     &pullers[i]), "pthread_create");
	}
	check(pthread_join(pusher, NULL), "pthread_join");
	for (i = 0; i < n; i++)
		check(pthread_join(pullers[i].thread, NULL), "pthread_join");
	printf("Queue size is now %zu\n", workq_size(q));
	check(workq_destroy(q), "workq_destroy");
	free(values);
	free(pullers);
	return fflush(stdout) == 0 ? 0 : 1;
}
