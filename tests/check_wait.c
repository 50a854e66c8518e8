/*
 * check_wait.c - the waiting policy (lib/wait.c) on its own: which CPUs
 * it counts, when it spins or yields, and how each end's budget moves.
 * Built from lib/wait.c directly, since its functions are internal.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workq-internal.h"
#include "testutil.h"

/* The ends' CPU notes: this one's, and another end's that never matches
 * (no CPU known). */
static int mine = -1;
static const int none = -1;

/* The yields that the last budget_of() allowed. */
static int yields;

/* workq__watch_budget() for a waiter whose CPU matches no other end's. */
static enum workq__watch_how budget_of(struct workq__watch *w,
                                       size_t threads, int waking,
                                       long long now, long long *budget)
{
	return workq__watch_budget(w, threads, 0, waking, &mine, &none, now,
	                           budget, &yields);
}

/* How a waiter that would yield watches: it sleeps at once while other
 * processes keep the CPUs busy, which a loaded test machine may do. */
static enum workq__watch_how yielding(void)
{
	return workq__cpus_crowded() ? WATCH_NONE : WATCH_SHARE;
}

/* Far enough ahead that the cached CPU count is read again. */
static long long later(int seconds)
{
	return workq__now_ns() + seconds * 2000000000LL;
}

static int never(const void *q)
{
	(void)q;
	return 0;
}

static int always(const void *q)
{
	(void)q;
	return 1;
}

#ifdef HAVE_SCHED_GETAFFINITY
/*
 * Pins the process to its first allowed CPU; *old gets the mask.
 * Returns 0 where the mask does not stick (valgrind runs every thread
 * on one of its own and reports the host's mask): nothing to test.
 */
static int pin_to_one(cpu_set_t *old)
{
	cpu_set_t one, now;
	int cpu;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(*old), old), 0);
	for (cpu = 0; !CPU_ISSET(cpu, old); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	ck_assert_int_eq(sched_getaffinity(0, sizeof(now), &now), 0);
	if (CPU_COUNT(&now) == 1 && workq__usable_cpus(later(5)) == 1)
		return 1;
	printf("the affinity mask does not stick here: not tested\n");
	return 0;
}

START_TEST(usable_cpus_follow_the_affinity_mask)
{
	cpu_set_t old;
	long all = workq__usable_cpus(later(1));

	ck_assert_int_ge(all, 1);
	if (!pin_to_one(&old))
		return;
	ck_assert_int_eq(workq__usable_cpus(later(6)), 1);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(old), &old), 0);
	ck_assert_int_eq(workq__usable_cpus(later(7)), all);
	ck_assert_int_le(all, CPU_COUNT(&old));
}
END_TEST

START_TEST(one_usable_cpu_never_spins)
{
	struct workq__watch w;
	cpu_set_t old;
	long long budget;
	size_t threads;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	if (!pin_to_one(&old))
		return;
	for (threads = 1; threads <= 4; threads++) {
		enum workq__watch_how how = budget_of(&w, threads, 0, later(1),
		                                      &budget);

		ck_assert_int_eq(how, yielding());
	}
	ck_assert_int_eq(w.spinner, 0);
}
END_TEST
#endif

START_TEST(more_threads_than_cpus_yield)
{
	struct workq__watch w;
	long long budget;
	long cpus = workq__usable_cpus(later(1));

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	ck_assert_int_eq(budget_of(&w, (size_t)cpus + 1, 0, later(1),
	                           &budget), yielding());
	ck_assert_int_eq(w.spinner, 0);
}
END_TEST

START_TEST(one_spinner_per_end)
{
	struct workq__watch w;
	long long budget;

	if (workq__usable_cpus(later(1)) < 2)
		return;         /* one CPU: nobody spins (tested above) */
	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	ck_assert_int_eq(budget_of(&w, 1, 0, later(1), &budget),
	                 WATCH_SPIN);
	ck_assert_int_gt(budget, 0);
	ck_assert_int_eq(budget_of(&w, 1, 0, later(1), &budget),
	                 WATCH_NONE);
	/* The spin ends (here at once: always ready): the next may spin. */
	ck_assert_int_eq(workq__watch(&w, WATCH_SPIN, NULL, always,
	                              workq__now_ns(), budget, 0), 1);
	ck_assert_int_eq(budget_of(&w, 1, 0, later(1), &budget),
	                 WATCH_SPIN);
}
END_TEST

