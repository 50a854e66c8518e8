#!/bin/sh
# check-lint.sh - cppcheck and clang-tidy have nothing to say about lib/.
# Each tool that is not installed is skipped; exits 77 when neither is.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
ran=0
status=0
inc="-I$top_srcdir/include -I$top_srcdir/lib -I$top_builddir"

if command -v cppcheck >/dev/null 2>&1; then
	ran=1
	out=$(cppcheck --quiet --std=c99 --enable=warning,style,performance,portability \
		--suppress=missingIncludeSystem --inline-suppr --error-exitcode=1 $inc \
		"$top_srcdir"/lib/*.c 2>&1) || status=1
	[ -z "$out" ] || { printf '%s\n' "$out"; status=1; }
	echo "check-lint: cppcheck done"
fi
if command -v clang-tidy >/dev/null 2>&1; then
	ran=1
	# --config-file keeps VPATH builds using the project's settings.
	clang-tidy --quiet --config-file="$top_srcdir/.clang-tidy" \
		"$top_srcdir"/lib/*.c -- $inc -D_GNU_SOURCE -pthread \
		>clang-tidy.out 2>&1 || status=1
	grep -E 'warning:|error:' clang-tidy.out && status=1
	rm -f clang-tidy.out
	echo "check-lint: clang-tidy done"
fi
[ "$ran" = 1 ] || { echo "check-lint: no linter installed; skipping"; exit 77; }
exit $status
