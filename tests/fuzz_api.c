/*
 * fuzz_api.c - libFuzzer harness: bytes become a sequence of calls on two
 * queues, bad arguments included, and every result is checked against a
 * plain sequential model of the contract in API.md.
 *
 * Single-threaded, so a call that would block forever is never made: the
 * model says when put or get would wait, and then the harness uses the
 * try_ or zero-timeout variant (and checks its EAGAIN / ETIMEDOUT).
 *
 * Built two ways: `make fuzz` (clang -fsanitize=fuzzer,address,undefined)
 * explores; tests/fuzz_replay (any compiler) runs the committed corpus in
 * make check, so the harness and its seeds never rot.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <workq.h>

#define MODEL_MAX 64            /* capacities above this are not modelled */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
	workq_t *q;
	size_t cap;
	void *ring[MODEL_MAX];
	size_t len;
	size_t unfinished;
	int closed;
};

/* The input, consumed a byte at a time; zeros once it runs out. */
struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct input *in)
{
	uint8_t b = 0;

	if (in->n > 0) {
		b = *in->p++;
		in->n--;
	}
	return b;
}

static void check(int ok)
{
	if (!ok)
		abort();        /* libFuzzer reports the input that got here */
}

/* Items are small integers (NULL included) or, rarely, WORKQ_DONE. */
static void *item_from(struct input *in)
{
	uint8_t b = byte(in);

	return b == 255 ? WORKQ_DONE : (void *)(uintptr_t)b;
}

static void model_push(struct model *m, void *item)
{
	m->ring[m->len++] = item;
	m->unfinished++;
}

static void *model_pop(struct model *m)
{
	void *item = m->ring[0];

	memmove(m->ring, m->ring + 1, --m->len * sizeof(void *));
	return item;
}

static void check_state(const struct model *m)
{
	check(workq_size(m->q) == m->len);
	check(workq_capacity(m->q) == m->cap);
	check(workq_is_closed(m->q) == m->closed);
}

/* A relative timeout from the input: valid zero, or invalid. */
static struct timespec timeout_from(struct input *in, int *valid)
{
	struct timespec ts = { 0, 0 };

	switch (byte(in) % 4) {
	case 0: ts.tv_sec = -1; break;
	case 1: ts.tv_nsec = -1; break;
	case 2: ts.tv_nsec = 1000000000L; break;
	default: break;
	}
	*valid = ts.tv_sec == 0 && ts.tv_nsec == 0;
	return ts;
}

static void op_put(struct model *m, struct input *in)
{
	void *item = item_from(in);
	int full = m->len == m->cap;
	int valid, err;
	struct timespec ts = timeout_from(in, &valid);

	if (item == WORKQ_DONE) {
		check(workq_put(m->q, item) == 0);
		m->closed = 1;
		return;
	}
	if (!valid) {
		check(workq_timed_put(m->q, item, &ts) == EINVAL);
		return;
	}
	if (full || m->closed || byte(in) & 1)
		err = (byte(in) & 1) ? workq_try_put(m->q, item)
		                     : workq_timed_put(m->q, item, &ts);
	else
		err = workq_put(m->q, item);
	if (m->closed)
		check(err == WORKQ_CLOSED);
	else if (full)
		check(err == EAGAIN || err == ETIMEDOUT);
	else {
		check(err == 0);
		model_push(m, item);
	}
}

static void op_get(struct model *m, struct input *in)
{
	void *item = (void *)&item;     /* "untouched" marker */
	int empty = m->len == 0;
	int valid, err;
	struct timespec ts = timeout_from(in, &valid);

	if (!valid) {
		check(workq_timed_get(m->q, &item, &ts) == EINVAL);
		check(item == (void *)&item);
		return;
	}
	if (empty && !m->closed)
		err = (byte(in) & 1) ? workq_try_get(m->q, &item)
		                     : workq_timed_get(m->q, &item, &ts);
	else
		err = workq_get(m->q, &item);
	if (!empty) {
		check(err == 0 && item == model_pop(m));
	} else if (m->closed) {
		check(err == WORKQ_CLOSED && item == WORKQ_DONE);
	} else {
		check(err == EAGAIN || err == ETIMEDOUT);
		check(item == (void *)&item);
	}
}

static void op_put_many(struct model *m, struct input *in)
{
	void *items[8];
	size_t n = byte(in) % 9, room = m->cap - m->len, i, nput = 99;
	int bad = 0, err;

	for (i = 0; i < n; i++) {
		items[i] = item_from(in);
		bad |= items[i] == WORKQ_DONE;
	}
	if (!bad && !m->closed && n > room)
		n = room;       /* more would block this only thread forever */
	err = workq_put_many(m->q, n > 0 ? items : NULL, n, &nput);
	if (bad) {
		check(err == EINVAL && nput == 0);
	} else if (m->closed) {
		check(err == WORKQ_CLOSED && nput == 0);
	} else {
		check(err == 0 && nput == n);
		for (i = 0; i < n; i++)
			model_push(m, items[i]);
	}
}