/* Where the other end's last waiter ran on this CPU, a spin would keep
 * the thread it waits for out: yield, and take no spinner's place.  The
 * waiter notes its own CPU as it decides. */
#ifdef HAVE_SCHED_GETCPU
START_TEST(a_waiter_on_the_other_ends_cpu_yields)
{
	struct workq__watch w;
	long long budget;
	int other, tries;

	if (workq__usable_cpus(later(1)) < 2)
		return;         /* one CPU: nobody spins (tested above) */
	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	/* The thread may move between the two looks at its CPU: try until
	 * it did not. */
	for (tries = 0; tries < 1000; tries++) {
		enum workq__watch_how how;

		other = sched_getcpu();
		mine = -1;
		how = workq__watch_budget(&w, 1, 0, 0, &mine, &other,
		                          later(1), &budget, &yields);
		if (mine != other)
			continue;
		ck_assert_int_eq(how, WATCH_YIELD);
		ck_assert_int_eq(w.spinner, 0);
		return;
	}
	ck_abort_msg("the thread moved between every two looks at its CPU");
}
END_TEST
#endif

START_TEST(no_budget_means_sleep_at_once)
{
	struct workq__watch w;
	long long budget;
	long cpus = workq__usable_cpus(later(1));

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.budget = 0;
	if (cpus >= 2)
		ck_assert_int_eq(budget_of(&w, 1, 0, later(1), &budget),
		                 WATCH_NONE);
	/* Where threads outnumber the CPUs a waiter yields all the same. */
	ck_assert_int_eq(budget_of(&w, (size_t)cpus + 1, 0, later(1),
	                           &budget), yielding());
}
END_TEST

static int calls;

static int third_call(const void *q)
{
	(void)q;
	return ++calls == 3;
}

static int counted_never(const void *q)
{
	(void)q;
	calls++;
	return 0;
}

/* With no budget, until the third look, unless a yield came back late
 * (a loaded machine, a sanitizer), which ends a watch early as a
 * failure. */
START_TEST(a_yielding_watch_yields_at_least_a_few_times)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	calls = 0;
	if (workq__watch(&w, WATCH_YIELD, NULL, third_call, workq__now_ns(),
	                 0, 4) == 1) {
		ck_assert_int_eq(calls, 3);
	} else {
		ck_assert_int_lt(calls, 3);
		ck_assert_int_eq(w.preempted, 1);
	}
}
END_TEST

/* With no budget, a watch that never sees its item takes the turns it
 * was given, no more, unless a yield came back late. */
START_TEST(a_yielding_watch_takes_the_turns_it_was_given)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	calls = 0;
	ck_assert_int_eq(workq__watch(&w, WATCH_SHARE, NULL, counted_never,
	                              workq__now_ns(), 0, 5), 0);
	if (w.preempted)
		ck_assert_int_lt(calls, 5);
	else
		ck_assert_int_eq(calls, 5);
}
END_TEST

/* The yields allowed where threads outnumber the CPUs: `threads` in
 * the queue's calls, `across` of them at the other end. */
static int yields_among(size_t threads, size_t across)
{
	struct workq__watch w;
	long long budget;
	int n = -1;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	ck_assert_int_eq(workq__watch_budget(&w, threads, across, 0, &mine,
	                                     &none, later(1), &budget, &n),
	                 yielding());
	return n;
}

/*
 * Where threads outnumber the CPUs and none of the other end is in the
 * queue's calls, two turns for each other thread in them: enough to
 * hand the CPU to the one waited for after the others.  Where one is,
 * the most a waiter yields: it may be the one, waiting for the CPU.
 */
