/*
 * zpipe_worker.c - a worker: reads jobs from its PULL socket into a
 * bounded workq, where a pool of threads runs them and pushes each
 * result to the sink.  On the sink's STOP it closes its queue, lets
 * the pool drain it, joins the pool and sends its REPORT.
 *
 * Back-pressure: this thread is the only reader of the PULL socket, and
 * it puts each job before it reads the next.  With the queue full the
 * put waits, nothing is read, ZeroMQ's receive buffer fills to its
 * high-water mark, then the ventilator's pipe to this worker fills and
 * its PUSH sends to other workers, or waits.  So a process holds at
 * most capacity + threads jobs, plus what its ZeroMQ buffers hold.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>
#include <workq.h>

#include "zpipe.h"

/* One job: the message as received, owned by the job until it ran. */
struct job {
	zmq_msg_t msg;
	unsigned long n;
	size_t off;             /* where the payload starts in msg */
};

/*
 * What the pool's threads share.  Locks: mu guards the (m) fields;
 * (c) fields are constant while the pool runs.  A ZeroMQ socket is not
 * thread-safe: the mutex makes each send whole, and its barrier is the
 * one ZeroMQ asks for when a socket passes between threads.
 */
struct worker {
	pthread_mutex_t mu;
	void *results;                  /* (m) PUSH to the sink */
	unsigned long sent;             /* (m) results sent */
	int failed;                     /* (m) a send failed (its errno) */
	const struct zpipe_opts *o;     /* (c) */
};

static void simulate_work(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (us > 0 && nanosleep(&ts, &ts) != 0)
		;                       /* EINTR: sleep the rest */
}

/* Sends one result; the first one twice if --duplicate asked (to show
 * that the sink notices).  Called with w->mu held. */
static void send_result_locked(struct worker *w, const char *msg)
{
	int times = w->o->duplicate && w->sent == 0 ? 2 : 1;

	while (times-- > 0 && w->failed == 0)
		if (zpipe_send(w->results, msg, strlen(msg)) != 0)
			w->failed = zmq_errno();
	w->sent += w->failed == 0;
}

/* The pool's item function: hashes the payload and sends the result. */
static void run(void *item, void *arg)
{
	struct job *j = item;
	struct worker *w = arg;
	const unsigned char *data = zmq_msg_data(&j->msg);
	size_t size = zmq_msg_size(&j->msg) - j->off;
	char msg[64 + ZPIPE_MAX_NAME];

	simulate_work(w->o->work_us);
	snprintf(msg, sizeof(msg), "RES %lu %zu %016" PRIx64 " %s", j->n,
	         size, zpipe_hash(data + j->off, size), w->o->name);
	zmq_msg_close(&j->msg);
	free(j);
	pthread_mutex_lock(&w->mu);
	send_result_locked(w, msg);
	pthread_mutex_unlock(&w->mu);
}

/* Reads one job, which the poll said is there; NULL for a message that
 * is not a job. */
static struct job *read_job(void *jobs)
{
	struct job *j = malloc(sizeof(*j));
	char head[ZPIPE_MAX_HEADER] = "";
	const char *nl;
	size_t len;

	if (j == NULL)
		zpipe_die("malloc");
	zmq_msg_init(&j->msg);
	if (zmq_msg_recv(&j->msg, jobs, ZMQ_DONTWAIT) < 0)
		zpipe_die("receiving a job");
	len = zmq_msg_size(&j->msg);
	memcpy(head, zmq_msg_data(&j->msg),
	       len < sizeof(head) - 1 ? len : sizeof(head) - 1);
	nl = strchr(head, '\n');
	if (nl == NULL || sscanf(head, "JOB %lu\n", &j->n) != 1) {
		zmq_msg_close(&j->msg);
		free(j);
		return NULL;
	}
	j->off = (size_t)(nl - head) + 1;
	return j;
}

/* Puts a job, waiting while the queue is full (the back-pressure), at
 * most the timeout.  A put that fails leaves the job ours: free it. */
static void put(workq_t *q, struct job *j, const struct zpipe_opts *o,
                unsigned long *full)
{
	struct timespec t = { o->timeout_ms / 1000,
	                      (o->timeout_ms % 1000) * 1000000L };
	int err = workq_try_put(q, j);

	if (err == EAGAIN) {
		(*full)++;
		err = workq_timed_put(q, j, &t);
	}
	if (err != 0) {
		fprintf(stderr, "zpipe worker: workq_put: %s\n",
		        workq_strerror(err));
		exit(1);
	}
}