static void op_get_many(struct model *m, struct input *in)
{
	void *items[8];
	size_t max = byte(in) % 9, ngot = 99, i;
	int err;

	if (max > 0 && m->len == 0 && !m->closed)
		return;         /* would block forever */
	err = workq_get_many(m->q, items, max, &ngot);
	if (max == 0) {
		check(err == EINVAL && ngot == 0);
	} else if (m->len == 0) {
		check(err == WORKQ_CLOSED && ngot == 0);
	} else {
		check(err == 0 && ngot == (m->len < max ? m->len : max));
		for (i = 0; i < ngot; i++)
			check(items[i] == model_pop(m));
	}
}

struct discard_log {
	struct model *m;
	size_t seen;
};

static void discard_fn(void *item, void *arg)
{
	struct discard_log *log = arg;

	check(log->seen < log->m->len && item == log->m->ring[log->seen]);
	log->seen++;
	/* Reentrancy: fn may call the queue; it is closed by now. */
	check(workq_try_put(log->m->q, item) == WORKQ_CLOSED);
}

static void op_discard(struct model *m)
{
	struct discard_log log = { m, 0 };

	m->closed = 1;
	check(workq_discard(m->q, discard_fn, &log) == 0);
	check(log.seen == m->len);
	/* Discarded items count as finished, but task_done may have been
	 * called ahead for some: the count stops at zero. */
	m->unfinished = m->unfinished > m->len ? m->unfinished - m->len : 0;
	m->len = 0;
}

static void op_task_done(struct model *m)
{
	int err = workq_task_done(m->q);

	if (m->unfinished == 0) {
		check(err == ERANGE);
	} else {
		check(err == 0);
		m->unfinished--;
	}
	if (m->unfinished == 0)
		check(workq_join(m->q) == 0);   /* returns at once */
}

/* NULL where a pointer is required: EINVAL, and nothing changes. */
static void op_bad_args(struct model *m, struct input *in)
{
	void *item;
	size_t n = 99;
	struct timespec zero = { 0, 0 };

	switch (byte(in) % 8) {
	case 0: check(workq_get(m->q, NULL) == EINVAL); break;
	case 1: check(workq_try_get(m->q, NULL) == EINVAL); break;
	case 2: check(workq_timed_get(m->q, NULL, &zero) == EINVAL); break;
	case 3: check(workq_put_many(m->q, NULL, 1, &n) == EINVAL && n == 0);
		break;
	case 4: check(workq_get_many(m->q, NULL, 1, &n) == EINVAL && n == 0);
		break;
	case 5: check(workq_put_many(m->q, &item, 0, NULL) == EINVAL); break;
	case 6: check(workq_get_many(m->q, &item, 1, NULL) == EINVAL); break;
	default: check(workq_put(NULL, NULL) == EINVAL); break;
	}
}

/* Can a select's case proceed, as the model sees it?  A lone thread
 * never waits in a get, so a put into a rendezvous queue never can,
 * unless closed. */
static int case_ready(const struct model *m, int op)
{
	if (m->closed)
		return 1;
	return op == WORKQ_SELECT_GET ? m->len > 0 : m->len < m->cap;
}

/* Tried after every other case (see workq_select). */
static int case_late(const struct model *m, int op)
{
	return op == WORKQ_SELECT_PUT && m->cap == 0;
}

/*
 * A select of 1 to 4 cases over the two queues (some off, some bad),
 * in a form that cannot wait for ever: blocking only when the model
 * says a case is ready.  A biased one must choose the first ready case
 * (puts into capacity 0 last); any other, one of the ready cases.
 */
