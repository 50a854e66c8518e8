/*
 * conditions.c - entering and leaving the benchmark's CPU conditions
 * (see conditions.h).  Linux only, as the benchmark is: CPU affinity,
 * prctl and cgroups.
 *
 * Two of them leave something behind that must not outlive the
 * benchmark: busy's hog processes and quota1's cgroup.  So the process
 * that entered them (the owner) undoes both at exit and on the usual
 * terminating signals; the benchmark's runs, forked from the owner,
 * inherit the handlers but find that they are not the owner and do
 * nothing.  The hogs also die with the owner if it is killed outright
 * (PR_SET_PDEATHSIG); a group left behind then (empty, once the runs
 * died too) is removed by the next benchmark that enters quota1.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conditions.h"

static const char *const names[NCOND] = {"quiet", "cpu1", "busy", "quota1",
	"neighbour"};

/* One CPU's worth: the quota equals the period (docker --cpus=1). */
#define QUOTA_US "100000"
#define PERIOD_US "100000"

#define MAX_HOGS 1024

/*
 * The state below is written by the owner's main thread alone (the
 * benchmark's parent starts no thread).  The signal handler reads it:
 * counts and flags that say how much of it is valid are volatile
 * sig_atomic_t, and each is set only after what it covers is written.
 */
static pid_t owner;             /* the process that enters conditions */
static volatile pid_t run_pid;  /* the forked run in progress, or 0 */
static char pid_text[24];       /* owner's pid and a newline */

/* cpu1: the mask to go back to. */
static cpu_set_t saved_mask;
static int pinned;

/* busy: the hogs started so far. */
static pid_t hog_pid[MAX_HOGS];
static volatile sig_atomic_t nhogs;

/* quota1: the group made, the cgroup.procs of the one the owner came
 * from, and the subtree_control file where the cpu controller was
 * enabled for the group (to disable it again). */
static char group[PATH_MAX];
static char home_procs[PATH_MAX];
static char subtree[PATH_MAX];
static volatile sig_atomic_t have_group, in_group, enabled_cpu;

const char *condition_name(enum condition c)
{
	return c < NCOND ? names[c] : "?";
}

/* Whether word is one of the items of list, separated by sep. */
static int has_word(const char *list, const char *word, char sep)
{
	size_t len = strlen(word);

	while (*list != '\0') {
		const char *end = strchr(list, sep);
		size_t n = end != NULL ? (size_t)(end - list) : strlen(list);

		if (n == len && strncmp(list, word, len) == 0)
			return 1;
		if (end == NULL)
			break;
		list = end + 1;
	}
	return 0;
}

