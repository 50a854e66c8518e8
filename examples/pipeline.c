/*
 * pipeline.c - stages joined by queues, each selecting between its work
 * and a control queue shared by all of them.
 *
 *   main --numbers--> 2 squarers --squares--> summer
 *
 * Closing the control queue stops every stage at once: a closed queue
 * is ready for good, in every select, and the biased select looks at it
 * first.  Without a stop the work ends as it does with plain calls: main
 * closes `numbers`, each squarer finishes as a producer of `squares`,
 * and the last one's workq_producer_done closes it for the summer.
 *
 * Usage: pipeline [stop]   ("stop": close the control queue half way)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <workq.h>

#define NUMBERS 1000
#define SQUARERS 2

static workq_t *control, *numbers, *squares;

/* Waits for an item from `in`, or a stop.  Returns 1 with the item in
 * *item, 0 once `in` is over or the pipeline is stopped. */
static int next(workq_t *in, void **item)
{
	workq_select_case_t c[2] = {
		{ control, WORKQ_SELECT_GET, NULL },
		{ in, WORKQ_SELECT_GET, NULL },
	};
	size_t which;

	if (workq_select_biased(c, 2, NULL, &which) != 0 || which == 0)
		return 0;
	*item = c[1].item;
	return 1;
}

/* Puts item into `out` unless the pipeline is stopped first: a stopped
 * summer takes nothing, and a plain put would wait for it forever. */
static int pass(workq_t *out, void *item)
{
	workq_select_case_t c[2] = {
		{ control, WORKQ_SELECT_GET, NULL },
		{ out, WORKQ_SELECT_PUT, item },
	};
	size_t which;

	return workq_select_biased(c, 2, NULL, &which) == 0 && which == 1;
}

static void *squarer(void *arg)
{
	void *item;

	(void)arg;
	while (next(numbers, &item)) {
		uintptr_t n = (uintptr_t)item;

		if (!pass(squares, (void *)(n * n)))
			break;
	}
	workq_producer_done(squares);
	return NULL;
}

static void *summer(void *arg)
{
	unsigned long *sum = arg;
	void *item;

	while (next(squares, &item))
		*sum += (unsigned long)(uintptr_t)item;
	return NULL;
}

int main(int argc, char **argv)
{
	int stop = argc > 1 && strcmp(argv[1], "stop") == 0;
	pthread_t sq[SQUARERS], su;
	unsigned long sum = 0;
	uintptr_t n;
	int i;

	if (workq_create(&control, 1) != 0 || workq_create(&numbers, 16) != 0 ||
	    workq_create(&squares, 16) != 0 ||
	    workq_add_producers(squares, SQUARERS) != 0) {
		fprintf(stderr, "pipeline: cannot create the queues\n");
		return 1;
	}
	for (i = 0; i < SQUARERS; i++)
		if (pthread_create(&sq[i], NULL, squarer, NULL) != 0)
			return 1;
	if (pthread_create(&su, NULL, summer, &sum) != 0)
		return 1;

	for (n = 1; n <= NUMBERS; n++) {
		if (stop && n == NUMBERS / 2) {
			workq_close(control);   /* every stage sees it */
			break;
		}
		workq_put(numbers, (void *)n);
	}
	workq_close(numbers);

	for (i = 0; i < SQUARERS; i++)
		pthread_join(sq[i], NULL);
	pthread_join(su, NULL);
	if (stop)
		printf("pipeline: stopped; every stage exited\n");
	else
		printf("pipeline: %d numbers, %d squarers, sum of squares %lu\n",
		       NUMBERS, SQUARERS, sum);
	/* Items left behind by a stop are plain numbers: nothing to free. */
	workq_discard(numbers, NULL, NULL);
	workq_discard(squares, NULL, NULL);
	workq_destroy(control);
	workq_destroy(numbers);
	workq_destroy(squares);
	return 0;
}