static void op_select(struct model *qs, struct input *in)
{
	workq_select_case_t c[4];
	struct model *mc[4], *m;
	size_t n = 1 + byte(in) % 4, i, chosen = 99, first = 99;
	struct timespec zero = { 0, 0 };
	int bad = 0, on = 0, err;
	uint8_t form = byte(in) % 4;

	for (i = 0; i < n; i++) {
		uint8_t b = byte(in);

		mc[i] = &qs[b & 1];
		c[i].q = b & 2 ? NULL : mc[i]->q;
		c[i].op = b & 4 ? WORKQ_SELECT_PUT : WORKQ_SELECT_GET;
		if (b == 255)
			c[i].op = 3;
		c[i].item = c[i].op == WORKQ_SELECT_PUT ? item_from(in) : NULL;
		if (c[i].q == NULL)
			continue;
		on = 1;
		bad |= c[i].op == 3 || c[i].item == WORKQ_DONE;
	}
	for (i = 0; i < n && !bad; i++)
		if (c[i].q != NULL && !case_late(mc[i], c[i].op) &&
		    case_ready(mc[i], c[i].op) && first == 99)
			first = i;
	for (i = 0; i < n && !bad && first == 99; i++)
		if (c[i].q != NULL && case_ready(mc[i], c[i].op))
			first = i;
	switch (form) {
	case 0:
		err = first != 99 || bad || !on ? workq_select(c, n, &chosen)
		                                 : workq_try_select(c, n, &chosen);
		break;
	case 1:
		err = workq_try_select(c, n, &chosen);
		break;
	case 2:
		err = workq_timed_select(c, n, &zero, &chosen);
		break;
	default:
		err = workq_select_biased(c, n, first != 99 ? NULL : &zero,
		                          &chosen);
		break;
	}
	if (bad || !on) {
		check(err == EINVAL && chosen == 99);
		return;
	}
	if (first == 99) {
		check(err == (form == 2 ? ETIMEDOUT : EAGAIN) && chosen == 99);
		return;
	}
	check(chosen < n && c[chosen].q != NULL &&
	      case_ready(mc[chosen], c[chosen].op));
	check(form != 3 || chosen == first);
	/* A late case only when no other was ready. */
	check(!case_late(mc[chosen], c[chosen].op) ||
	      case_late(mc[first], c[first].op));
	m = mc[chosen];
	if (m->closed && (c[chosen].op == WORKQ_SELECT_PUT || m->len == 0)) {
		check(err == WORKQ_CLOSED);
		check(c[chosen].op == WORKQ_SELECT_PUT ||
		      c[chosen].item == WORKQ_DONE);
	} else if (c[chosen].op == WORKQ_SELECT_PUT) {
		check(err == 0);
		model_push(m, c[chosen].item);
	} else {
		check(err == 0 && c[chosen].item == model_pop(m));
	}
	for (i = 0; i < n; i++)         /* the others did not happen */
		check(i == chosen || c[i].op != WORKQ_SELECT_GET ||
		      c[i].item == NULL);
}

/*
 * A queue of capacity 1..MODEL_MAX, or (byte 252) of capacity 0, a
 * rendezvous: with one thread no consumer ever waits, so the model sees
 * it always full and always empty, which is what it is to a lone
 * thread: every put is a try (EAGAIN, ETIMEDOUT), nothing is ever
 * queued.  Bytes 253..255 first try the capacities create must refuse.
 */
static void new_queue(struct model *m, struct input *in)
{
	static const size_t odd[] = { SIZE_MAX,
		PTRDIFF_MAX / sizeof(void *), PTRDIFF_MAX / sizeof(void *) - 1 };
	uint8_t b = byte(in);
	workq_t *q = NULL;
	size_t cap;
	int err;

	if (b >= 253) {         /* the capacities create must refuse */
		cap = odd[b - 253];
		err = workq_create(&q, cap);
		if (err == 0) {         /* the limit itself may fit in memory */
			check(cap == PTRDIFF_MAX / sizeof(void *) - 1);
			check(workq_destroy(q) == 0);
			q = NULL;
		}
		check(q == NULL);
		check(err == 0 || err == ENOMEM ||
		      (err == EINVAL && cap != PTRDIFF_MAX / sizeof(void *) - 1));
		b = 1;
	}
	cap = b == 252 ? 0 : 1 + b % MODEL_MAX;
	check(workq_create(&q, cap) == 0 && q != NULL);
	memset(m, 0, sizeof(*m));
	m->q = q;
	m->cap = cap;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct model qs[2], *m;

	new_queue(&qs[0], &in);
	new_queue(&qs[1], &in);
	while (in.n > 0) {
		uint8_t op = byte(&in);
		uint8_t b;

		m = &qs[op >> 7];
		switch (op % 10) {
		case 0: case 1: case 2: op_put(m, &in); break;
		case 3: case 4: op_get(m, &in); break;
		case 5: op_put_many(m, &in); break;
		case 6: op_get_many(m, &in); break;
		case 7: op_task_done(m); break;
		case 8:
			if (byte(&in) & 1) {
				check(workq_close(m->q) == 0);
				m->closed = 1;
			} else {
				op_discard(m);
			}
			break;
		default:
			b = byte(&in);
			if (b < 16) {   /* now and then, start afresh */
				check(workq_destroy(m->q) == 0);
				new_queue(m, &in);
			} else if (b < 128) {
				op_select(qs, &in);
				check_state(&qs[0]);
				check_state(&qs[1]);
			} else {
				op_bad_args(m, &in);
			}
			break;
		}
		check_state(m);
	}
	check(workq_destroy(qs[0].q) == 0);
	check(workq_destroy(qs[1].q) == 0);
	return 0;
}