START_TEST(a_yielder_takes_two_turns_for_every_other_thread)
{
	size_t cpus = (size_t)workq__usable_cpus(later(1));

	ck_assert_int_eq(yields_among(cpus + 1, 0),
	                 cpus < 8 ? 2 * (int)cpus : 16);
	ck_assert_int_eq(yields_among(cpus + 100, 0), 16);
	ck_assert_int_eq(yields_among(cpus + 1, 1), 16);
	if (cpus == 1)          /* alone in the queue's calls */
		ck_assert_int_eq(yields_among(1, 0), 2);
}
END_TEST

START_TEST(a_yielding_watch_leaves_the_spinner_alone)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.spinner = 1;                  /* another waiter of the end spins */
	ck_assert_int_eq(workq__watch(&w, WATCH_YIELD, NULL, always,
	                              workq__now_ns(), 20000, 2), 1);
	ck_assert_int_eq(w.spinner, 1);
}
END_TEST

#ifdef HAVE_SCHED_GETAFFINITY
static int hog_stop;

/* Other work on the waiter's CPU: never sleeps, never yields. */
static void *hog(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&hog_stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

/*
 * A waiter that yields its only CPU to a thread that does not hand it
 * back for a time slice stops at the first such yield, with the budget
 * far from spent, and the end learns it as a failure.
 */
START_TEST(a_yield_that_comes_back_late_ends_the_watch)
{
	struct workq__watch w;
	cpu_set_t old;
	pthread_t t;
	long long start;

	if (!pin_to_one(&old))
		return;
	hog_stop = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, hog, NULL), 0);
	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	start = workq__now_ns();
	ck_assert_int_eq(workq__watch(&w, WATCH_YIELD, NULL, never, start,
	                              4000000000LL, 2), 0);
	ck_assert_int_lt(workq__now_ns() - start, 2000000000LL);
	__atomic_store_n(&hog_stop, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(old), &old), 0);
	w.budget = 8000;
	workq__watch_learn(&w, 100, -1, -1);
	ck_assert_int_eq(w.budget, 4000);
}
END_TEST
#endif

START_TEST(a_waking_partner_lends_two_wakeups)
{
	struct workq__watch w;
	long long budget;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.wake = 10000;
	w.budget = 0;
	ck_assert_int_ne(budget_of(&w, 1, 1, later(1), &budget),
	                 WATCH_NONE);
	ck_assert_int_eq(budget, 20000);
	ck_assert_int_eq(w.budget, 0);          /* lent, not learnt */
}
END_TEST

START_TEST(spin_never_never_watches)
{
	struct workq__watch w;
	long long budget;
	size_t threads;

	workq__watch_init(&w, WORKQ_SPIN_NEVER);
	w.budget = 20000;
	for (threads = 1; threads <= 4; threads++) {
		ck_assert_int_eq(budget_of(&w, threads, 0, later(1), &budget),
		                 WATCH_NONE);
		ck_assert_int_eq(budget_of(&w, threads, 1, later(1), &budget),
		                 WATCH_NONE);
	}
	ck_assert_int_eq(w.spinner, 0);
}
END_TEST

START_TEST(a_watch_ends_when_its_budget_runs_out)
{
	struct workq__watch w;
	long long start = workq__now_ns();

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.spinner = 1;
	ck_assert_int_eq(workq__watch(&w, WATCH_SPIN, NULL, never, start,
	                              20000, 0), 0);
	ck_assert_int_ge(workq__now_ns() - start, 20000);
	ck_assert_int_eq(w.spinner, 0);
	ck_assert_int_eq(workq__watch(&w, WATCH_YIELD, NULL, never,
	                              workq__now_ns(), 20000, 2), 0);
	ck_assert_int_eq(workq__watch(&w, WATCH_YIELD, NULL, always,
	                              workq__now_ns(), 20000, 2), 1);
}
END_TEST

