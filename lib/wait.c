/*
 * wait.c - the waiting policy: how long a call that must wait watches
 * the queue before it sleeps.
 *
 * In short.  A waiter watches the queue, then sleeps on its condition
 * variable.  Where the process has one usable CPU, or the threads in the
 * queue's calls outnumber its usable CPUs, the waiter yields between
 * looks (and sleeps at once where other processes keep those CPUs
 * busy); elsewhere one waiter per end spins and the others sleep at
 * once.  A watch lasts while its end's budget does: the budget follows
 * the end's waits, halves when a watch fails, and never exceeds the
 * cost of two wake-ups (the spin-then-block rule of Karlin, Li, Manasse
 * and Owicki).
 *
 * The rule in full.  How a waiter watches depends on the CPUs the
 * process may use (its affinity mask, capped by a cgroup v1 or v2 CPU
 * quota, re-read once a second, the first time after 50 ms):
 *  - with one of them, or more threads in the queue's calls than CPUs,
 *    it yields its CPU between looks, YIELDS times and on while its
 *    end's budget lasts: the thread it waits for may be waiting for
 *    that CPU, a yield that hands it over costs only its system call,
 *    and a sleeper would need a wake-up, which on one CPU preempts the
 *    waker for every item.  But while no thread of the other end is in
 *    the queue's calls, the one it waits for is off doing its own work,
 *    perhaps asleep, and the waiter yields only twice for every other
 *    thread in them, enough to hand it the CPU if it wants it.  A
 *    yield that comes back late (PREEMPTED_NS) with nothing to show
 *    gave the CPU to other work, which a sleeper's wake-up would have
 *    preempted: the waiter stops watching and sleeps.  For the same
 *    reason, where other processes kept those CPUs busy (more than half
 *    a CPU's worth of their time, by /proc/stat, was not this process's,
 *    measured between readings), it sleeps at once;
 *  - otherwise one waiter per end spins (pauses between looks) for up to
 *    its end's budget; the others sleep at once.  But a waiter on the
 *    CPU where the other end's last waiter began or ended its wait
 *    yields instead, as above: the thread it waits for may be queued
 *    behind it on that CPU, where a spin would only keep it out.
 * Each end's budget follows its own waits.  After every wait it moves
 * halfway towards twice the time that wait lasted until the item (or
 * the slot) was there, as seen by the watcher or, for a sleeper, when
 * its waker signalled; a yield taken where threads outnumber the CPUs
 * that saw it says nothing (it waited for the threads ahead of it).  A
 * watch that ran out, a spinner that lost its CPU (a gap between two
 * looks: its CPUs are wanted elsewhere), a late yield, and a wait
 * longer than two wake-ups halve it.  It never exceeds two wake-ups,
 * whose cost the sleepers measure: the classic spin-then-block rule
 * (Karlin, Li, Manasse and Owicki, SOSP 1991: spinning for as long as a
 * block costs is within twice the best).  A wake-up costs the time from
 * the waker's signal until the sleeper runs; where other processes keep
 * the CPUs busy, the CPU time the sleep took its sleeper instead, as a
 * spin there is paid in CPU time they wait for, and the latency is
 * mostly a wait for a CPU, which costs nobody anything.  While a thread
 * of the other end has been signalled and is not yet up, a waiter may
 * watch for two wake-ups whatever its budget, since what it waits for
 * comes right after that wake-up; otherwise a hand-off between two
 * threads that both fell asleep once would go on costing each a wake-up
 * per item.
 *
 * A queue made with the WORKQ_SPIN_NEVER attribute never watches: its
 * waiters sleep at once.
 *
 * Callers hold the end's mutex around workq__watch_budget() and
 * workq__watch_learn(), and drop it around workq__watch().
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workq-internal.h"

/* What a sleep's wake-up is taken to cost until a sleeper of the end has
 * measured it: the order of a futex wake-up on an idle CPU. */
#define WAKE_GUESS_NS 20000

/* A spinner that finds this much time gone between two looks, which are
 * well under a microsecond apart, lost its CPU to another thread, and so
 * did a yield that took this long: longer than any interrupt, shorter
 * than any time slice. */
