/*
 * sync.c - checked wrappers around pthread locks and condition variables,
 * and the clock arithmetic of timed waits.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workq-internal.h"

#if defined(HAVE_PTHREAD_CONDATTR_SETCLOCK) && defined(CLOCK_MONOTONIC)
#define WAIT_CLOCK CLOCK_MONOTONIC
#define WAIT_CLOCK_IS_MONOTONIC 1
#else
/* Without pthread_condattr_setclock, condvars measure CLOCK_REALTIME, so
 * a wall-clock step can shorten or stretch a timed wait here. */
#define WAIT_CLOCK CLOCK_REALTIME
#define WAIT_CLOCK_IS_MONOTONIC 0
#endif

void workq__die(const char *what, int err, const char *file, int line)
{
	fprintf(stderr, "workq: %s:%d: %s failed: %s\n", file, line, what,
	        strerror(err));
	abort();
}

void workq__signal_at(pthread_cond_t *c, const char *file, int line)
{
	int err = pthread_cond_signal(c);

	if (err != 0)
		workq__die("pthread_cond_signal", err, file, line);
}

void workq__broadcast_at(pthread_cond_t *c, const char *file, int line)
{
	int err = pthread_cond_broadcast(c);

	if (err != 0)
		workq__die("pthread_cond_broadcast", err, file, line);
}

int workq__wait_at(pthread_cond_t *c, pthread_mutex_t *m,
                   const struct timespec *deadline, const char *file,
                   int line)
{
	int err;

	if (deadline == NULL)
		err = pthread_cond_wait(c, m);
	else
		err = pthread_cond_timedwait(c, m, deadline);
	if (err != 0 && err != ETIMEDOUT)
		workq__die("pthread_cond_wait", err, file, line);
	return err;
}

int workq__mutex_init(pthread_mutex_t *m)
{
#if defined(HAVE_DECL_PTHREAD_MUTEX_ADAPTIVE_NP) && HAVE_DECL_PTHREAD_MUTEX_ADAPTIVE_NP
	/* glibc's adaptive mutex spins briefly before sleeping: the queue's
	 * critical sections are a few dozen instructions, so a contended
	 * lock is usually free again sooner than a futex round trip. */
	pthread_mutexattr_t attr;
	int err = pthread_mutexattr_init(&attr);

	if (err != 0)
		return err;
	err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	if (err == 0)
		err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return err;
#else
	return pthread_mutex_init(m, NULL);
#endif
}

int workq__cond_init(pthread_cond_t *c)
{
#if WAIT_CLOCK_IS_MONOTONIC
	pthread_condattr_t attr;
	int err = pthread_condattr_init(&attr);

	if (err != 0)
		return err;
	err = pthread_condattr_setclock(&attr, WAIT_CLOCK);
	if (err == 0)
		err = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return err;
#else
	return pthread_cond_init(c, NULL);
#endif
}

void workq__deadline(const struct timespec *timeout, struct timespec *abs)
{
	/* time_t may be 32 or 64 bits, signed; clamp instead of overflowing
	 * so that a huge timeout means "practically forever". */
	const time_t tmax = (time_t)((sizeof(time_t) >= 8) ? INT64_MAX
	                                                    : INT32_MAX);

	clock_gettime(WAIT_CLOCK, abs);
	if (timeout->tv_sec > tmax - abs->tv_sec - 1) {
		abs->tv_sec = tmax;
		abs->tv_nsec = 999999999L;
		return;
	}
	abs->tv_sec += timeout->tv_sec;
	abs->tv_nsec += timeout->tv_nsec;
	if (abs->tv_nsec > 999999999L) {
		abs->tv_sec++;
		abs->tv_nsec -= 1000000000L;
	}
}
