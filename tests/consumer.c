/*
 * consumer.c - a program built against the *installed* library by
 * tests/installcheck.sh, with nothing but pkg-config's flags: a pool of
 * three workers sums 1..1000 and stops when the queue is closed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <workq.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long total;

static void add(void *item, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	total += *(unsigned *)item;
	pthread_mutex_unlock(&lock);
}

int main(void)
{
	static unsigned values[1000];
	workq_pool_t *pool;
	workq_t *q;
	unsigned i;

	if (workq_create(&q, 16) != 0 ||
	    workq_pool_start(&pool, q, 3, add, NULL) != 0)
		return 1;
	for (i = 0; i < 1000; i++) {
		values[i] = i + 1;
		if (workq_put(q, &values[i]) != 0)
			return 2;
	}
	if (workq_close(q) != 0 || workq_pool_join(pool) != 0 ||
	    workq_destroy(q) != 0)
		return 3;
	if (total != 500500) {
		fprintf(stderr, "consumer: total %lu, expected 500500\n", total);
		return 4;
	}
	printf("consumer: libworkq %s ok\n", workq_version());
	return 0;
}
