/*
 * zpipe.h - what the three roles of examples/zpipe share: the options,
 * the messages on the wire, and small ZeroMQ helpers (zpipe.c).
 *
 * The pipeline (doc/beyond-one-machine.md draws it):
 *
 *   ventilator --PUSH jobs--> workers --PUSH results--> sink
 *        \______________PUSH END, ACK_______________/  |
 *   ventilator, workers <--------SUB STOP----------- PUB
 *
 * Messages are one frame each, text, so that hosts of any byte order
 * and word size can take part:
 *   JOB n\n<payload>       ventilator -> a worker (n = 1..count)
 *   RES n size hash name   worker -> sink, one per job run
 *   REPORT name count full worker -> sink, last, once its pool is joined
 *   END count              ventilator -> sink, after the last JOB
 *   STOP                   sink -> everyone, once every result is in
 *   ACK count full         ventilator -> sink, once it has seen STOP
 * The payload of job n is zpipe_payload(n), so the sink can check each
 * result's hash without ever seeing the job.
 */
#ifndef ZPIPE_H
#define ZPIPE_H

#include <stddef.h>
#include <stdint.h>

#define ZPIPE_MAX_JOBS 100000000UL      /* the sink keeps a byte per job */
#define ZPIPE_MAX_SIZE (1UL << 20)      /* payload bytes per job */
#define ZPIPE_MAX_NAME 64               /* a worker's name */
#define ZPIPE_MAX_HEADER 32             /* "JOB n\n" */

/* The command line; each role reads the options it needs.  Set once by
 * main, read-only afterwards (also in the worker's pool threads). */
struct zpipe_opts {
	const char *jobs;       /* the ventilator binds; workers connect */
	const char *results;    /* the sink binds; the others connect */
	const char *control;    /* the sink binds (PUB); the others connect */
	char name[ZPIPE_MAX_NAME + 1];  /* a worker's, in RES and REPORT */
	unsigned long count;    /* ventilator: jobs to send */
	size_t size;            /* ventilator: payload bytes per job */
	unsigned long workers;  /* sink: worker REPORTs to wait for */
	size_t threads;         /* worker: pool threads */
	size_t capacity;        /* worker: its queue's capacity */
	int hwm;                /* ZeroMQ high-water mark, job sockets */
	long work_us;           /* worker: time each job takes, simulated */
	int timeout_ms;         /* the longest wait for anything */
	int duplicate;          /* worker: send its first result twice */
};

int zpipe_ventilator(const struct zpipe_opts *o);
int zpipe_worker(const struct zpipe_opts *o);
int zpipe_sink(const struct zpipe_opts *o);

/* The messages' helpers, in zpipe.c. */
void zpipe_payload(unsigned long n, unsigned char *buf, size_t size);
uint64_t zpipe_hash(const unsigned char *buf, size_t size);

/* Sockets, in zpipe.c: every call that fails prints why (role: what:
 * ZeroMQ's message) and exits 1; a broken run fails, never hangs. */
void *zpipe_socket(void *ctx, int type, const struct zpipe_opts *o);
void zpipe_bind(void *sock, const char *endpoint);
void zpipe_connect(void *sock, const char *endpoint);
void zpipe_setopt(void *sock, int option, int value);
int zpipe_send(void *sock, const void *buf, size_t len);
int zpipe_recv(void *sock, char *buf, size_t cap);
void zpipe_die(const char *what);
long zpipe_now_ms(void);

/* The role's name, for messages: set by main before anything runs. */
extern const char *zpipe_role;

#endif /* ZPIPE_H */