#define PREEMPTED_NS 50000

/* How many times a waiter yields, at least, before it may sleep (fewer
 * while no thread of the other end is in the queue's calls:
 * share_yields()): a yield that hands the CPU to another thread costs
 * only its system call, and is cheaper than the wake-up a sleeper would
 * need. */
#define YIELDS 16

/* How often the usable CPU count, and how busy other processes keep
 * those CPUs, are read again; the first time sooner, so that a short
 * run has the second figure too (it needs two readings). */
#define CPUS_REREAD_NS 1000000000LL
#define CPUS_FIRST_REREAD_NS 50000000LL

/* A clock's reading in ns, or -1 where it cannot be read. */
static inline long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return -1;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long workq__now_ns(void)
{
#ifdef CLOCK_MONOTONIC
	return clock_ns(CLOCK_MONOTONIC);
#else
	return clock_ns(CLOCK_REALTIME);
#endif
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* ------------------------------------------------------------------ */
/* The CPUs this process may use                                       */
/* ------------------------------------------------------------------ */

/* The smaller of two quotas in CPUs, 0 meaning none. */
static long smaller(long a, long b)
{
	return a > 0 && (b == 0 || a < b) ? a : b;
}

#ifdef HAVE_LINUX_PROCFS
/* Reads one line of at most len - 1 bytes from path; 0 on success. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

/* CPUs' worth of a quota of `quota` per `period`, rounded up; 0: none. */
static long quota_cpus(long long quota, long long period)
{
	if (quota <= 0 || period <= 0)
		return 0;
	return (long)((quota + period - 1) / period);
}

/* The quota a cgroup v2 group sets ("max 100000" is none), or 0. */
static long quota_v2(const char *dir)
{
	char path[4096], line[128], max[32];
	long long period;

	if (snprintf(path, sizeof(path), "%s/cpu.max", dir) >=
	    (int)sizeof(path) || read_line(path, line, sizeof(line)) != 0 ||
	    sscanf(line, "%31s %lld", max, &period) != 2 ||
	    strcmp(max, "max") == 0)
		return 0;
	return quota_cpus(atoll(max), period);
}

/* The quota a cgroup v1 group sets (-1 is none), or 0. */
static long quota_v1(const char *dir)
{
	char path[4096], line[64];
	long long quota, period;

	if (snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir) >=
	    (int)sizeof(path) || read_line(path, line, sizeof(line)) != 0)
		return 0;
	quota = atoll(line);
	if (snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir) >=
	    (int)sizeof(path) || read_line(path, line, sizeof(line)) != 0)
		return 0;
	period = atoll(line);
	return quota_cpus(quota, period);
}

/*
 * The smallest quota set on the group at `path` under `mount` or on any
 * group above it; 0 if none.  A group's quota binds all its descendants.
 * In a container the path may name groups outside the mount: those
 * simply are not there, and the mount's own group still counts.
 */
static long quota_up(const char *mount, const char *path,
                     long (*quota)(const char *dir))
{
	char dir[4096];
	long best = 0;

	if (snprintf(dir, sizeof(dir), "%s%s", mount, path) >=
	    (int)sizeof(dir))
		return 0;
	for (;;) {
		size_t len = strlen(dir);
		char *slash;

		best = smaller(quota(dir), best);
		if (len <= strlen(mount))
			return best;
		slash = strrchr(dir, '/');
		if (slash == NULL || slash < dir + strlen(mount))
			return best;
		*slash = '\0';
	}
}

/* Is `name` one of the comma-separated controllers in `list`? */
static int has_controller(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list != '\0') {
		if (strncmp(list, name, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return 1;
		list = strchr(list, ',');
		if (list == NULL)
			return 0;
		list++;
	}
	return 0;
}

/* The CPU quota of this process's cgroups, in CPUs rounded up; 0 if
 * none is set or none can be read (not Linux, no cgroup mounted). */
static long cgroup_cpus(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "r");
	long best = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *ctl = strchr(line, ':');
		char *path = ctl != NULL ? strchr(ctl + 1, ':') : NULL;
		long n = 0;

		if (path == NULL)
			continue;
		*ctl++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(line, "0") == 0 && *ctl == '\0')
			n = quota_up("/sys/fs/cgroup", path, quota_v2);
		else if (has_controller(ctl, "cpu"))
			n = smaller(quota_up("/sys/fs/cgroup/cpu,cpuacct",
			                     path, quota_v1),
			            quota_up("/sys/fs/cgroup/cpu", path,
			                     quota_v1));
		best = smaller(n, best);
	}
	fclose(f);
	return best;
}
#else
static long cgroup_cpus(void)
{
	return 0;               /* no /proc: no cgroups to read */
}
#endif