int condition_parse(const char *list, unsigned *mask, char *why,
                    size_t len)
{
	*mask = 0;
	while (*list != '\0') {
		size_t n = strcspn(list, ",");
		int c;

		if (n == 3 && strncmp(list, "all", 3) == 0) {
			*mask |= (1u << NCOND) - 1;
		} else if (n > 0) {
			for (c = 0; c < NCOND; c++)
				if (strlen(names[c]) == n &&
				    strncmp(list, names[c], n) == 0)
					break;
			if (c == NCOND) {
				snprintf(why, len, "unknown condition '%.*s' "
				         "(quiet, cpu1, busy, quota1, neighbour, all)",
				         (int)n, list);
				return -1;
			}
			*mask |= 1u << c;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	if (*mask == 0) {
		snprintf(why, len, "no condition named");
		return -1;
	}
	return 0;
}

unsigned condition_cpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	/* More CPUs than a cpu_set_t holds: all of them, then. */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(char *what, size_t len, const char *fmt, ...);
static int fail(char *what, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------ */
/* What must not outlive the benchmark                                 */
/* ------------------------------------------------------------------ */

/* Writes text to the file at path: 0 or an errno value.  Only open,
 * write and close, so that the signal handler may use it. */
static int put_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t k;
	int err;

	if (fd < 0)
		return errno;
	k = write(fd, text, len);
	err = k == (ssize_t)len ? 0 : k < 0 ? errno : EIO;
	close(fd);
	return err;
}

static void stop_hogs(void)
{
	int i, n = nhogs;

	for (i = 0; i < n; i++)
		kill(hog_pid[i], SIGKILL);
	for (i = 0; i < n; i++)
		while (waitpid(hog_pid[i], NULL, 0) < 0 && errno == EINTR)
			;
	nhogs = 0;
}

/*
 * Leaves the quota1 group and removes it: 0, or the errno value of the
 * step that failed.  A group is removable once its last task is gone,
 * which the kernel may notice a moment after the task left: hence the
 * few tries.  Async-signal-safe.
 */
static int drop_group(void)
{
	struct timespec pause = {0, 20000000};
	int err = 0, tries;

	if (in_group) {
		if ((err = put_file(home_procs, pid_text)) != 0)
			return err;
		in_group = 0;
	}
	if (have_group) {
		for (tries = 0; tries < 25; tries++) {
			if (rmdir(group) == 0 || errno == ENOENT)
				break;
			err = errno;
			nanosleep(&pause, NULL);
		}
		if (tries == 25)
			return err;
		have_group = 0;
		err = 0;
	}
	/* Fails harmlessly (EBUSY) where some other group now uses it. */
	if (enabled_cpu) {
		put_file(subtree, "-cpu");
		enabled_cpu = 0;
	}
	return err;
}

void condition_run(pid_t pid)
{
	run_pid = pid;
}

/* Kills and reaps the run in progress and the hogs, leaves and removes
 * the cgroup; in the owner only.  Async-signal-safe. */
static void undo_lasting(void)
{
	pid_t run = run_pid;

	if (owner == 0 || getpid() != owner)
		return;
	if (run > 0) {
		kill(run, SIGKILL);
		while (waitpid(run, NULL, 0) < 0 && errno == EINTR)
			;
		run_pid = 0;
	}
	stop_hogs();
	drop_group();
}

static void on_exit_undo(void)
{
	undo_lasting();
}

static void on_signal(int sig)
{
	int saved = errno;

	undo_lasting();
	/* Die of the signal, as without this handler: it is blocked
	 * until the handler returns, and then kills. */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void condition_init(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa, old;
	size_t i;

	owner = getpid();
	snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)owner);
	atexit(on_exit_undo);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* One clean-up at a time: a second signal waits for the first's
	 * handler to finish. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A signal ignored by whoever started us (nohup) stays so. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* cpu1                                                                */
/* ------------------------------------------------------------------ */

static int enter_cpu1(char *what, size_t len)
{
	cpu_set_t one;
	int cpu;

	if (sched_getaffinity(0, sizeof(saved_mask), &saved_mask) != 0)
		return fail(what, len, "sched_getaffinity: %s",
		            strerror(errno));
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &saved_mask))
			break;
	if (cpu == CPU_SETSIZE)
		return fail(what, len, "empty CPU affinity mask");
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0)
		return fail(what, len, "sched_setaffinity: %s",
		            strerror(errno));
	pinned = 1;
	snprintf(what, len, "the process pinned to CPU %d, the first of "
	         "the %d it may use (sched_setaffinity); every run inherits "
	         "it", cpu, CPU_COUNT(&saved_mask));
	return 0;
}

static void leave_cpu1(void)
{
	if (pinned &&
	    sched_setaffinity(0, sizeof(saved_mask), &saved_mask) != 0)
		fprintf(stderr, "bench: cpu1: cannot restore the CPU mask: "
		        "%s\n", strerror(errno));
	pinned = 0;
}

/* ------------------------------------------------------------------ */
/* busy                                                                */
/* ------------------------------------------------------------------ */

/*
 * A hog: spins until killed, and dies with the owner in any case.  With
 * `apart`, in a session of its own: where the kernel groups tasks by
 * session (sched_autogroup), the scheduler then shares the CPUs between
 * the benchmark's group and the hogs' rather than between threads, as
 * between two containers of equal weight.
 */
static void hog(pid_t parent, int apart)
{
	volatile unsigned long spin = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)        /* it died before prctl */
		_exit(0);
	if (apart)
		(void)setsid();
	for (;;)
		spin++;
}

static int enter_busy(unsigned n, int apart, char *what, size_t len)
{
	unsigned i;

	if (n < 1 || n > MAX_HOGS)
		return fail(what, len, "%u hogs: 1 to %d", n, MAX_HOGS);
	/* Nothing buffered may be written twice by a hog's exit. */
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			int err = errno;

			stop_hogs();
			return fail(what, len, "fork: %s", strerror(err));
		}
		if (pid == 0)
			hog(owner, apart);
		hog_pid[nhogs] = pid;
		nhogs = nhogs + 1;
	}
	snprintf(what, len, "%u busy-loop processes at normal priority "
	         "(by default one per CPU the process may use)%s, "
	         "for the whole condition", n,
	         apart ? ", each in a session of its own" : "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* quota1                                                              */
/* ------------------------------------------------------------------ */

/* The first line of the file at path, without its newline: 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Where a filesystem of type fstype is mounted, the first one whose
 * mount options include option (NULL: any): 0 or -1. */
static int find_mount(const char *fstype, const char *option, char *dir,
                      size_t len)
{
	char line[1024], dev[256], mnt[1024], type[64], opts[512];
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = -1;

	if (f == NULL)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%255s %1023s %63s %511s", dev, mnt, type,
		           opts) != 4 || strcmp(type, fstype) != 0)
			continue;
		if (option != NULL && !has_word(opts, option, ','))
			continue;
		if ((size_t)snprintf(dir, len, "%s", mnt) < len)
			found = 0;
	}
	fclose(f);
	return found;
}

