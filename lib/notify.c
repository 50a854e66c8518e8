/*
 * notify.c - the descriptor behind workq_pollfd(): readable exactly while
 * the queue says so.
 *
 * An eventfd (or a pipe, where there is none) holds at most one unit:
 * raised means one unit is in it, so it polls readable; lowered means it
 * is empty.  The queue raises and lowers it under its mutex, only on the
 * transitions, so each change costs one small system call and a queue
 * that never asked for a descriptor makes none.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#ifdef HAVE_SYS_EVENTFD_H
#include <sys/eventfd.h>
#endif

#include "workq-internal.h"

void workq__notifier_init(struct workq__notifier *n)
{
	n->rfd = n->wfd = -1;
	n->raised = 0;
}

#if !defined(HAVE_SYS_EVENTFD_H) && !defined(HAVE_PIPE2)
static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return errno;
	return 0;
}
#endif

#ifndef HAVE_SYS_EVENTFD_H
/*
 * A non-blocking, close-on-exec pipe.  pipe2 sets both flags as it makes
 * the descriptors; without it they are set a moment later, and a fork
 * and exec in another thread in between leaks the pair into the new
 * program (POSIX offers no way round that; the descriptors still work).
 */
static int open_pipe(int fds[2])
{
#ifdef HAVE_PIPE2
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0 ? 0 : errno;
#else
	int err;

	if (pipe(fds) != 0)
		return errno;
	err = set_flags(fds[0]);
	if (err == 0)
		err = set_flags(fds[1]);
	if (err != 0) {
		close(fds[0]);
		close(fds[1]);
	}
	return err;
#endif
}
#endif

int workq__notifier_open(struct workq__notifier *n)
{
#ifdef HAVE_SYS_EVENTFD_H
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return errno;
	n->rfd = n->wfd = fd;
#else
	int fds[2];
	int err = open_pipe(fds);

	if (err != 0)
		return err;
	n->rfd = fds[0];
	n->wfd = fds[1];
#endif
	n->raised = 0;
	return 0;
}

/* One unit: 8 bytes for an eventfd, 1 for a pipe. */
static void transfer(int fd, int writing)
{
	uint64_t unit = 1;
#ifdef HAVE_SYS_EVENTFD_H
	const size_t len = sizeof(unit);
#else
	const size_t len = 1;
#endif
	ssize_t r;

	do
		r = writing ? write(fd, &unit, len) : read(fd, &unit, len);
	while (r < 0 && errno == EINTR);
	/* The unit count is tracked, so the descriptor can be neither full
	 * nor empty here; anything else means it was closed under us. */
	if (r != (ssize_t)len)
		workq__die(writing ? "notifier write" : "notifier read",
		           r < 0 ? errno : EIO, __FILE__, __LINE__);
}

void workq__notifier_set(struct workq__notifier *n, int readable)
{
	int saved_errno;

	if (readable == n->raised)
		return;
	saved_errno = errno;    /* the API never sets errno */
	transfer(readable ? n->wfd : n->rfd, readable);
	errno = saved_errno;
	n->raised = readable;
}

void workq__notifier_close(struct workq__notifier *n)
{
	if (n->rfd >= 0)
		close(n->rfd);
	if (n->wfd >= 0 && n->wfd != n->rfd)
		close(n->wfd);
	workq__notifier_init(n);
}
