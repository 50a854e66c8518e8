/*
 * check_pollfd.c - workq_pollfd(): the descriptor polls readable exactly
 * while the queue holds an item or is closed (API-0.2.md, "Event-loop
 * integration").  Each test checks readability with poll() and a zero
 * timeout (or epoll_wait, for the epoll tests) before and after every
 * call that changes the queue, twice where level-triggering matters:
 * a descriptor that forgot its state after one poll would pass once.
 * workq_pollfd_room(), its producers' counterpart, polls readable
 * exactly while a put would find room or the queue is closed.
 *
 * Threads other than the test's never assert: they record results in
 * their own structs, checked after joining them.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/resource.h>
#ifdef HAVE_SYS_EPOLL_H
#include <sys/epoll.h>
#define POLL_KINDS 2            /* poll and epoll */
#else
#define POLL_KINDS 1            /* poll only: the epoll tests are left out */
#endif

/* 1 if fd polls readable now, 0 if not; never waits. */
static int readable(int fd)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	n = poll(&p, 1, 0);
	ck_assert_msg(n >= 0, "poll: %s", strerror(errno));
	ck_assert_msg((p.revents & (POLLERR | POLLNVAL)) == 0,
	              "poll revents %#x", (unsigned)p.revents);
	return n == 1 && (p.revents & POLLIN) != 0;
}

/* Asserts the level twice in a row: it must not change by being polled. */
#define assert_readable(fd)                                                    \
	do {                                                                   \
		ck_assert_msg(readable(fd), "fd not readable (line %d)",       \
		              __LINE__);                                       \
		ck_assert_msg(readable(fd), "fd readable only once (line %d)", \
		              __LINE__);                                       \
	} while (0)
#define assert_not_readable(fd)                                                \
	do {                                                                   \
		ck_assert_msg(!readable(fd), "fd readable (line %d)",          \
		              __LINE__);                                       \
		ck_assert_msg(!readable(fd), "fd readable (line %d)",          \
		              __LINE__);                                       \
	} while (0)