/* This process's cgroup, as /proc/self/cgroup gives it: in cgroup v2
 * (controller NULL) or in the v1 hierarchy of controller.  "/" comes
 * back as "", so that it can be appended to a mount point.  0 or -1. */
static int own_cgroup(const char *controller, char *path, size_t len)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int found = -1;

	if (f == NULL)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f) != NULL) {
		char *ctl = strchr(line, ':'), *where;

		if (ctl == NULL || (where = strchr(++ctl, ':')) == NULL)
			continue;
		*where++ = '\0';
		where[strcspn(where, "\n")] = '\0';
		if (controller == NULL ? strcmp(line, "0:") != 0 ||
		                         *ctl != '\0' :
		                         !has_word(ctl, controller, ','))
			continue;
		if ((size_t)snprintf(path, len, "%s",
		                     strcmp(where, "/") == 0 ? "" : where) < len)
			found = 0;
	}
	fclose(f);
	return found;
}

#define GROUP_PREFIX "workq-bench-quota1."

/*
 * Removes the groups under dir that an earlier benchmark made and could
 * not remove, having been killed outright (SIGKILL): those named for a
 * process that no longer exists.  rmdir removes only empty ones.
 */
static void drop_stale_groups(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *num = e->d_name + strlen(GROUP_PREFIX);
		char *end;
		long pid;

		if (strncmp(e->d_name, GROUP_PREFIX,
		            strlen(GROUP_PREFIX)) != 0)
			continue;
		pid = strtol(num, &end, 10);
		if (end == num || *end != '\0' || pid <= 0 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		                     e->d_name) < sizeof(path))
			rmdir(path);
	}
	closedir(d);
}

/* path = a + b; -1 when it does not fit. */
static int join(char *path, size_t len, const char *a, const char *b)
{
	return (size_t)snprintf(path, len, "%s%s", a, b) < len ? 0 : -1;
}

/*
 * Finds the cgroup the owner is in (under mnt, in v2 if controller is
 * NULL, else in the v1 hierarchy of controller) into home, and its
 * cgroup.procs into home_procs, which the owner must be able to write
 * to come back.  0, or -1 with the reason in what.
 */
static int find_home(const char *mnt, const char *controller, char *home,
                     size_t hlen, char *what, size_t len)
{
	char own[PATH_MAX];

	if (own_cgroup(controller, own, sizeof(own)) != 0)
		return fail(what, len, "no %s%s line in /proc/self/cgroup",
		            controller ? "cgroup v1 " : "cgroup v2",
		            controller ? controller : "");
	if (join(home, hlen, mnt, own) != 0 ||
	    join(home_procs, sizeof(home_procs), home, "/cgroup.procs") != 0)
		return fail(what, len, "path too long under %s", mnt);
	if (access(home_procs, W_OK) != 0)
		return fail(what, len, "cannot write %s, to come back to: %s",
		            home_procs, strerror(errno));
	return 0;
}

/*
 * Makes group (set beforehand), gives it the quota through the files
 * and values in set[] (name, value, ...), and moves the owner in.
 * 0, or -1 with the reason in what, and the group removed.
 */
static int make_group(const char *const set[], size_t nset, char *what,
                      size_t len)
{
	char file[PATH_MAX];
	size_t i;
	int err;

	if (mkdir(group, 0755) != 0)
		return fail(what, len, "cannot create %s: %s", group,
		            strerror(errno));
	have_group = 1;
	for (i = 0; i + 1 < nset; i += 2) {
		if (join(file, sizeof(file), group, set[i]) != 0 ||
		    (err = put_file(file, set[i + 1])) != 0) {
			drop_group();
			return fail(what, len, "cannot write %s%s: %s", group,
			            set[i], strerror(err));
		}
	}
	if (join(file, sizeof(file), group, "/cgroup.procs") != 0 ||
	    (err = put_file(file, pid_text)) != 0) {
		drop_group();
		return fail(what, len, "cannot move into %s: %s", group,
		            strerror(err));
	}
	in_group = 1;
	return 0;
}

/*
 * cgroup v2: the group goes under the hierarchy's root, where a group
 * may have both processes and controllers enabled for its children;
 * the cpu controller is enabled there if it is not yet.
 */