/* Feeds the queue until the sink's STOP, which comes only once every
 * job's result is in, so no job is left unread behind it.  The poll
 * is bounded: no job and no STOP for the timeout is a failure. */
static void feed(workq_t *q, void *jobs, void *control,
                 const struct zpipe_opts *o, unsigned long *full)
{
	zmq_pollitem_t items[2] = { { control, 0, ZMQ_POLLIN, 0 },
	                            { jobs, 0, ZMQ_POLLIN, 0 } };
	struct job *j;
	char msg[16];
	int rc;

	for (;;) {
		rc = zmq_poll(items, 2, o->timeout_ms);
		if (rc < 0 && zmq_errno() == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "zpipe worker: no job and no STOP "
			        "for %d ms\n", o->timeout_ms);
			exit(1);
		}
		if ((items[0].revents & ZMQ_POLLIN) &&
		    zpipe_recv(control, msg, sizeof(msg)) >= 0 &&
		    strcmp(msg, "STOP") == 0)
			return;
		if ((items[1].revents & ZMQ_POLLIN) &&
		    (j = read_job(jobs)) != NULL)
			put(q, j, o, full);
	}
}

/* The done sentinel's part: close, let the pool drain what is queued
 * and exit on WORKQ_DONE, join it. */
static void finish(workq_t *q, workq_pool_t *pool)
{
	int err;

	if ((err = workq_close(q)) != 0 || (err = workq_pool_join(pool)) != 0 ||
	    (err = workq_destroy(q)) != 0) {
		fprintf(stderr, "zpipe worker: shutting down: %s\n",
		        workq_strerror(err));
		exit(1);
	}
}

/* Connects the three sockets: jobs in, results out, STOP in. */
static void connect_all(void *ctx, const struct zpipe_opts *o,
                        void **jobs, void **results, void **control)
{
	*jobs = zpipe_socket(ctx, ZMQ_PULL, o);
	zpipe_setopt(*jobs, ZMQ_RCVHWM, o->hwm);
	zpipe_setopt(*jobs, ZMQ_LINGER, 0);
	zpipe_connect(*jobs, o->jobs);
	*results = zpipe_socket(ctx, ZMQ_PUSH, o);
	zpipe_connect(*results, o->results);
	*control = zpipe_socket(ctx, ZMQ_SUB, o);
	zpipe_setopt(*control, ZMQ_LINGER, 0);
	if (zmq_setsockopt(*control, ZMQ_SUBSCRIBE, "STOP", 4) != 0)
		zpipe_die("ZMQ_SUBSCRIBE");
	zpipe_connect(*control, o->control);
}

int zpipe_worker(const struct zpipe_opts *o)
{
	struct worker w = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, o };
	void *ctx = zmq_ctx_new();
	void *jobs, *control;
	unsigned long full = 0;
	workq_pool_t *pool;
	workq_t *q;
	char msg[64 + ZPIPE_MAX_NAME];
	int err;

	if (ctx == NULL)
		zpipe_die("zmq_ctx_new");
	connect_all(ctx, o, &jobs, &w.results, &control);
	if ((err = workq_create(&q, o->capacity)) != 0 ||
	    (err = workq_pool_start(&pool, q, o->threads, run, &w)) != 0) {
		fprintf(stderr, "zpipe worker: %s\n", workq_strerror(err));
		return 1;
	}
	feed(q, jobs, control, o, &full);
	finish(q, pool);
	/* The pool is joined: this thread alone uses w now.  The report
	 * goes on the results socket, after every result. */
	snprintf(msg, sizeof(msg), "REPORT %s %lu %lu", o->name, w.sent, full);
	if (w.failed == 0 && zpipe_send(w.results, msg, strlen(msg)) != 0)
		w.failed = zmq_errno();
	if (w.failed != 0)
		fprintf(stderr, "zpipe worker: sending to the sink: %s\n",
		        zmq_strerror(w.failed));
	else
		printf("worker %s: %lu jobs; queue full %lu times\n", o->name,
		       w.sent, full);
	zmq_close(jobs);
	zmq_close(control);
	zmq_close(w.results);           /* waits for the REPORT to go */
	zmq_ctx_term(ctx);
	return w.failed != 0;
}