static long affinity_cpus(void)
{
#ifdef HAVE_SCHED_GETAFFINITY
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
#endif
	return sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
	       sysconf(_SC_NPROCESSORS_ONLN) : 0;
}

#if defined(HAVE_LINUX_PROCFS) && defined(HAVE_SCHED_GETAFFINITY)
/*
 * CPU time, in clock ticks, that the CPUs of this process's affinity mask
 * spent running tasks (user, nice and system time) since boot, from
 * /proc/stat; -1 if unknown.
 */
static long long mask_busy_ticks(void)
{
	long long busy = 0;
	cpu_set_t set;
	char line[512];
	FILE *f;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	f = fopen("/proc/stat", "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long t[3] = { 0 };
		int cpu;

		if (sscanf(line, "cpu%d %llu %llu %llu", &cpu, &t[0], &t[1],
		           &t[2]) != 4 || cpu < 0 || cpu >= CPU_SETSIZE ||
		    !CPU_ISSET(cpu, &set))
			continue;
		/* user nice system idle ...: the time that ran tasks, to
		 * which a yield can hand the CPU (not interrupts, nor a
		 * hypervisor's steal) */
		busy += (long long)(t[0] + t[1] + t[2]);
	}
	fclose(f);
	return busy;
}

/*
 * Did other processes keep this process's CPUs busy since the last
 * reading: more than half a CPU's worth of those CPUs' time went to work
 * that is not this process's?  While too little time has passed to
 * measure (the kernel counts CPU time in ticks of 10 ms or so), the last
 * answer stands.  Called by one thread at a time (cpus_reading).
 */
static int others_busy(void)
{
	static long long last_now, last_busy, last_own;
	static int crowded;
	long tick = sysconf(_SC_CLK_TCK);
	long long now = workq__now_ns();
	long long busy = mask_busy_ticks();
	long long own = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	if (tick <= 0 || busy < 0 || own < 0)
		return 0;
	if (last_now != 0 && now - last_now < CPUS_FIRST_REREAD_NS)
		return crowded;
	crowded = last_now != 0 &&
	          2 * ((busy - last_busy) * (1000000000LL / tick) -
	               (own - last_own)) > now - last_now;
	last_now = now;
	last_busy = busy;
	last_own = own;
	return crowded;
}
#else
static int others_busy(void)
{
	return 0;               /* no /proc/stat: nothing to go by */
}
#endif

/*
 * Called by a waiter that holds its end's mutex: the file reads must not
 * act on a pending cancellation (fopen and fgets are cancellation
 * points), or the thread would leave with the mutex locked.
 */
static long count_cpus(int *crowded)
{
	int saved_errno = errno;        /* the API never sets errno */
	int state;
	long n;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	n = smaller(cgroup_cpus(), affinity_cpus());
	*crowded = others_busy();
	pthread_setcancelstate(state, NULL);
	errno = saved_errno;
	return n > 0 ? n : 1;
}

/* The count and when to read it again; any thread may refresh them, one
 * at a time (`reading`), and the others use the count as it stands. */
static long cpus_count;                 /* (a) 0 until first read */
static int cpus_crowded;                /* (a) others_busy(), as read */
static long long cpus_next;             /* (a) */
static int cpus_reading;                /* (a) */

