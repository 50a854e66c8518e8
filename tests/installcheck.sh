#!/bin/sh
# installcheck.sh SOURCE - compiles SOURCE against the installed workq
# using only what `pkg-config workq` says, linked against the shared
# library and (with --static) against the static archive, and runs both.
# Called by `make installcheck` (and so by `make distcheck`) with CC,
# PKG_CONFIG, PKG_CONFIG_PATH (the installed .pc's folder) and DESTDIR.
set -eu
src=$1
: "${CC:=cc}" "${PKG_CONFIG:=pkg-config}" "${DESTDIR:=}"
# The .pc holds the final paths; under DESTDIR they lie below it.
PKG_CONFIG_SYSROOT_DIR=$DESTDIR
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$PKG_CONFIG --exists --print-errors workq
cflags=$($PKG_CONFIG --cflags workq)
libs=$($PKG_CONFIG --libs workq)
libdir=$DESTDIR$($PKG_CONFIG --variable=libdir workq)
echo "installcheck: pkg-config workq $($PKG_CONFIG --modversion workq):" \
	"--cflags '$cflags' --libs '$libs'"

# Shared: found at run time through LD_LIBRARY_PATH, as the prefix is
# not in the loader's path.
$CC $cflags -o "$tmp/consumer-shared" "$src" $libs
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	"$tmp/consumer-shared"

# Static: the archive plus Libs.private must be enough.  The linker
# prefers the .so when both exist, so ask for the archive explicitly.
slibs=$($PKG_CONFIG --static --libs workq)
echo "installcheck: --static --libs '$slibs'"
slibs=$(printf '%s\n' "$slibs" |
	sed 's/-lworkq/-Wl,-Bstatic -lworkq -Wl,-Bdynamic/')
$CC $cflags -o "$tmp/consumer-static" "$src" $slibs
if command -v readelf >/dev/null 2>&1 &&
   readelf -d "$tmp/consumer-static" | grep -q 'libworkq\.so'; then
	echo "installcheck: static consumer still needs libworkq.so" >&2
	exit 1
fi
LD_LIBRARY_PATH= "$tmp/consumer-static"
echo "installcheck: shared and static consumers ok"

# CMake: through pkg_check_modules(IMPORTED_TARGET), and through the
# installed package config, find_package(workq).  The config holds the
# final paths, so it is tried only without DESTDIR.
if ! command -v cmake >/dev/null 2>&1; then
	echo "installcheck: cmake not installed; CMake consumers skipped"
	exit 0
fi
srcdir=$(cd "$(dirname "$src")" && pwd)
modes=pkgconfig
[ -n "$DESTDIR" ] || modes="$modes package"
for mode in $modes; do
	cmake -S "$srcdir/cmake-consumer" -B "$tmp/cmake-$mode" \
		-DWORKQ_FIND="$mode" -DCONSUMER_SRC="$srcdir/$(basename "$src")" \
		-Dworkq_DIR="$DESTDIR${cmakedir:-$libdir/cmake/workq}" \
		>"$tmp/cmake-$mode.log" 2>&1 &&
	cmake --build "$tmp/cmake-$mode" >>"$tmp/cmake-$mode.log" 2>&1 || {
		cat "$tmp/cmake-$mode.log"
		echo "installcheck: CMake consumer ($mode) failed" >&2
		exit 1
	}
	LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
		"$tmp/cmake-$mode/consumer"
	echo "installcheck: CMake consumer ($mode) ok"
done
