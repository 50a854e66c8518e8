/*
 * check_strerror.c - workq_strerror: a message of its own for every code
 * workq returns, a non-NULL static string for every other value, and
 * the same answers from many threads at once.
 */
#include "testutil.h"

/* Every code some workq function returns, with its wording. */
static const struct {
	int err;
	const char *msg;
} codes[] = {
	{ 0, "success" },
	{ WORKQ_CLOSED, "queue closed" },
	{ EAGAIN, "would have to wait, or a thread could not be created" },
	{ ETIMEDOUT, "timed out before the call could complete" },
	{ EINVAL, "invalid argument" },
	{ ENOMEM, "out of memory" },
	{ EBUSY, "in use by another thread or pool" },
	{ EDEADLK, "would wait for the calling thread itself" },
	{ ERANGE, "nothing left to count down" },
	{ EOVERFLOW, "count would overflow" },
	{ EMFILE, "too many open files in the process" },
	{ ENFILE, "too many open files in the system" },
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

START_TEST(strerror_every_workq_code_has_its_message)
{
	size_t i, j;

	ck_assert_int_eq(WORKQ_CLOSED, EPIPE);
	ck_assert_str_eq(workq_strerror(EPIPE), "queue closed");
	for (i = 0; i < NCODES; i++) {
		const char *m = workq_strerror(codes[i].err);

		ck_assert_ptr_nonnull(m);
		ck_assert_str_eq(m, codes[i].msg);
		/* Static: the same pointer every time. */
		ck_assert_ptr_eq(workq_strerror(codes[i].err), m);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(m, codes[j].msg);
	}
}
END_TEST

START_TEST(strerror_other_values_never_null)
{
	static const int others[] = { -1, -1000, 99999, 1 << 30, ENOENT,
		                      ESRCH, EIO };
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		const char *m = workq_strerror(others[i]);

		ck_assert_ptr_nonnull(m);
		ck_assert_uint_gt(strlen(m), 0);
	}
	ck_assert_str_eq(workq_strerror(-1), "unknown error");
	ck_assert_str_eq(workq_strerror(99999), "unknown error");
}
END_TEST

#define NTHREADS 4

struct asker {
	long rounds;
	long wrong;
};

static void *ask(void *arg)
{
	struct asker *a = arg;
	long r;
	size_t i;

	for (r = 0; r < a->rounds; r++)
		for (i = 0; i < NCODES; i++)
			if (strcmp(workq_strerror(codes[i].err),
			           codes[i].msg) != 0 ||
			    workq_strerror(ENOENT) == NULL)
				a->wrong++;
	return NULL;
}

START_TEST(strerror_is_thread_safe)
{
	struct asker a[NTHREADS];
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++) {
		a[i].rounds = tu_scaled(20000);
		a[i].wrong = 0;
		t[i] = tu_spawn(ask, &a[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		tu_join(t[i]);
		ck_assert_int_eq(a[i].wrong, 0);
	}
}
END_TEST

static Suite *strerror_suite(void)
{
	Suite *s = suite_create("strerror");
	TCase *tc = tcase_create("strerror");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, strerror_every_workq_code_has_its_message);
	tcase_add_test(tc, strerror_other_values_never_null);
	tcase_add_test(tc, strerror_is_thread_safe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(strerror_suite());
}
