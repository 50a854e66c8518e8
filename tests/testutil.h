/*
 * testutil.h - small helpers shared by the Check programs in tests/.
 *
 * Rules the helpers support (see STYLE.md, section D):
 *   - ck_assert* only from the test's own thread: other threads record
 *     results in their own slots, which the test checks after joining;
 *   - no sleep() to order events: a test that needs "thread T is now
 *     blocked inside the call" uses tu_wait_blocked(), which watches the
 *     thread's state in /proc and then gives it a moment more.
 *
 * /proc and SYS_gettid are Linux's (configure: HAVE_LINUX_PROCFS,
 * HAVE_DECL_SYS_GETTID).  Without them tu_wait_blocked() can only pause,
 * and the thread counts read -1, so that checks comparing two counts
 * compare nothing: the tests still pass and fail on everything else.
 */
#ifndef WORKQ_TESTUTIL_H
#define WORKQ_TESTUTIL_H

#include <config.h>

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if HAVE_DECL_SYS_GETTID
#include <sys/syscall.h>
#endif
#include <time.h>
#include <unistd.h>

#include <workq.h>

/* Default per-tcase timeout in seconds (Check scales it by
 * CK_TIMEOUT_MULTIPLIER, which sanitizer and valgrind runs set). */
#define TU_TIMEOUT 20

/* Item n as a pointer, and back: tests use small integers as items. */
static inline void *tu_item(uintptr_t n)
{
	return (void *)n;
}

static inline uintptr_t tu_num(const void *p)
{
	return (uintptr_t)p;
}

/* A value no workq call should ever write: out-parameters start as it,
 * so that a test can tell whether a call wrote them. */
static inline void *tu_untouched(void)
{
	static char mark;

	return &mark;
}
#define UNTOUCHED (tu_untouched())

static inline struct timespec tu_ts(long sec, long nsec)
{
	struct timespec ts;

	ts.tv_sec = sec;
	ts.tv_nsec = nsec;
	return ts;
}

static inline struct timespec tu_ms(long ms)
{
	return tu_ts(ms / 1000, (ms % 1000) * 1000000L);
}

/* Monotonic time in nanoseconds. */
static inline int64_t tu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* xorshift64*: a small, fast generator for picking operations and
 * delays; the state *st must not be 0. */
static inline uint64_t tu_rnd(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline void tu_sleep_ms(long ms)
{
	struct timespec ts = tu_ms(ms);

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#if defined(HAVE_LINUX_PROCFS) && HAVE_DECL_SYS_GETTID
#define TU_WATCH_THREADS 1
#else
#define TU_WATCH_THREADS 0
#endif

/* The kernel's id of the calling thread, for tu_wait_blocked(); -1
 * where threads cannot be watched (never 0, which tests read as "not
 * started yet"). */
static inline pid_t tu_gettid(void)
{
#if TU_WATCH_THREADS
	return (pid_t)syscall(SYS_gettid);
#else
	return -1;
#endif
}

/* The scheduler state letter of thread `tid` ('R', 'S', ...), or 0. */
static inline char tu_thread_state(pid_t tid)
{
#if TU_WATCH_THREADS
	char path[64], buf[512];
	char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* the name may contain spaces */
	return (p != NULL && p[1] == ' ') ? p[2] : 0;
#else
	(void)tid;
	return 0;
#endif
}

/*
 * Waits until thread `tid` sleeps (state 'S'), then a few milliseconds
 * more, so that a thread about to block in a workq call is really
 * blocked in it.  Gives up after about 5 s; a test then fails on its
 * own assertions (or its tcase timeout), never hangs here.  Where the
 * state cannot be read it pauses 100 ms instead: a thread that has not
 * blocked by then makes the test weaker (its call finds the change
 * already made), not wrong.
 */
static inline void tu_wait_blocked(pid_t tid)
{
	int i;

	if (!TU_WATCH_THREADS) {
		tu_sleep_ms(100);
		return;
	}
	for (i = 0; i < 5000; i++) {
		if (tu_thread_state(tid) == 'S')
			break;
		tu_sleep_ms(1);
	}
	tu_sleep_ms(20);
}

/* Creates a thread or fails the test. */
static inline pthread_t tu_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	ck_assert_int_eq(err, 0);
	return t;
}

/* Joins a thread or fails the test; returns what it returned. */
static inline void *tu_join(pthread_t t)
{
	void *ret = NULL;

	ck_assert_int_eq(pthread_join(t, &ret), 0);
	return ret;
}

/* Threads of this process now, from /proc/self/task; -1 if unreadable. */
static inline int tu_count_threads(void)
{
	DIR *d = TU_WATCH_THREADS ? opendir("/proc/self/task") : NULL;
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Joined threads may linger in /proc for a moment after pthread_join
 * returns (the kernel reaps them asynchronously): waits up to about 10 s
 * for the count to come back to `want`, and returns the last count. */
static inline int tu_settle_threads(int want)
{
	int i, n = tu_count_threads();

	for (i = 0; i < 10000 && n != want; i++) {
		tu_sleep_ms(1);
		n = tu_count_threads();
	}
	return n;
}

static inline void *tu_tid_thread(void *arg)
{
	*(pid_t *)arg = tu_gettid();
	return NULL;
}

/*
 * The thread count to come back to after a test's threads are gone.
 * Runtimes may start helper threads of their own when the first thread
 * is created (ThreadSanitizer does), so one thread is made, joined and
 * waited out of /proc before counting.
 */
static inline int tu_thread_baseline(void)
{
	char path[64];
	pthread_t t;
	pid_t tid = 0;
	int i;

	if (TU_WATCH_THREADS &&
	    pthread_create(&t, NULL, tu_tid_thread, &tid) == 0) {
		pthread_join(t, NULL);
		snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
		for (i = 0; i < 10000 && access(path, F_OK) == 0; i++)
			tu_sleep_ms(1);
	}
	return tu_count_threads();
}

/* Creates a queue or fails the test. */
static inline workq_t *tu_queue(size_t capacity)
{
	workq_t *q = NULL;

	ck_assert_int_eq(workq_create(&q, capacity), 0);
	ck_assert_ptr_nonnull(q);
	return q;
}

/* Scales an iteration count down for slow runs (valgrind, sanitizers):
 * WORKQ_TEST_SCALE=10 divides it by 10. */
static inline long tu_scaled(long n)
{
	const char *s = getenv("WORKQ_TEST_SCALE");
	long div = s != NULL ? strtol(s, NULL, 10) : 1;

	if (div < 1)
		div = 1;
	return n / div > 0 ? n / div : 1;
}

/* Runs a suite in Check's default (fork) mode; the exit status for
 * automake's harness. */
static inline int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* WORKQ_TESTUTIL_H */