START_TEST(a_failed_watch_halves_the_budget)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.budget = 8000;
	workq__watch_learn(&w, -1, -1, -1);
	ck_assert_int_eq(w.budget, 4000);
	workq__watch_learn(&w, -1, -1, -1);
	ck_assert_int_eq(w.budget, 2000);
}
END_TEST

START_TEST(a_wait_longer_than_two_wakeups_halves_the_budget)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.wake = 10000;
	w.budget = 8000;
	workq__watch_learn(&w, 20001, -1, -1);
	ck_assert_int_eq(w.budget, 4000);
}
END_TEST

START_TEST(a_short_wait_moves_the_budget_towards_twice_it)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.wake = 10000;
	w.budget = 8000;
	workq__watch_learn(&w, 1000, -1, -1);       /* towards 2000 */
	ck_assert_int_eq(w.budget, 5000);
	workq__watch_learn(&w, 6000, -1, -1);       /* towards 12000 */
	ck_assert_int_eq(w.budget, 8500);
}
END_TEST

START_TEST(the_budget_never_exceeds_two_wakeups)
{
	struct workq__watch w;
	int i;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.wake = 10000;
	w.budget = 15000;
	for (i = 0; i < 10; i++)
		workq__watch_learn(&w, 19000, -1, -1);
	ck_assert_int_le(w.budget, 20000);
	ck_assert_int_gt(w.budget, 15000);
}
END_TEST

START_TEST(sleepers_measure_the_wakeup)
{
	struct workq__watch w;
	int i;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	for (i = 0; i < 40; i++)
		workq__watch_learn(&w, 100000, 3000, -1);
	ck_assert_int_ge(w.wake, 3000);
	ck_assert_int_le(w.wake, 3100);
	/* Waits of 100 us are now many wake-ups long: no spinning. */
	ck_assert_int_eq(w.budget, 0);
}
END_TEST

/* Sleeps whose wake-ups came 100 us after the signal but took their
 * sleeper only 5 us of CPU time, after waits of 30 us. */
static void learn_costly_sleeps(struct workq__watch *w)
{
	int i;

	workq__watch_init(w, WORKQ_SPIN_ADAPTIVE);
	w->budget = 0;
	for (i = 0; i < 40; i++)
		workq__watch_learn(w, 30000, 100000, 5000);
}

/*
 * Where the CPUs are free, a wake-up costs its latency, and 30 us waits
 * are worth watching for; where other processes keep them busy, it
 * costs its CPU time, against which 30 us of spinning is a loss.
 */
START_TEST(a_sleep_costs_its_latency_or_where_cpus_are_busy_its_cpu_time)
{
	struct workq__watch w;

	learn_costly_sleeps(&w);
	if (workq__cpus_crowded())
		ck_assert_int_le(w.budget, 10000);
	else
		ck_assert_int_ge(w.budget, 59000);
}
END_TEST

START_TEST(only_a_spin_or_a_yield_to_a_cpu_of_its_own_teaches)
{
	ck_assert_int_eq(workq__watch_teaches(WATCH_SPIN), 1);
	ck_assert_int_eq(workq__watch_teaches(WATCH_YIELD), 1);
	ck_assert_int_eq(workq__watch_teaches(WATCH_SHARE), 0);
}
END_TEST

#if defined(HAVE_SCHED_GETAFFINITY) && defined(HAVE_LINUX_PROCFS)
/*
 * Another process busy on the only CPU this one may use: once two
 * readings have measured it, a waiter that would yield sleeps at once,
 * since its yields would go to that process, and a sleep is costed in
 * the CPU time it takes.
 */