long workq__usable_cpus(long long now)
{
	long n = __atomic_load_n(&cpus_count, __ATOMIC_RELAXED);

	if ((n == 0 || now >= __atomic_load_n(&cpus_next, __ATOMIC_RELAXED)) &&
	    !__atomic_exchange_n(&cpus_reading, 1, __ATOMIC_ACQUIRE)) {
		int first = n == 0;
		int crowded;

		n = count_cpus(&crowded);
		__atomic_store_n(&cpus_count, n, __ATOMIC_RELAXED);
		__atomic_store_n(&cpus_crowded, crowded, __ATOMIC_RELAXED);
		__atomic_store_n(&cpus_next, now + (first ? CPUS_FIRST_REREAD_NS
		                                          : CPUS_REREAD_NS),
		                 __ATOMIC_RELAXED);
		__atomic_store_n(&cpus_reading, 0, __ATOMIC_RELEASE);
	}
	return n > 0 ? n : 1;
}

int workq__cpus_crowded(void)
{
	return __atomic_load_n(&cpus_crowded, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Watching                                                            */
/* ------------------------------------------------------------------ */

void workq__watch_init(struct workq__watch *w, int policy)
{
	w->wake = WAKE_GUESS_NS;
	w->sleep_cpu = 0;
	w->budget = WAKE_GUESS_NS;
	w->signalled = 0;
	w->spinner = 0;
	w->preempted = 0;
	w->policy = policy;
}

/*
 * Notes, for the other end's waiters, the CPU the caller runs on, in
 * *note, and returns it (-1: not known, and not noted).
 */
static int note_cpu(int *note)
{
#ifdef HAVE_SCHED_GETCPU
	int saved_errno = errno;        /* the API never sets errno */
	int here = sched_getcpu();

	errno = saved_errno;
	if (here >= 0)
		__atomic_store_n(note, here, __ATOMIC_RELAXED);
	return here;
#else
	(void)note;
	return -1;
#endif
}

/* Only where a waiter may spin: on one CPU none does, so none reads. */
void workq__watch_note_cpu(int *note, long long now)
{
	if (workq__usable_cpus(now) > 1)
		(void)note_cpu(note);
}

/*
 * What a sleep costs, against which a watch is measured.  Where the
 * CPUs are free, its wake-up's latency: the time a spinner could have
 * had the item in.  Where other processes keep them busy, its CPU time:
 * a spin is paid in the CPU time they are waiting for, while the
 * latency is mostly a wait for a CPU, which costs nobody anything.
 */
static long long wake_cost(const struct workq__watch *w)
{
	if (w->sleep_cpu > 0 && w->sleep_cpu < w->wake &&
	    workq__cpus_crowded())
		return w->sleep_cpu;
	return w->wake;
}

/* The calling thread's CPU time in ns, or -1 where there is no clock
 * for it. */
static long long thread_cpu_ns(void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
#else
	return -1;
#endif
}

/* The clock is a system call: read only where its answer is used. */
long long workq__sleep_mark(void)
{
	return workq__cpus_crowded() ? thread_cpu_ns() : -1;
}

long long workq__sleep_cost(long long mark)
{
	long long now = mark >= 0 ? thread_cpu_ns() : -1;

	return now >= mark && mark >= 0 ? now - mark : -1;
}

/*
 * How many times a waiter yields where threads outnumber the CPUs.
 * While a thread of the other end is inside the queue's calls, the one
 * it waits for may be that thread, stopped there for want of a CPU:
 * YIELDS.  Where none is, the one it waits for is off doing its own
 * work, and may be asleep: two turns for each other thread in the
 * queue's calls (two, where there is none) hand it the CPU if it wants
 * it, after the others, and more would only hand the CPU round again.
 */
static int share_yields(size_t threads, size_t across)
{
	size_t others = threads > 1 ? threads - 1 : 1;

	if (across > 0 || others >= YIELDS / 2)
		return YIELDS;
	return 2 * (int)others;
}

enum workq__watch_how workq__watch_budget(struct workq__watch *w,
                                          size_t threads, size_t across,
                                          int waking,
                                          int *note, const int *other,
                                          long long now, long long *budget,
                                          int *yields)
{
	long cpus;
	int here;

	*yields = YIELDS;
	/* The queue's owner said its CPUs are for other work: the waiter
	 * sleeps at once, whatever the waits so far would allow. */
	if (w->policy == WORKQ_SPIN_NEVER) {
		*budget = 0;
		return WATCH_NONE;
	}
	*budget = waking ? 2 * wake_cost(w) : 0;
	if (*budget < w->budget)
		*budget = w->budget;
	cpus = workq__usable_cpus(now);
	/* Where other processes keep the CPUs busy, a yield hands the CPU
	 * to their work for a time slice, which a sleeper's wake-up would
	 * preempt. */
	if (cpus == 1 || (long)threads > cpus) {
		*yields = share_yields(threads, across);
		return workq__cpus_crowded() ? WATCH_NONE : WATCH_SHARE;
	}
	/* Only a waiter that may spin notes and reads: the other end's
	 * note is on a line that end writes, and costs a transfer. */
	here = note_cpu(note);
	if (*budget <= 0)
		return WATCH_NONE;
	if (here >= 0 && __atomic_load_n(other, __ATOMIC_RELAXED) == here)
		return WATCH_YIELD;     /* the thread it waits for may be
		                         * queued behind it, on its CPU */
	if (__atomic_load_n(&w->spinner, __ATOMIC_RELAXED))
		return WATCH_NONE;
	__atomic_store_n(&w->spinner, 1, __ATOMIC_RELAXED);
	return WATCH_SPIN;
}

/*
 * Pauses between looks grow exponentially, up to eight, so that the
 * watcher does not keep taking the cache line that the other end writes.
 */
static int spin(const void *arg, int (*ready)(const void *),
                long long start, long long budget)
{
	long long last = start;
	int step = 1;

	for (;;) {
		long long now;
		int i;

		for (i = 0; i < step; i++)
			cpu_relax();
		if (ready(arg))
			return 1;
		if (step < 8) {
			step *= 2;
			continue;
		}
		now = workq__now_ns();
		if (now - last >= PREEMPTED_NS)
			return -1;
		if (now - start >= budget)
			return 0;
		last = now;
	}
}

static int yield(const void *arg, int (*ready)(const void *),
                 long long start, long long budget, int yields)
{
	long long last = start;
	int i;

	for (i = 0; i < yields || last - start < budget; i++) {
		long long now;

		sched_yield();
		if (ready(arg))
			return 1;
		now = workq__now_ns();
		if (now - last >= PREEMPTED_NS)
			return -1;
		last = now;
	}
	return 0;
}

int workq__watch(struct workq__watch *w, enum workq__watch_how how,
                 const void *arg, int (*ready)(const void *),
                 long long start, long long budget, int yields)
{
	int seen;

	if (how == WATCH_YIELD || how == WATCH_SHARE) {
		seen = yield(arg, ready, start, budget, yields);
	} else {
		seen = spin(arg, ready, start, budget);
		__atomic_store_n(&w->spinner, 0, __ATOMIC_RELAXED);
	}
	if (seen < 0)
		__atomic_store_n(&w->preempted, 1, __ATOMIC_RELAXED);
	return seen > 0;
}

/*
 * A waiter that took turns on CPUs that threads outnumber waited as long
 * as the threads ahead of it ran: that says nothing of a spin where the
 * thread it waits for has a CPU of its own.  (A watch that ran out
 * still counts, as a failure: the turns it took were all spent.)
 */
int workq__watch_teaches(enum workq__watch_how how)
{
	return how != WATCH_SHARE;
}

void workq__watch_learn(struct workq__watch *w, long long waited,
                        long long woke, long long cpu)
{
	long long max;

	if (woke >= 0)
		w->wake += (woke - w->wake) / 4;
	if (cpu >= 0)
		w->sleep_cpu += w->sleep_cpu == 0 ? cpu
		                                  : (cpu - w->sleep_cpu) / 4;
	if (__atomic_exchange_n(&w->preempted, 0, __ATOMIC_RELAXED))
		waited = -1;            /* a failure, whatever came after */
	max = 2 * wake_cost(w);
	if (waited > max || waited < 0)
		w->budget /= 2;
	else
		w->budget = (w->budget + 2 * waited) / 2;
	if (w->budget > max)
		w->budget = max;
}

void workq__watch_signalled(struct workq__watch *w)
{
	w->signalled = workq__now_ns();
}
