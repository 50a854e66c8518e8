/*
 * jobpool.c - a pool running jobs of two kinds, with no allocation per
 * job: each job embeds a workq_task_t, whose fn says how to run it.
 * Threads named "job-N"; hooks count the workers that start and stop;
 * the pool grows and shrinks as it runs.  Prints a summary line.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <workq.h>

#define NSUMS 200
#define NTEXTS 100

struct sum_job {                /* adds 1..n */
	workq_task_t task;
	unsigned long n, result;
};

struct text_job {               /* counts the letters of a text */
	const char *text;
	size_t letters;
	workq_task_t task;      /* anywhere: found again with offsetof */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned started, stopped;

static void run_sum(workq_task_t *task, void *arg)
{
	struct sum_job *j = (struct sum_job *)task;  /* task comes first */
	unsigned long i;

	(void)arg;
	for (j->result = 0, i = 1; i <= j->n; i++)
		j->result += i;
}

static void run_text(workq_task_t *task, void *arg)
{
	struct text_job *j = (struct text_job *)(void *)((char *)task -
	                                 offsetof(struct text_job, task));
	const char *p;

	(void)arg;
	for (j->letters = 0, p = j->text; *p != '\0'; p++)
		j->letters += (*p >= 'a' && *p <= 'z');
}

static void on_start(size_t index, void *arg)
{
	(void)index;
	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_mutex_unlock(&lock);
}

static void on_stop(size_t index, void *arg)
{
	(void)index;
	(void)arg;
	pthread_mutex_lock(&lock);
	stopped++;
	pthread_mutex_unlock(&lock);
}

static void check(int err, const char *what)
{
	if (err != 0) {
		fprintf(stderr, "jobpool: %s: %s\n", what, workq_strerror(err));
		exit(1);
	}
}

int main(void)
{
	static struct sum_job sums[NSUMS];
	static struct text_job texts[NTEXTS];
	workq_pool_attr_t *attr;
	workq_pool_t *pool;
	workq_t *q;
	unsigned long total = 0;
	size_t i, letters = 0;

	check(workq_create(&q, 32), "workq_create");
	check(workq_pool_attr_create(&attr), "workq_pool_attr_create");
	check(workq_pool_attr_set_name(attr, "job-"), "set_name");
	check(workq_pool_attr_set_hooks(attr, on_start, on_stop, NULL),
	      "set_hooks");
	check(workq_pool_start_attr(&pool, q, 2, NULL, NULL, attr),
	      "workq_pool_start_attr");
	check(workq_pool_attr_destroy(attr), "workq_pool_attr_destroy");
	for (i = 0; i < NSUMS; i++) {
		sums[i] = (struct sum_job){ { run_sum }, i + 1, 0 };
		check(workq_put(q, &sums[i].task), "workq_put");
		if (i == NSUMS / 2)     /* a backlog: more workers */
			check(workq_pool_resize(pool, 4), "workq_pool_resize");
	}
	check(workq_pool_resize(pool, 1), "workq_pool_resize");
	for (i = 0; i < NTEXTS; i++) {
		texts[i] = (struct text_job){ "count these letters", 0,
		                              { run_text } };
		check(workq_put(q, &texts[i].task), "workq_put");
	}
	check(workq_join(q), "workq_join");         /* every job has run */
	check(workq_close(q), "workq_close");
	check(workq_pool_join(pool), "workq_pool_join");
	check(workq_destroy(q), "workq_destroy");
	for (i = 0; i < NSUMS; i++)
		total += sums[i].result;
	for (i = 0; i < NTEXTS; i++)
		letters += texts[i].letters;
	printf("jobpool: %d sums (total %lu), %d texts (%zu letters); "
	       "%u workers started, %u stopped\n", NSUMS, total, NTEXTS,
	       letters, started, stopped);
	return 0;
}
