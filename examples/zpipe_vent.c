/*
 * zpipe_vent.c - the ventilator: pushes jobs 1..count to whichever
 * workers are connected, tells the sink how many it sent (END), and
 * exits once the sink's STOP says every one came back.
 *
 * Why END goes to the sink and not to the workers: PUSH hands each
 * message to the next worker whose pipe has room, skipping full ones.
 * "One END per worker" would then give two ENDs to a fast worker and
 * none to one held back by its high-water mark (exactly what
 * back-pressure causes), and a worker that connects late would get
 * none at all.  The sink, told the count, is the one place that knows
 * when the stream has ended: when every job's result is in.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "zpipe.h"

/* Sends job n.  Where no worker's pipe has room (each is at its
 * high-water mark: the workers stopped reading because their queues
 * are full), that is back-pressure: count it, then wait for room, at
 * most the timeout.  Returns 0 or -1 (zmq_errno() says why). */
static int push(void *jobs, unsigned long n, unsigned char *buf,
                size_t size, unsigned long *stalls)
{
	int hlen = snprintf((char *)buf, ZPIPE_MAX_HEADER, "JOB %lu\n", n);

	zpipe_payload(n, buf + hlen, size);
	if (zmq_send(jobs, buf, (size_t)hlen + size, ZMQ_DONTWAIT) >= 0)
		return 0;
	if (zmq_errno() != EAGAIN && zmq_errno() != EINTR)
		return -1;
	(*stalls)++;
	return zpipe_send(jobs, buf, (size_t)hlen + size);
}

/* Waits for the sink's STOP (other messages on the channel are not
 * ours to read), at most the timeout each. */
static void await_stop(void *control)
{
	char msg[16];

	do {
		if (zpipe_recv(control, msg, sizeof(msg)) < 0)
			zpipe_die("waiting for STOP from the sink");
	} while (strcmp(msg, "STOP") != 0);
}

int zpipe_ventilator(const struct zpipe_opts *o)
{
	void *ctx = zmq_ctx_new();
	void *jobs, *sink, *control;
	unsigned char *buf = malloc(ZPIPE_MAX_HEADER + o->size);
	unsigned long n, stalls = 0;
	char msg[64];

	if (ctx == NULL || buf == NULL)
		zpipe_die("setting up");
	jobs = zpipe_socket(ctx, ZMQ_PUSH, o);
	/* Bounds what waits in each worker's pipe on this side; the
	 * worker's ZMQ_RCVHWM bounds its side. */
	zpipe_setopt(jobs, ZMQ_SNDHWM, o->hwm);
	zpipe_bind(jobs, o->jobs);
	sink = zpipe_socket(ctx, ZMQ_PUSH, o);
	zpipe_connect(sink, o->results);
	control = zpipe_socket(ctx, ZMQ_SUB, o);
	zpipe_setopt(control, ZMQ_LINGER, 0);
	if (zmq_setsockopt(control, ZMQ_SUBSCRIBE, "", 0) != 0)
		zpipe_die("ZMQ_SUBSCRIBE");
	zpipe_connect(control, o->control);

	/* Until a first worker connects, sends wait (at most the
	 * timeout): PUSH queues nothing for peers it has not met. */
	for (n = 1; n <= o->count; n++)
		if (push(jobs, n, buf, o->size, &stalls) != 0)
			zpipe_die("sending a job (no worker took it)");
	/* Sent after every job, on another socket: the sink may see END
	 * before some results, which is why END carries the count. */
	snprintf(msg, sizeof(msg), "END %lu", o->count);
	if (zpipe_send(sink, msg, strlen(msg)) != 0)
		zpipe_die("sending END to the sink");
	await_stop(control);
	/* The sink waits for this, so that it stops repeating STOP only
	 * once the ventilator too has seen it. */
	snprintf(msg, sizeof(msg), "ACK %lu %lu", o->count, stalls);
	if (zpipe_send(sink, msg, strlen(msg)) != 0)
		zpipe_die("sending ACK to the sink");
	printf("ventilator: %lu jobs sent; %lu waits for a worker's pipe "
	       "to have room\n", o->count, stalls);
	free(buf);
	/* Every job has been run, so the job pipes are empty; closing
	 * the sink socket waits (at most ZMQ_LINGER) for the ACK to go. */
	zmq_close(jobs);
	zmq_close(control);
	zmq_close(sink);
	zmq_ctx_term(ctx);
	return 0;
}