static int quota_v2(const char *mnt, char *what, size_t len)
{
	static const char *const set[] = {
		"/cpu.max", QUOTA_US " " PERIOD_US "\n"
	};
	char home[PATH_MAX], line[512];
	int err;

	if (find_home(mnt, NULL, home, sizeof(home), what, len) != 0)
		return -1;
	if (join(subtree, sizeof(subtree), mnt,
	         "/cgroup.subtree_control") != 0 ||
	    read_line(subtree, line, sizeof(line)) != 0)
		return fail(what, len, "cannot read %s/cgroup.subtree_control",
		            mnt);
	if (!has_word(line, "cpu", ' ')) {
		if ((err = put_file(subtree, "+cpu")) != 0)
			return fail(what, len, "cannot enable the cpu "
			            "controller in %s: %s", subtree,
			            strerror(err));
		enabled_cpu = 1;
	}
	drop_stale_groups(mnt);
	if (snprintf(group, sizeof(group), "%s/" GROUP_PREFIX "%ld", mnt,
	             (long)owner) >= (int)sizeof(group)) {
		drop_group();
		return fail(what, len, "path too long under %s", mnt);
	}
	if (make_group(set, 2, what, len) != 0)
		return -1;      /* make_group undid the controller too */
	snprintf(what, len, "cgroup v2 %s, cpu.max \"%s %s\" (one CPU's "
	         "worth per period, like docker --cpus=1)", group, QUOTA_US,
	         PERIOD_US);
	return 0;
}

/*
 * cgroup v1: the group goes inside the process's own cpu cgroup, so
 * that any limit already on it still holds.
 */
static int quota_v1(const char *mnt, char *what, size_t len)
{
	static const char *const set[] = {
		"/cpu.cfs_period_us", PERIOD_US "\n",
		"/cpu.cfs_quota_us", QUOTA_US "\n"
	};
	char home[PATH_MAX];

	if (find_home(mnt, "cpu", home, sizeof(home), what, len) != 0)
		return -1;
	drop_stale_groups(home);
	if (snprintf(group, sizeof(group), "%s/" GROUP_PREFIX "%ld", home,
	             (long)owner) >= (int)sizeof(group))
		return fail(what, len, "path too long under %s", home);
	if (make_group(set, 4, what, len) != 0)
		return -1;
	snprintf(what, len, "cgroup v1 %s, cpu.cfs_quota_us %s per "
	         "cpu.cfs_period_us %s (one CPU's worth, like docker "
	         "--cpus=1)", group, QUOTA_US, PERIOD_US);
	return 0;
}

static int enter_quota1(char *what, size_t len)
{
	char mnt[PATH_MAX], file[PATH_MAX], line[512];
	int v2 = find_mount("cgroup2", NULL, mnt, sizeof(mnt)) == 0;

	if (v2 && join(file, sizeof(file), mnt, "/cgroup.controllers") == 0 &&
	    read_line(file, line, sizeof(line)) == 0 &&
	    has_word(line, "cpu", ' '))
		return quota_v2(mnt, what, len);
	if (find_mount("cgroup", "cpu", mnt, sizeof(mnt)) == 0)
		return quota_v1(mnt, what, len);
	return fail(what, len, "%s, and no cgroup v1 cpu hierarchy mounted",
	            v2 ? "cgroup v2 without the cpu controller" :
	                 "no cgroup v2 mounted");
}

static void leave_quota1(void)
{
	int err = drop_group();

	if (err != 0)
		fprintf(stderr, "bench: quota1: cannot %s %s: %s (remove it "
		        "by hand)\n", in_group ? "leave" : "remove", group,
		        strerror(err));
}

/* ------------------------------------------------------------------ */
/* Entering and leaving                                                */
/* ------------------------------------------------------------------ */

int condition_enter(enum condition c, unsigned hogs, char *what,
                    size_t len)
{
	switch (c) {
	case COND_QUIET:
		snprintf(what, len, "the machine as it is");
		return 0;
	case COND_CPU1:
		return enter_cpu1(what, len);
	case COND_BUSY:
		return enter_busy(hogs, 0, what, len);
	case COND_NEIGHBOUR:
		return enter_busy(hogs, 1, what, len);
	case COND_QUOTA1:
		return enter_quota1(what, len);
	default:
		return fail(what, len, "unknown condition %d", (int)c);
	}
}

void condition_leave(enum condition c)
{
	switch (c) {
	case COND_CPU1:
		leave_cpu1();
		break;
	case COND_BUSY:
	case COND_NEIGHBOUR:
		stop_hogs();
		break;
	case COND_QUOTA1:
		leave_quota1();
		break;
	default:
		break;
	}
}
