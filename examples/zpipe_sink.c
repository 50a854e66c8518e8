/*
 * zpipe_sink.c - the sink: collects every result, checks that each job
 * 1..count came back exactly once with the right hash, and ends the
 * stream: once END has said how many jobs there were and that many
 * results are in, it publishes STOP, again every 100 ms (a subscriber
 * that connected late still gets one), until every worker has sent
 * its REPORT and the ventilator its ACK.  Then the totals must agree.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "zpipe.h"

#define STOP_EVERY_MS 100

/* What one worker sent. */
struct tally {
	char name[ZPIPE_MAX_NAME + 1];
	unsigned long results;          /* RES messages */
	unsigned long count, full;      /* from its REPORT */
	int reported;
};

/* The sink's state; one thread. */
struct sink {
	unsigned char *seen;            /* seen[n]: job n's result is in */
	unsigned long seen_len;
	unsigned long received;         /* distinct results */
	unsigned long total;            /* from END, once ended */
	int ended, acked;
	unsigned long stalls;           /* from the ventilator's ACK */
	unsigned char *payload;         /* scratch, to recompute hashes */
	size_t payload_len;
	struct tally *w;                /* [workers] */
	unsigned long nw, reports;
	const struct zpipe_opts *o;
};

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("zpipe sink: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* The worker called name; a new one while fewer than --workers. */
static struct tally *find(struct sink *s, const char *name)
{
	unsigned long i;

	for (i = 0; i < s->nw; i++)
		if (strcmp(s->w[i].name, name) == 0)
			return &s->w[i];
	if (s->nw == s->o->workers)
		fail("results from more than the %lu workers expected",
		     s->o->workers);
	strcpy(s->w[s->nw].name, name);
	return &s->w[s->nw++];
}

/* Room for seen[n] and a payload of size bytes. */
static void grow(struct sink *s, unsigned long n, size_t size)
{
	void *p;

	if (n >= s->seen_len) {
		unsigned long len = n < 1024 ? 2048 : 2 * n;

		if ((p = realloc(s->seen, len)) == NULL)
			fail("out of memory for %lu jobs", n);
		memset((unsigned char *)p + s->seen_len, 0, len - s->seen_len);
		s->seen = p;
		s->seen_len = len;
	}
	if (size > s->payload_len) {
		if ((p = realloc(s->payload, size)) == NULL)
			fail("out of memory for a %zu-byte payload", size);
		s->payload = p;
		s->payload_len = size;
	}
}

/* RES n size hash name: job n, once, with job n's hash. */
static void result(struct sink *s, const char *msg)
{
	char name[ZPIPE_MAX_NAME + 1];
	unsigned long n;
	uint64_t hash;
	size_t size;

	if (sscanf(msg, "RES %lu %zu %" SCNx64 " %64s", &n, &size, &hash,
	           name) != 4 || n == 0 || n > ZPIPE_MAX_JOBS ||
	    size > ZPIPE_MAX_SIZE)
		fail("a malformed result: %s", msg);
	if (s->ended && n > s->total)
		fail("job %lu came back, but it was never sent", n);
	grow(s, n, size);
	if (s->seen[n])
		fail("job %lu came back twice", n);
	s->seen[n] = 1;
	s->received++;
	zpipe_payload(n, s->payload, size);
	if (zpipe_hash(s->payload, size) != hash)
		fail("job %lu came back with a wrong hash", n);
	find(s, name)->results++;
}

/* REPORT name count full: sent after the worker's last result, on the
 * same socket, so its count must be what arrived from it. */
static void report(struct sink *s, const char *msg)
{
	char name[ZPIPE_MAX_NAME + 1];
	unsigned long count, full;
	struct tally *t;

	if (sscanf(msg, "REPORT %64s %lu %lu", name, &count, &full) != 3)
		fail("a malformed report: %s", msg);
	t = find(s, name);
	if (t->reported)
		fail("worker %s reported twice", name);
	if (count != t->results)
		fail("worker %s reported %lu jobs but sent %lu", name, count,
		     t->results);
	t->reported = 1;
	t->count = count;
	t->full = full;
	s->reports++;
}

/* END count: the ventilator has sent every job. */
static void end(struct sink *s, const char *msg)
{
	unsigned long n;

	if (s->ended || sscanf(msg, "END %lu", &s->total) != 1)
		fail("a malformed or second END: %s", msg);
	s->ended = 1;
	for (n = s->total + 1; n < s->seen_len; n++)
		if (s->seen[n])
			fail("job %lu came back, but it was never sent", n);
}

static void handle(struct sink *s, const char *msg)
{
	if (strncmp(msg, "RES ", 4) == 0)
		result(s, msg);
	else if (strncmp(msg, "REPORT ", 7) == 0)
		report(s, msg);
	else if (strncmp(msg, "END ", 4) == 0)
		end(s, msg);
	else if (sscanf(msg, "ACK %*u %lu", &s->stalls) == 1)
		s->acked = 1;
	else
		fail("an unknown message: %.40s", msg);
}

/* What is still missing, for the timeout's message. */
static void say_missing(const struct sink *s)
{
	fprintf(stderr, "zpipe sink: nothing for %d ms; have %lu results "
	        "(%s), %lu of %lu reports, %s\n", s->o->timeout_ms,
	        s->received, s->ended ? "END seen" : "no END yet",
	        s->reports, s->o->workers,
	        s->acked ? "the ventilator's ACK" : "no ACK");
	exit(1);
}

/* Receives until the stream has ended and everyone has answered STOP.
 * Every wait is bounded: nothing new for the timeout is a failure. */
static void collect(struct sink *s, void *results, void *control)
{
	zmq_pollitem_t item = { results, 0, ZMQ_POLLIN, 0 };
	long last = zpipe_now_ms(), stop_at = 0;
	char msg[128 + ZPIPE_MAX_NAME];
	int all_in, rc;

	for (;;) {
		all_in = s->ended && s->received == s->total;
		if (all_in && s->reports == s->o->workers && s->acked)
			return;
		if (all_in && zpipe_now_ms() >= stop_at) {
			if (zpipe_send(control, "STOP", 4) != 0)
				zpipe_die("publishing STOP");
			stop_at = zpipe_now_ms() + STOP_EVERY_MS;
		}
		rc = zmq_poll(&item, 1, all_in ? STOP_EVERY_MS
		                               : s->o->timeout_ms);
		if (rc > 0 && zpipe_recv(results, msg, sizeof(msg)) >= 0) {
			handle(s, msg);
			last = zpipe_now_ms();
		} else if (zpipe_now_ms() - last >= s->o->timeout_ms) {
			say_missing(s);
		}
	}
}

static void print(const struct sink *s)
{
	unsigned long i, sum = 0;

	for (i = 0; i < s->nw; i++) {
		printf("sink: worker %s ran %lu jobs (queue full %lu times)\n",
		       s->w[i].name, s->w[i].count, s->w[i].full);
		sum += s->w[i].count;
	}
	if (sum != s->total)
		fail("the reports add up to %lu jobs, not %lu", sum, s->total);
	printf("sink: %lu jobs, each exactly once, from %lu workers; "
	       "the ventilator waited %lu times\n", s->total, s->nw,
	       s->stalls);
}

int zpipe_sink(const struct zpipe_opts *o)
{
	struct sink s = { NULL, 0, 0, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, o };
	void *ctx = zmq_ctx_new();
	void *results, *control;

	if (ctx == NULL || (s.w = calloc(o->workers, sizeof(*s.w))) == NULL)
		zpipe_die("setting up");
	results = zpipe_socket(ctx, ZMQ_PULL, o);
	zpipe_bind(results, o->results);
	control = zpipe_socket(ctx, ZMQ_PUB, o);
	zpipe_setopt(control, ZMQ_LINGER, 0);
	zpipe_bind(control, o->control);
	collect(&s, results, control);
	/* received == total with no duplicate and none above total:
	 * every job 1..total came back exactly once. */
	print(&s);
	free(s.seen);
	free(s.payload);
	free(s.w);
	zmq_close(results);
	zmq_close(control);
	zmq_ctx_term(ctx);
	return 0;
}
