/*
 * check_header.c - <workq.h> alone is enough to use the whole API: built
 * as strict C99 (twice: bare, and with POSIX feature macros and <time.h>
 * included first, so that its `struct timespec;` declaration must agree
 * with the system's).  Exits 0 when the calls link and behave.
 */
#ifdef INCLUDE_TIME_H_FIRST
#include <time.h>
#endif
#include <workq.h>

static int unused_fn_type_check(workq_item_fn *fn)
{
	return fn != 0;
}

static void noop(void *item, void *arg)
{
	(void)item;
	(void)arg;
}

int main(void)
{
	workq_t *q;
	void *item = 0;
	size_t n = 0;
	int answer = 42;

	if (workq_create(&q, 4) != 0)
		return 1;
	if (workq_put(q, &answer) != 0 || workq_size(q) != 1)
		return 2;
	if (workq_get(q, &item) != 0 || item != &answer)
		return 3;
	if (workq_put_many(q, 0, 0, &n) != 0 || n != 0)
		return 4;
	if (workq_put(q, WORKQ_DONE) != 0 || !workq_is_closed(q))
		return 5;
	if (workq_get(q, &item) != WORKQ_CLOSED || item != WORKQ_DONE)
		return 6;
	if (!unused_fn_type_check(noop) || workq_discard(q, noop, 0) != 0)
		return 7;
	if (workq_version()[0] == '\0' || WORKQ_VERSION_HEX < 0x000100)
		return 8;
	return workq_destroy(q) == 0 ? 0 : 9;
}
