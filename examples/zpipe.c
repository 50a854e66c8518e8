/*
 * zpipe.c - a job stream across processes and hosts with ZeroMQ, each
 * worker process running its share on a bounded workq pool.  This file
 * reads the command line and holds the helpers the roles share; each
 * role has its own file (zpipe_vent.c, zpipe_worker.c, zpipe_sink.c).
 *
 * Try, in three terminals (or with & in one):
 *   examples/zpipe sink --workers 2
 *   examples/zpipe worker --name A    examples/zpipe worker --name B
 *   examples/zpipe ventilator --count 10000
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "zpipe.h"

const char *zpipe_role = "zpipe";

static void usage(FILE *f, int status)
{
	fputs("Usage: zpipe ventilator|worker|sink [options]\n"
	      "  --jobs EP       jobs endpoint: the ventilator binds it\n"
	      "                  (tcp://*:5557), workers connect to it\n"
	      "                  (tcp://localhost:5557)\n"
	      "  --results EP    results endpoint: the sink binds it, the\n"
	      "                  others connect (port 5558)\n"
	      "  --control EP    STOP endpoint: the sink binds it, the\n"
	      "                  others connect (port 5559)\n"
	      "  --count N       ventilator: jobs to send (1000)\n"
	      "  --size BYTES    ventilator: payload per job (64)\n"
	      "  --workers N     sink: how many workers report (1)\n"
	      "  --threads N     worker: pool threads (2)\n"
	      "  --capacity N    worker: queue capacity (8)\n"
	      "  --work-us US    worker: time a job takes, simulated (0)\n"
	      "  --name NAME     worker: its name (host:pid)\n"
	      "  --hwm N         high-water mark of the job sockets (16)\n"
	      "  --timeout-ms MS the longest wait for anything (10000)\n"
	      "Every worker must name a distinct --name; the sink's --workers\n"
	      "must be the number of workers started.  Exit 0: every job ran\n"
	      "once and every process saw the end; 1: a failure, said on\n"
	      "stderr; 2: a usage error.\n", f);
	exit(status);
}

/* A whole decimal number in [min, max], or a usage error. */
static unsigned long number(const char *s, unsigned long min,
                            unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE ||
	    v < min || v > max)
		usage(stderr, 2);
	return v;
}

/* Endpoints nobody named: a role binds on every interface and
 * connects to this host. */
static void default_endpoints(struct zpipe_opts *o, int binds_jobs,
                              int binds_results)
{
	if (o->jobs == NULL)
		o->jobs = binds_jobs ? "tcp://*:5557" : "tcp://localhost:5557";
	if (o->results == NULL)
		o->results = binds_results ? "tcp://*:5558"
		                           : "tcp://localhost:5558";
	if (o->control == NULL)
		o->control = binds_results ? "tcp://*:5559"
		                           : "tcp://localhost:5559";
}

static void parse(struct zpipe_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "results", required_argument, NULL, 'r' },
		{ "control", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "capacity", required_argument, NULL, 'q' },
		{ "work-us", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'N' },
		{ "hwm", required_argument, NULL, 'H' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "duplicate", no_argument, NULL, 'D' },    /* tests only */
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o->jobs = optarg; break;
		case 'r': o->results = optarg; break;
		case 'c': o->control = optarg; break;
		case 'n': o->count = number(optarg, 0, ZPIPE_MAX_JOBS); break;
		case 's': o->size = number(optarg, 0, ZPIPE_MAX_SIZE); break;
		case 'w': o->workers = number(optarg, 1, 1000); break;
		case 't': o->threads = number(optarg, 1, 256); break;
		case 'q': o->capacity = number(optarg, 0, 1000000); break;
		case 'u': o->work_us = (long)number(optarg, 0, 10000000); break;
		case 'H': o->hwm = (int)number(optarg, 1, 1000000); break;
		case 'T': o->timeout_ms = (int)number(optarg, 1, INT_MAX); break;
		case 'D': o->duplicate = 1; break;
		case 'N':
			if (strlen(optarg) < 1 || strlen(optarg) > ZPIPE_MAX_NAME ||
			    strchr(optarg, ' ') != NULL)
				usage(stderr, 2);
			strcpy(o->name, optarg);
			break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
}

