#!/bin/sh
# check-man.sh - the manual pages in man/ are sound:
#   - every function include/workq.h declares has a page man/NAME.3;
#   - every page names something the header declares (no stale pages);
#   - every .so link page is the single line `.so man3/PAGE.3`, and
#     PAGE.3 exists, is a real page, and lists the link's name in NAME;
#   - that line resolves from the top of the source tree too, where man3
#     links to man/, so that `man -l man/LINK.3` works there (man reads
#     .so paths from the directory it runs in, which once installed is
#     the top of the manual tree);
#   - every real page lints clean: `mandoc -Tlint -Wwarning` if mandoc is
#     installed, else `groff -ww -z -mandoc`; any output fails.
# Link pages are not given to the linters: they are one request, which
# mandoc would only call fragile, and both would resolve against the
# installed tree.  MAN_LINTER=mandoc|groff picks one.  Exits 77
# (skipped) when neither is installed and the other checks pass.
set -u
: "${top_srcdir:=.}" "${MAN_LINTER:=}"
man=$top_srcdir/man
hdr=$top_srcdir/include/workq.h
status=0
npages=0 nlinks=0 nreal=0 nfuncs=0

fail() {
	echo "check-man: $*"
	status=1
}

# The function names the header declares: comments stripped first, and
# typedefs (workq_item_fn) left out.
funcs=$(awk '
{
	line = $0; out = ""
	while (line != "") {
		if (incomment) {
			i = index(line, "*/")
			if (i == 0) line = ""
			else { line = substr(line, i + 2); incomment = 0 }
		} else {
			i = index(line, "/*")
			if (i == 0) { out = out line; line = "" }
			else {
				out = out substr(line, 1, i - 1) " "
				line = substr(line, i + 2); incomment = 1
			}
		}
	}
	print out
}' "$hdr" | awk '
!/typedef/ {
	while (match($0, /workq_[a-z_]*[ \t]*\(/)) {
		name = substr($0, RSTART, RLENGTH)
		sub(/[ \t]*\($/, "", name)
		print name
		$0 = substr($0, RSTART + RLENGTH)
	}
}' | sort -u)
if [ -z "$funcs" ]; then
	echo "check-man: no functions found in $hdr"
	exit 1
fi

for name in $funcs; do
	nfuncs=$((nfuncs + 1))
	[ -f "$man/$name.3" ] || fail "$name is declared in workq.h but has no page man/$name.3"
done

for f in "$man"/*.3; do
	[ -f "$f" ] || { echo "check-man: no pages in $man"; exit 1; }
	npages=$((npages + 1))
	base=$(basename "$f" .3)
	if [ "$base" != workq ] && ! printf '%s\n' $funcs | grep -qx "$base"; then
		fail "man/$base.3 documents nothing workq.h declares"
	fi
	if ! grep -q '^\.so' "$f"; then
		nreal=$((nreal + 1))
		continue
	fi
	nlinks=$((nlinks + 1))
	if [ "$(wc -l < "$f")" -ne 1 ] ||
	   ! grep -qx '\.so man3/[a-z_]*\.3' "$f"; then
		fail "man/$base.3: a link page must be the one line .so man3/PAGE.3"
		continue
	fi
	target=$(sed 's|^\.so man3/||; s|\.3$||' "$f")
	if [ ! -f "$man/$target.3" ]; then
		fail "man/$base.3: .so target man/$target.3 does not exist"
	elif grep -q '^\.so' "$man/$target.3"; then
		fail "man/$base.3: .so target man/$target.3 is itself a link"
	elif ! grep -qx "\.Nm $base\( ,\)\{0,1\}" "$man/$target.3"; then
		fail "man/$base.3: man/$target.3 does not list $base in NAME"
	elif [ ! -f "$top_srcdir/man3/$target.3" ]; then
		fail "man/$base.3: .so man3/$target.3 does not resolve from the top of the tree (no man3 link to man/)"
	fi
done

# Which linter.
if [ -z "$MAN_LINTER" ]; then
	if command -v mandoc >/dev/null 2>&1; then
		MAN_LINTER=mandoc
	elif command -v groff >/dev/null 2>&1; then
		MAN_LINTER=groff
	fi
fi
case $MAN_LINTER in
mandoc) lint="mandoc -Tlint -Wwarning" ;;
groff) lint="groff -ww -z -mandoc" ;;
"")
	[ "$status" = 0 ] || { echo "check-man: FAILED"; exit 1; }
	echo "check-man: $npages pages, $nlinks links and $nfuncs functions" \
		"checked; neither mandoc nor groff installed: lint skipped"
	exit 77 ;;
*) echo "check-man: MAN_LINTER must be mandoc or groff"; exit 1 ;;
esac

nwarn=0
for f in "$man"/*.3; do
	grep -q '^\.so' "$f" && continue
	out=$($lint "$f" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || [ -n "$out" ] || out="$f: $lint exited with $rc"
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		nwarn=$((nwarn + $(printf '%s\n' "$out" | wc -l)))
		status=1
	fi
done

if [ "$status" != 0 ]; then
	echo "check-man: FAILED ($npages pages, $nwarn lint warnings)"
	exit 1
fi
echo "check-man: $nfuncs functions declared in workq.h, each with a page"
echo "check-man: $nlinks .so link pages, each resolving to a page that names it"
echo "check-man: $nreal pages linted with $lint: 0 warnings"
echo "check-man: $npages pages, 0 warnings"
exit 0
