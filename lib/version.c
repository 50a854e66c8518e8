/*
 * version.c - the library's run-time version.
 */
#include <config.h>

#include "workq-internal.h"

const char *workq_version(void)
{
	/* PACKAGE_VERSION comes from AC_INIT; tests/check_version.c checks it
	 * against the header's WORKQ_VERSION_STRING. */
	return PACKAGE_VERSION;
}