START_TEST(other_processes_busy_on_its_cpus_make_yielders_sleep)
{
	struct workq__watch w;
	cpu_set_t old;
	long long budget;
	pid_t busy;
	int tries;

	if (!pin_to_one(&old))
		return;
	busy = fork();
	ck_assert_int_ge(busy, 0);
	if (busy == 0) {
		long long end = workq__now_ns() + 10000000000LL;

		while (workq__now_ns() < end)
			;       /* on the same CPU: the mask is inherited */
		_exit(0);
	}
	/* Readings 100 ms apart, this process asleep in between. */
	for (tries = 0; tries < 50 && !workq__cpus_crowded(); tries++) {
		(void)workq__usable_cpus(later(1 + tries));
		usleep(100000);
	}
	kill(busy, SIGKILL);
	ck_assert_int_eq(waitpid(busy, NULL, 0), busy);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(old), &old), 0);
	ck_assert_int_eq(workq__cpus_crowded(), 1);
	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	/* The clock as it is: no new reading. */
	ck_assert_int_eq(budget_of(&w, 2, 0, workq__now_ns(), &budget),
	                 WATCH_NONE);
	/* And a sleep is costed in CPU time, which its sleeper measures. */
	learn_costly_sleeps(&w);
	ck_assert_int_le(w.budget, 10000);
	ck_assert_int_ge(workq__sleep_mark(), 0);
}
END_TEST
#endif

START_TEST(a_preempted_spinner_counts_as_a_failure)
{
	struct workq__watch w;

	workq__watch_init(&w, WORKQ_SPIN_ADAPTIVE);
	w.budget = 8000;
	w.preempted = 1;
	workq__watch_learn(&w, 100, -1, -1);
	ck_assert_int_eq(w.budget, 4000);
	ck_assert_int_eq(w.preempted, 0);
	workq__watch_learn(&w, 100, -1, -1);        /* towards 200 */
	ck_assert_int_eq(w.budget, 2100);
}
END_TEST

static Suite *wait_suite(void)
{
	Suite *s = suite_create("wait");
	TCase *tc = tcase_create("cpus");

	tcase_set_timeout(tc, TU_TIMEOUT);
#ifdef HAVE_SCHED_GETAFFINITY
	tcase_add_test(tc, usable_cpus_follow_the_affinity_mask);
	tcase_add_test(tc, one_usable_cpu_never_spins);
#endif
	tcase_add_test(tc, more_threads_than_cpus_yield);
	tcase_add_test(tc, one_spinner_per_end);
#ifdef HAVE_SCHED_GETCPU
	tcase_add_test(tc, a_waiter_on_the_other_ends_cpu_yields);
#endif
	tcase_add_test(tc, no_budget_means_sleep_at_once);
	tcase_add_test(tc, a_yielding_watch_yields_at_least_a_few_times);
	tcase_add_test(tc, a_yielding_watch_takes_the_turns_it_was_given);
	tcase_add_test(tc, a_yielder_takes_two_turns_for_every_other_thread);
	tcase_add_test(tc, a_yielding_watch_leaves_the_spinner_alone);
#ifdef HAVE_SCHED_GETAFFINITY
	tcase_add_test(tc, a_yield_that_comes_back_late_ends_the_watch);
#endif
#if defined(HAVE_SCHED_GETAFFINITY) && defined(HAVE_LINUX_PROCFS)
	tcase_add_test(tc, other_processes_busy_on_its_cpus_make_yielders_sleep);
#endif
	tcase_add_test(tc, a_waking_partner_lends_two_wakeups);
	tcase_add_test(tc, spin_never_never_watches);
	tcase_add_test(tc, a_watch_ends_when_its_budget_runs_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("budget");
	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, a_failed_watch_halves_the_budget);
	tcase_add_test(tc, a_wait_longer_than_two_wakeups_halves_the_budget);
	tcase_add_test(tc, a_short_wait_moves_the_budget_towards_twice_it);
	tcase_add_test(tc, the_budget_never_exceeds_two_wakeups);
	tcase_add_test(tc, sleepers_measure_the_wakeup);
	tcase_add_test(tc, a_preempted_spinner_counts_as_a_failure);
	tcase_add_test(tc,
	    a_sleep_costs_its_latency_or_where_cpus_are_busy_its_cpu_time);
	tcase_add_test(tc, only_a_spin_or_a_yield_to_a_cpu_of_its_own_teaches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(wait_suite());
}