static int pollfd_of(workq_t *q)
{
	int fd = -1;

	ck_assert_int_eq(workq_pollfd(q, &fd), 0);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Arguments and identity                                              */
/* ------------------------------------------------------------------ */

START_TEST(pollfd_einval_leaves_fdp_untouched)
{
	workq_t *q = tu_queue(2);
	int fd = -12345;

	ck_assert_int_eq(workq_pollfd(NULL, &fd), EINVAL);
	ck_assert_int_eq(fd, -12345);
	ck_assert_int_eq(workq_pollfd(q, NULL), EINVAL);
	ck_assert_int_eq(workq_pollfd(NULL, NULL), EINVAL);
	/* The refused calls made nothing: the queue still works. */
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_pollfd(q, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_same_fd_on_every_call)
{
	workq_t *q = tu_queue(2);
	int fd = pollfd_of(q);
	int i;

	for (i = 0; i < 10; i++)
		ck_assert_int_eq(pollfd_of(q), fd);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(pollfd_of(q), fd);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(pollfd_of(q), fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_two_queues_get_different_fds)
{
	workq_t *a = tu_queue(2), *b = tu_queue(2);
	int fa = pollfd_of(a), fb = pollfd_of(b);

	ck_assert_int_ne(fa, fb);
	ck_assert_int_eq(workq_put(a, tu_item(1)), 0);
	assert_readable(fa);
	assert_not_readable(fb);
	ck_assert_int_eq(workq_destroy(a), 0);
	ck_assert_int_eq(workq_destroy(b), 0);
}
END_TEST

START_TEST(pollfd_is_cloexec_and_nonblocking)
{
	workq_t *q = tu_queue(2);
	int fd = pollfd_of(q);
	int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fdfl, 0);
	ck_assert_int_ge(fl, 0);
	ck_assert_msg(fdfl & FD_CLOEXEC, "FD_CLOEXEC not set");
	ck_assert_msg(fl & O_NONBLOCK, "O_NONBLOCK not set");
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_closed_by_destroy)
{
	workq_t *q = tu_queue(2);
	int fd = pollfd_of(q);

	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);   /* raised, too */
	/* Nothing opens a descriptor between destroy and fcntl, so fd
	 * cannot have been reused. */
	ck_assert_int_eq(workq_destroy(q), 0);
	errno = 0;
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* Open descriptors: entries in /proc/self/fd, the directory's own
 * descriptor included (it is there every time, so counts compare).
 * Elsewhere, the descriptors below 4096 that fcntl knows, which holds
 * every new one while fewer than that are open. */
static int count_fds(void)
{
	int n = 0;
#ifdef HAVE_LINUX_PROCFS
	DIR *d = opendir("/proc/self/fd");

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
#else
	int fd;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
#endif
	return n;
}

START_TEST(queue_without_pollfd_opens_no_descriptor)
{
	int before = count_fds();
	workq_t *q = tu_queue(4);
	void *item, *items[3] = { tu_item(1), tu_item(2), tu_item(3) };
	size_t n;

	ck_assert_int_eq(count_fds(), before);
	ck_assert_int_eq(workq_put(q, tu_item(0)), 0);
	ck_assert_int_eq(workq_put_many(q, items, 3, &n), 0);
	ck_assert_int_eq(count_fds(), before);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_try_get(q, &item), 0);
	ck_assert_int_eq(count_fds(), before);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_int_eq(workq_get_many(q, items, 3, &n), 0);
	ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
	ck_assert_int_eq(count_fds(), before);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(count_fds(), before);
	/* The check can see a descriptor at all: asking for one adds one,
	 * and destroy takes it away. */
	q = tu_queue(4);
	(void)pollfd_of(q);
	ck_assert_int_gt(count_fds(), before);
	ck_assert_int_eq(workq_destroy(q), 0);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(pollfd_emfile_when_no_descriptor_left)
{
	struct rlimit rl, saved;
	workq_t *q = tu_queue(2);
	int fds[64], n = 0, fd = -12345;
	void *item;

	/* Fill the descriptor table under a small limit. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	saved = rl;
	rl.rlim_cur = (rlim_t)count_fds() + 8;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	ck_assert_int_lt(n, 64);
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_pollfd(q, &fd), EMFILE);
	ck_assert_int_eq(fd, -12345);
	/* The queue is unharmed, and a later call, with room, succeeds and
	 * reflects the item already queued. */
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(1));
	/* Two: a pipe, where there is no eventfd, takes a pair. */
	close(fds[--n]);
	close(fds[--n]);
	fd = pollfd_of(q);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	assert_not_readable(fd);
	while (n > 0)
		close(fds[--n]);
	/* Restored for CK_FORK=no runs, where the next test shares it. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved), 0);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The level, single-threaded                                          */
/* ------------------------------------------------------------------ */

START_TEST(pollfd_readable_exactly_while_items_queued)
{
	workq_t *q = tu_queue(3);
	int fd = pollfd_of(q);
	void *item;

	assert_not_readable(fd);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_try_put(q, tu_item(2)), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_readable(fd);                    /* one item left */
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	assert_not_readable(fd);
	/* And again, through every fill level up to full. */
	ck_assert_int_eq(workq_put(q, NULL), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(4)), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_try_put(q, tu_item(5)), EAGAIN);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_not_readable(fd);
	item = UNTOUCHED;
	ck_assert_int_eq(workq_try_get(q, &item), EAGAIN);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* _i picks the call that takes the last item: the level must drop
 * whichever get variant empties the queue. */
START_TEST(pollfd_not_readable_after_last_item_taken)
{
	workq_t *q = tu_queue(4);
	int fd = pollfd_of(q);
	struct timespec ts = tu_ms(1000);
	void *item = UNTOUCHED, *items[4];
	size_t n = 0;
	int err = -1;

	ck_assert_int_eq(workq_put(q, tu_item(7)), 0);
	assert_readable(fd);
	switch (_i) {
	case 0: err = workq_get(q, &item); break;
	case 1: err = workq_try_get(q, &item); break;
	case 2: err = workq_timed_get(q, &item, &ts); break;
	case 3:
		err = workq_get_many(q, items, 4, &n);
		ck_assert_uint_eq(n, 1);
		item = items[0];
		break;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_eq(item, tu_item(7));
	assert_not_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_readable_after_close_forever)
{
	workq_t *q = tu_queue(2);
	int fd = pollfd_of(q);
	void *item;
	int i;

	assert_not_readable(fd);
	ck_assert_int_eq(workq_close(q), 0);
	assert_readable(fd);
	for (i = 0; i < 5; i++) {
		item = NULL;
		ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
		ck_assert_ptr_eq(item, WORKQ_DONE);
		ck_assert_int_eq(workq_get(q, &item), WORKQ_CLOSED);
		assert_readable(fd);
	}
	ck_assert_int_eq(workq_close(q), 0);            /* idempotent */
	ck_assert_int_eq(workq_put(q, tu_item(1)), WORKQ_CLOSED);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_readable_through_close_and_drain)
{
	workq_t *q = tu_queue(3);
	int fd = pollfd_of(q);
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	/* Closing by putting the sentinel, as the 0.1 contract allows. */
	ck_assert_int_eq(workq_put(q, WORKQ_DONE), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_ptr_eq(item, tu_item(2));
	assert_readable(fd);            /* empty, but closed */
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_asked_late_reflects_current_state)
{
	workq_t *q = tu_queue(4);
	int fd;
	void *item;

	/* Items queued before the descriptor exists. */
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	fd = pollfd_of(q);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_get(q, &item), 0);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* A queue closed (and drained) before the descriptor exists. */
	q = tu_queue(4);
	ck_assert_int_eq(workq_close(q), 0);
	fd = pollfd_of(q);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* A queue emptied again before the descriptor exists. */
	q = tu_queue(4);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	fd = pollfd_of(q);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(pollfd_follows_batch_calls)
{
	workq_t *q = tu_queue(4);
	int fd = pollfd_of(q);
	void *in[6] = { tu_item(1), tu_item(2), tu_item(3), tu_item(4),
	                tu_item(5), tu_item(6) };
	void *out[8];
	size_t n;

	ck_assert_int_eq(workq_put_many(q, in, 0, &n), 0);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_put_many(q, in, 3, &n), 0);
	ck_assert_uint_eq(n, 3);
	assert_readable(fd);
	ck_assert_int_eq(workq_get_many(q, out, 2, &n), 0);
	ck_assert_uint_eq(n, 2);
	assert_readable(fd);
	ck_assert_int_eq(workq_get_many(q, out, 8, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(out[0], tu_item(3));
	assert_not_readable(fd);
	ck_assert_int_eq(workq_put_many(q, in, 4, &n), 0);  /* to full */
	assert_readable(fd);
	ck_assert_int_eq(workq_get_many(q, out, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

static void count_item(void *item, void *arg)
{
	(void)item;
	(*(int *)arg)++;
}

START_TEST(pollfd_readable_after_discard)
{
	workq_t *q = tu_queue(4);
	int fd = pollfd_of(q), n = 0;
	void *item;

	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert_int_eq(workq_discard(q, count_item, &n), 0);
	ck_assert_int_eq(n, 2);
	assert_readable(fd);            /* empty, but closed */
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);

	/* Discarding an empty open queue closes it: readable too. */
	q = tu_queue(4);
	fd = pollfd_of(q);
	assert_not_readable(fd);
	ck_assert_int_eq(workq_discard(q, NULL, NULL), 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* epoll                                                               */
/* ------------------------------------------------------------------ */
#ifdef HAVE_SYS_EPOLL_H

/* Events epoll reports for the one descriptor in ep now: 0 or EPOLLIN. */
static uint32_t epoll_level(int ep)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, 0);

	ck_assert_msg(n >= 0, "epoll_wait: %s", strerror(errno));
	return n == 0 ? 0 : ev.events;
}

static int epoll_on(int fd, uint32_t events)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ck_assert_int_ge(ep, 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	return ep;
}

START_TEST(pollfd_epoll_level_triggered)
{
	workq_t *q = tu_queue(3);
	int fd = pollfd_of(q);
	int ep = epoll_on(fd, EPOLLIN);
	void *item;

	ck_assert_uint_eq(epoll_level(ep), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	/* Level-triggered: reported on every wait while items remain. */
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_uint_eq(epoll_level(ep), 0);
	ck_assert_uint_eq(epoll_level(ep), 0);
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	ck_assert_int_eq(workq_try_get(q, &item), WORKQ_CLOSED);
	ck_assert_uint_eq(epoll_level(ep), EPOLLIN);
	close(ep);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* Edge-triggered users see one event per "became readable", which the
 * descriptor gives on each empty -> non-empty change. */
START_TEST(pollfd_epoll_edge_triggered_sees_each_rise)
{
	workq_t *q = tu_queue(3);
	int fd = pollfd_of(q);
	int ep = epoll_on(fd, EPOLLIN | EPOLLET);
	void *item;
	int round;

	for (round = 0; round < 3; round++) {
		ck_assert_uint_eq(epoll_level(ep), 0);
		ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
		ck_assert_uint_eq(epoll_level(ep) & EPOLLIN, EPOLLIN);
		ck_assert_int_eq(workq_get(q, &item), 0);
	}
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert_uint_eq(epoll_level(ep) & EPOLLIN, EPOLLIN);
	close(ep);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST
#endif /* HAVE_SYS_EPOLL_H */

/* ------------------------------------------------------------------ */
/* Across threads                                                      */
/* ------------------------------------------------------------------ */

/* A thread that waits until the test's thread sleeps (in poll or
 * epoll_wait), then changes the queue as `how` says. */
struct waker {
	workq_t *q;
	pid_t sleeper;
	int how;                /* 0: put, 1: close, 2: put_many, 3: discard */
	int err;
};

static void *waker_main(void *arg)
{
	struct waker *w = arg;
	void *items[2] = { tu_item(1), tu_item(2) };
	size_t n;

	tu_wait_blocked(w->sleeper);
	switch (w->how) {
	case 0: w->err = workq_put(w->q, tu_item(1)); break;
	case 1: w->err = workq_close(w->q); break;
	case 2: w->err = workq_put_many(w->q, items, 2, &n); break;
	default: w->err = workq_discard(w->q, NULL, NULL); break;
	}
	return NULL;
}

/* Sleeps up to 10 s until fd polls readable, in poll or (use_epoll)
 * epoll_wait; fails the test unless it woke for fd. */
static void sleep_until_readable(int fd, int use_epoll)
{
	struct pollfd p;
	int n;

#ifdef HAVE_SYS_EPOLL_H
	if (use_epoll) {
		struct epoll_event ev;
		int ep = epoll_on(fd, EPOLLIN);

		n = epoll_wait(ep, &ev, 1, 10000);
		close(ep);
		ck_assert_int_eq(n, 1);
		ck_assert_uint_eq(ev.events & EPOLLIN, EPOLLIN);
		ck_assert_int_eq(ev.data.fd, fd);
		return;
	}
#else
	(void)use_epoll;
#endif
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	n = poll(&p, 1, 10000);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(p.revents & POLLIN, POLLIN);
}

/* _i % POLL_KINDS chooses poll (0) or epoll (1); _i / POLL_KINDS is the
 * waker's action.  The test's thread sleeps for up to 10 s and must wake
 * as soon as the other thread makes the queue readable. */
START_TEST(pollfd_wakes_a_sleeping_poller)
{
	workq_t *q = tu_queue(4);
	int fd = pollfd_of(q);
	struct waker w;
	int64_t t0;
	pthread_t t;

	w.q = q;
	w.sleeper = tu_gettid();
	w.how = _i / POLL_KINDS;
	w.err = -1;
	assert_not_readable(fd);
	t = tu_spawn(waker_main, &w);
	t0 = tu_now_ns();
	sleep_until_readable(fd, _i % POLL_KINDS);
	ck_assert_msg(tu_now_ns() - t0 < 9000000000LL, "woke only at timeout");
	tu_join(t);
	ck_assert_int_eq(w.err, 0);
	assert_readable(fd);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

#define NPROD 4

struct producer {
	workq_t *q;
	uintptr_t first, count;  /* puts items first .. first+count-1 */
	int err;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	uintptr_t i;

	p->err = 0;
	for (i = 0; i < p->count && p->err == 0; i++)
		p->err = workq_put(p->q, tu_item(p->first + i));
	return NULL;
}

/* Joins the producers, then closes the queue: the end of the stream. */
struct closer {
	workq_t *q;
	pthread_t *producers;
	int err;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	int i;

	c->err = 0;
	for (i = 0; i < NPROD; i++)
		if (pthread_join(c->producers[i], NULL) != 0)
			c->err = -1;
	if (c->err == 0)
		c->err = workq_close(c->q);
	return NULL;
}

/*
 * An event loop: poll() for the descriptor, then try_get until EAGAIN,
 * as the contract tells loops to do.  The test's thread is the only
 * consumer, so "readable" promises it at least one item or the end: a
 * wake-up whose first try_get says EAGAIN is a spurious one.  It must
 * receive every item exactly once and stop on WORKQ_CLOSED.
 */
START_TEST(pollfd_event_loop_drains_four_producers)
{
	const uintptr_t per = (uintptr_t)tu_scaled(5000);
	const uintptr_t total = per * NPROD;
	workq_t *q = tu_queue(8);
	int fd = pollfd_of(q);
	struct producer prod[NPROD];
	pthread_t pt[NPROD], ct;
	struct closer c;
	unsigned char *seen = calloc(total, 1);
	uintptr_t got = 0, k;
	int i, err, closed = 0;
	long wakeups = 0;

	ck_assert_ptr_nonnull(seen);
	for (i = 0; i < NPROD; i++) {
		prod[i].q = q;
		prod[i].first = (uintptr_t)i * per;
		prod[i].count = per;
		pt[i] = tu_spawn(producer_main, &prod[i]);
	}
	c.q = q;
	c.producers = pt;
	ct = tu_spawn(closer_main, &c);
	while (!closed) {
		struct pollfd p;
		void *item;
		int first = 1;

		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
		ck_assert_uint_eq(p.revents & POLLIN, POLLIN);
		wakeups++;
		while ((err = workq_try_get(q, &item)) == 0) {
			k = tu_num(item);
			ck_assert_uint_lt(k, total);
			ck_assert_msg(seen[k] == 0, "item %lu twice",
			              (unsigned long)k);
			seen[k] = 1;
			got++;
			first = 0;
		}
		if (err == WORKQ_CLOSED) {
			ck_assert_ptr_eq(item, WORKQ_DONE);
			closed = 1;
		} else {
			ck_assert_int_eq(err, EAGAIN);
			ck_assert_msg(!first, "readable, but nothing to get "
			              "(wake-up %ld)", wakeups);
		}
	}
	tu_join(ct);
	ck_assert_int_eq(c.err, 0);
	for (i = 0; i < NPROD; i++)
		ck_assert_int_eq(prod[i].err, 0);
	ck_assert_uint_eq(got, total);
	for (k = 0; k < total; k++)
		ck_assert_msg(seen[k] == 1, "item %lu missing",
		              (unsigned long)k);
	/* The end of the stream stays visible. */
	assert_readable(fd);
	ck_assert_uint_eq(workq_size(q), 0);
	free(seen);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Room: workq_pollfd_room                                             */
/* ------------------------------------------------------------------ */

START_TEST(room_fd_is_its_own)
{
	workq_t *q;
	int fd = -7, fd2 = -7, items = -7;

	ck_assert_int_eq(workq_create(&q, 2), 0);
	ck_assert_int_eq(workq_pollfd_room(NULL, &fd), EINVAL);
	ck_assert_int_eq(workq_pollfd_room(q, NULL), EINVAL);
	ck_assert_int_eq(fd, -7);
	ck_assert_int_eq(workq_pollfd_room(q, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(workq_pollfd_room(q, &fd2), 0);
	ck_assert_int_eq(fd, fd2);
	ck_assert_int_eq(workq_pollfd(q, &items), 0);
	ck_assert_int_ne(fd, items);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(workq_destroy(q), 0);
	/* Closed by destroy. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}
END_TEST

START_TEST(room_fd_readable_exactly_while_room)
{
	workq_t *q;
	void *item;
	int fd;

	ck_assert_int_eq(workq_create(&q, 2), 0);
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	/* Asked late: reflects the queue as it is. */
	ck_assert_int_eq(workq_pollfd_room(q, &fd), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_put(q, tu_item(2)), 0);
	ck_assert(!readable(fd));
	ck_assert(!readable(fd));
	ck_assert_int_eq(workq_try_put(q, tu_item(3)), EAGAIN);
	ck_assert(!readable(fd));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert(readable(fd));
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_put(q, tu_item(3)), 0);
	ck_assert(!readable(fd));
	/* Closed: readable, full or not, for good. */
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

START_TEST(room_fd_on_a_bound_queue_waits_for_task_done)
{
	workq_attr_t *attr;
	workq_t *q;
	void *item;
	int fd;

	ck_assert_int_eq(workq_attr_create(&attr), 0);
	ck_assert_int_eq(workq_attr_set_bound_unfinished(attr, 1), 0);
	ck_assert_int_eq(workq_create_attr(&q, 1, attr), 0);
	ck_assert_int_eq(workq_attr_destroy(attr), 0);
	ck_assert_int_eq(workq_pollfd_room(q, &fd), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_put(q, tu_item(1)), 0);
	ck_assert(!readable(fd));
	ck_assert_int_eq(workq_get(q, &item), 0);
	ck_assert(!readable(fd));       /* taken, not finished */
	ck_assert_int_eq(workq_task_done(q), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

struct getter {
	workq_t *q;
	void *item;
	int err;
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;

	g->err = workq_get(g->q, &g->item);
	return NULL;
}

/* Polls fd for up to 10 s; 1 if it became readable. */
static int readable_soon(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 10000) == 1 && (p.revents & POLLIN) != 0;
}

START_TEST(room_fd_at_capacity_0_needs_a_waiting_consumer)
{
	workq_t *q;
	struct getter g = { NULL, NULL, -1 };
	pthread_t t;
	int fd;

	ck_assert_int_eq(workq_create(&q, 0), 0);
	ck_assert_int_eq(workq_pollfd_room(q, &fd), 0);
	ck_assert(!readable(fd));
	g.q = q;
	t = tu_spawn(getter_main, &g);
	ck_assert(readable_soon(fd));
	ck_assert_int_eq(workq_try_put(q, tu_item(1)), 0);
	tu_join(t);
	ck_assert_int_eq(g.err, 0);
	ck_assert_ptr_eq(g.item, tu_item(1));
	ck_assert(!readable(fd));
	ck_assert_int_eq(workq_close(q), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

enum { ROOM_ITEMS = 20000 };

struct slow_consumer {
	workq_t *q;
	uintptr_t next;         /* the item it expects next */
	int bad;
};

static void *slow_consumer_main(void *arg)
{
	struct slow_consumer *c = arg;
	void *item;

	while (workq_get(c->q, &item) == 0) {
		if (tu_num(item) != c->next)
			c->bad = 1;
		c->next++;
	}
	return NULL;
}

/* An event loop puts every item through try_put, waiting on the room
 * descriptor after each EAGAIN: all arrive, in order, and every wait
 * ends. */
START_TEST(room_fd_event_loop_producer)
{
	workq_t *q;
	struct slow_consumer c = { NULL, 1, 0 };
	pthread_t t;
	uintptr_t n = 1;
	int fd;
	int stuck = 0;

	ck_assert_int_eq(workq_create(&q, _i == 0 ? 1 : 8), 0);
	ck_assert_int_eq(workq_pollfd_room(q, &fd), 0);
	c.q = q;
	t = tu_spawn(slow_consumer_main, &c);
	while (n <= ROOM_ITEMS && !stuck) {
		int err = workq_try_put(q, tu_item(n));

		if (err == 0)
			n++;
		else if (err == EAGAIN)
			stuck = !readable_soon(fd);
		else
			stuck = 1;
	}
	ck_assert_int_eq(stuck, 0);
	ck_assert_int_eq(workq_close(q), 0);
	tu_join(t);
	ck_assert_int_eq(c.bad, 0);
	ck_assert_uint_eq(c.next, ROOM_ITEMS + 1);
	ck_assert_int_eq(workq_destroy(q), 0);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *pollfd_suite(void)
{
	Suite *s = suite_create("pollfd");
	TCase *tc = tcase_create("descriptor");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, pollfd_einval_leaves_fdp_untouched);
	tcase_add_test(tc, pollfd_same_fd_on_every_call);
	tcase_add_test(tc, pollfd_two_queues_get_different_fds);
	tcase_add_test(tc, pollfd_is_cloexec_and_nonblocking);
	tcase_add_test(tc, pollfd_closed_by_destroy);
	tcase_add_test(tc, queue_without_pollfd_opens_no_descriptor);
	tcase_add_test(tc, pollfd_emfile_when_no_descriptor_left);
	suite_add_tcase(s, tc);

	tc = tcase_create("level");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, pollfd_readable_exactly_while_items_queued);
	tcase_add_loop_test(tc, pollfd_not_readable_after_last_item_taken,
	                    0, 4);
	tcase_add_test(tc, pollfd_readable_after_close_forever);
	tcase_add_test(tc, pollfd_readable_through_close_and_drain);
	tcase_add_test(tc, pollfd_asked_late_reflects_current_state);
	tcase_add_test(tc, pollfd_follows_batch_calls);
	tcase_add_test(tc, pollfd_readable_after_discard);
#ifdef HAVE_SYS_EPOLL_H
	tcase_add_test(tc, pollfd_epoll_level_triggered);
	tcase_add_test(tc, pollfd_epoll_edge_triggered_sees_each_rise);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_loop_test(tc, pollfd_wakes_a_sleeping_poller, 0,
	                    4 * POLL_KINDS);
	tcase_add_test(tc, pollfd_event_loop_drains_four_producers);
	suite_add_tcase(s, tc);

	tc = tcase_create("room");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, room_fd_is_its_own);
	tcase_add_test(tc, room_fd_readable_exactly_while_room);
	tcase_add_test(tc, room_fd_on_a_bound_queue_waits_for_task_done);
	tcase_add_test(tc, room_fd_at_capacity_0_needs_a_waiting_consumer);
	tcase_add_loop_test(tc, room_fd_event_loop_producer, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(pollfd_suite());
}