int main(int argc, char **argv)
{
	struct zpipe_opts o = { NULL, NULL, NULL, "", 1000, 64, 1, 2, 8,
	                        16, 0, 10000, 0 };

	if (argc < 2)
		usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	zpipe_role = argv[1];
	parse(&o, argc - 1, argv + 1);
	if (o.name[0] == '\0') {
		char host[ZPIPE_MAX_NAME - 12] = "";

		gethostname(host, sizeof(host) - 1);
		snprintf(o.name, sizeof(o.name), "%s:%ld", host,
		         (long)getpid());
	}
	if (strcmp(zpipe_role, "ventilator") == 0) {
		default_endpoints(&o, 1, 0);
		return zpipe_ventilator(&o);
	}
	if (strcmp(zpipe_role, "worker") == 0) {
		default_endpoints(&o, 0, 0);
		return zpipe_worker(&o);
	}
	if (strcmp(zpipe_role, "sink") == 0) {
		default_endpoints(&o, 0, 1);
		return zpipe_sink(&o);
	}
	usage(stderr, 2);
	return 2;
}

/* ------------------------------------------------------------------ */
/* The messages                                                        */
/* ------------------------------------------------------------------ */

/* Job n's payload: bytes from a xorshift generator seeded by n, so
 * that each job carries different data and anyone can recompute it. */
void zpipe_payload(unsigned long n, unsigned char *buf, size_t size)
{
	uint64_t x = (uint64_t)n * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 56);
	}
}

/* 64-bit FNV-1a: the work a worker does on a payload. */
uint64_t zpipe_hash(const unsigned char *buf, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

void zpipe_die(const char *what)
{
	fprintf(stderr, "zpipe %s: %s: %s\n", zpipe_role, what,
	        zmq_strerror(zmq_errno()));
	exit(1);
}

void zpipe_setopt(void *sock, int option, int value)
{
	if (zmq_setsockopt(sock, option, &value, sizeof(value)) != 0)
		zpipe_die("zmq_setsockopt");
}

/* A socket whose every wait is bounded: a send or receive that would
 * wait longer than the timeout fails with EAGAIN, and closing waits at
 * most that long to deliver what is still queued (ZMQ_LINGER; the
 * default, forever, would let a lost peer hang the process at exit). */
void *zpipe_socket(void *ctx, int type, const struct zpipe_opts *o)
{
	void *sock = zmq_socket(ctx, type);

	if (sock == NULL)
		zpipe_die("zmq_socket");
	zpipe_setopt(sock, ZMQ_LINGER, o->timeout_ms);
	zpipe_setopt(sock, ZMQ_SNDTIMEO, o->timeout_ms);
	zpipe_setopt(sock, ZMQ_RCVTIMEO, o->timeout_ms);
	return sock;
}

void zpipe_bind(void *sock, const char *endpoint)
{
	if (zmq_bind(sock, endpoint) != 0)
		zpipe_die(endpoint);
}

/* Connecting never waits: ZeroMQ keeps trying in the background, so
 * the processes may start in any order. */
void zpipe_connect(void *sock, const char *endpoint)
{
	if (zmq_connect(sock, endpoint) != 0)
		zpipe_die(endpoint);
}

/* Sends one frame, waiting at most the socket's ZMQ_SNDTIMEO.
 * Returns 0, or -1 with zmq_errno() set (EAGAIN: timed out). */
int zpipe_send(void *sock, const void *buf, size_t len)
{
	while (zmq_send(sock, buf, len, 0) < 0)
		if (zmq_errno() != EINTR)
			return -1;
	return 0;
}

/* Receives one frame into buf as a string (cut to cap - 1 bytes),
 * waiting at most the socket's ZMQ_RCVTIMEO.  Returns its length, or
 * -1 with zmq_errno() set (EAGAIN: timed out). */
int zpipe_recv(void *sock, char *buf, size_t cap)
{
	int n;

	while ((n = zmq_recv(sock, buf, cap - 1, 0)) < 0)
		if (zmq_errno() != EINTR)
			return -1;
	if ((size_t)n > cap - 1)
		n = (int)(cap - 1);
	buf[n] = '\0';
	return n;
}

long zpipe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
