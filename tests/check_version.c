/*
 * check_version.c - the version numbers agree with each other: AC_INIT's
 * (config.h's PACKAGE_VERSION), the header's macros, and workq_version().
 */
#include <config.h>

#include "testutil.h"

START_TEST(version_string_matches_header_macros)
{
	char expect[64];

	snprintf(expect, sizeof(expect), "%d.%d.%d", WORKQ_VERSION_MAJOR,
	         WORKQ_VERSION_MINOR, WORKQ_VERSION_PATCH);
	ck_assert_str_eq(WORKQ_VERSION_STRING, expect);
}
END_TEST

START_TEST(version_matches_configure)
{
	ck_assert_str_eq(WORKQ_VERSION_STRING, PACKAGE_VERSION);
}
END_TEST

START_TEST(runtime_version_matches_header)
{
	ck_assert_ptr_nonnull(workq_version());
	ck_assert_str_eq(workq_version(), WORKQ_VERSION_STRING);
}
END_TEST

START_TEST(version_hex_encodes_the_triple)
{
	ck_assert_int_eq(WORKQ_VERSION_HEX >> 16, WORKQ_VERSION_MAJOR);
	ck_assert_int_eq((WORKQ_VERSION_HEX >> 8) & 0xff, WORKQ_VERSION_MINOR);
	ck_assert_int_eq(WORKQ_VERSION_HEX & 0xff, WORKQ_VERSION_PATCH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("version");
	TCase *tc = tcase_create("version");

	tcase_set_timeout(tc, TU_TIMEOUT);
	tcase_add_test(tc, version_string_matches_header_macros);
	tcase_add_test(tc, version_matches_configure);
	tcase_add_test(tc, runtime_version_matches_header);
	tcase_add_test(tc, version_hex_encodes_the_triple);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
