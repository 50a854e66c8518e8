#!/bin/sh
# check-exports.sh - the shared library exports exactly the names listed
# in tests/exports.txt: the API, and nothing internal (workq__*) or
# foreign.  Exits 77 (skipped) where nm -D cannot read the library.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}" "${NM:=nm}"
so="$top_builddir/lib/.libs/libworkq.so"
if [ ! -f "$so" ]; then
	echo "check-exports: $so not built (static-only build?); skipping"
	exit 77
fi
got=$($NM -D --defined-only "$so" 2>/dev/null) || {
	echo "check-exports: $NM -D does not work here; skipping"
	exit 77
}
got=$(printf '%s\n' "$got" | awk 'NF >= 3 { print $3 }' | sort)
want=$(sort "$top_srcdir/tests/exports.txt")
if [ "$got" != "$want" ]; then
	echo "check-exports: exported symbols differ from tests/exports.txt:"
	printf '%s\n' "$want" > exports.want.tmp
	printf '%s\n' "$got" > exports.got.tmp
	diff -u exports.want.tmp exports.got.tmp
	rm -f exports.want.tmp exports.got.tmp
	exit 1
fi
echo "check-exports: $(printf '%s\n' "$got" | wc -l) symbols, all workq_*"
exit 0
