/*
 * conditions.h - the CPU conditions the benchmark runs its rows under:
 * as the machine is, pinned to one CPU, beside a busy-loop process per
 * CPU, in a CFS quota of one CPU, and beside busy-loop processes of
 * another session.  Users run queues in all five (a laptop, `taskset -c
 * 0`, a loaded build machine, `docker --cpus=1`, a container beside a
 * busy one), and a waiting policy that wins in one can lose badly in
 * another.
 *
 * Only the benchmark's parent process enters and leaves a condition;
 * its runs are forked children and inherit the CPU mask and the cgroup.
 * The parent starts no thread, so the affinity it sets is the whole
 * process's.
 */
#ifndef BENCH_CONDITIONS_H
#define BENCH_CONDITIONS_H

#include <stddef.h>
#include <sys/types.h>

enum condition { COND_QUIET, COND_CPU1, COND_BUSY, COND_QUOTA1,
	COND_NEIGHBOUR, NCOND };

/* The condition's name, as --condition spells it. */
const char *condition_name(enum condition c);

/* Parses a comma separated list of names ("all": every one) into a bit
 * mask (1 << condition).  0, or -1 with the unknown name in why. */
int condition_parse(const char *list, unsigned *mask, char *why,
                    size_t len);

/* The number of CPUs in this process's affinity mask (at least 1). */
unsigned condition_cpus(void);

/*
 * Arms the clean-up: at exit and on SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT, the process that called this (not its forked children)
 * kills and reaps its hogs and leaves its cgroup.  Call once, before
 * any condition is entered.
 */
void condition_init(void);

/*
 * Names the forked run in progress (0: none).  The clean-up at exit or
 * on a signal kills and reaps it first: it would keep the quota1 group
 * from being removed, and has no one to report to.
 */
void condition_run(pid_t pid);

/*
 * Puts the process under condition c; busy and neighbour start hogs
 * processes.
 * Returns 0 with a one-line description of what was done in what, or
 * -1 when c cannot be had here, with the reason in what and nothing
 * changed.
 */
int condition_enter(enum condition c, unsigned hogs, char *what,
                    size_t len);

/* Undoes condition_enter(c); a warning on stderr where it cannot. */
void condition_leave(enum condition c);

#endif /* BENCH_CONDITIONS_H */
