#!/bin/sh
# check-links.sh - the relative links of the Markdown documentation lead
# somewhere: in README.md and doc/*.md, every link [text](target) that is
# not a URL must name a file or directory that exists, relative to the
# page, and a #anchor must name a heading of the page it points into (or
# of the same page, for a bare #anchor).  Anchors are made from headings
# as GitHub makes them: lower case, punctuation dropped, spaces to
# hyphens, -1, -2, ... added to repeats.  Fenced code blocks and inline
# code spans are skipped.  And every page of the manual is linked from
# its index, doc/README.md, so that none is out of reach.  Exits 1
# listing every dead link and every page the index misses.
set -u
: "${top_srcdir:=.}"
status=0 nlinks=0 npages=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT

# The anchors of a Markdown file, one a line.
anchors() {
	awk '
	/^```/ { fence = !fence; next }
	fence { next }
	/^#+[ \t]/ {
		h = $0
		sub(/^#+[ \t]+/, "", h); sub(/[ \t#]*$/, "", h)
		h = tolower(h)
		gsub(/[^a-z0-9 _-]/, "", h)
		gsub(/ /, "-", h)
		n = seen[h]++
		print (n ? h "-" n : h)
	}' "$1"
}

# The relative links of a Markdown file: "LINE TARGET", one a line.
links() {
	awk '
	/^```/ { fence = !fence; next }
	fence { next }
	{
		line = $0
		gsub(/`[^`]*`/, "", line)       # inline code spans
		while (match(line, /\]\([^) \t]+\)/)) {
			t = substr(line, RSTART + 2, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
			if (t ~ /^[a-zA-Z][a-zA-Z0-9+.-]*:/)
				continue        # a URL: http:, mailto:, ...
			print NR, t
		}
	}' "$1"
}

for page in "$top_srcdir/README.md" "$top_srcdir"/doc/*.md; do
	[ -f "$page" ] || { echo "check-links: $page: no such file"; status=1; continue; }
	npages=$((npages + 1))
	dir=$(dirname "$page")
	name=${page#"$top_srcdir"/}
	links "$page" > "$tmp"
	while read -r line target; do
		nlinks=$((nlinks + 1))
		path=${target%%#*}
		anchor=
		case $target in *'#'*) anchor=${target#*#} ;; esac
		if [ -z "$path" ]; then
			file=$page
		else
			file=$dir/$path
		fi
		if [ ! -e "$file" ]; then
			echo "check-links: $name:$line: $target: no such file"
			status=1
			continue
		fi
		[ -n "$anchor" ] || continue
		case $file in
		*.md) ;;
		*)	echo "check-links: $name:$line: $target: an anchor into a file that is not Markdown"
			status=1
			continue ;;
		esac
		if ! anchors "$file" | grep -qx -- "$anchor"; then
			echo "check-links: $name:$line: $target: no heading makes #$anchor"
			status=1
		fi
	done < "$tmp"
done

for page in "$top_srcdir"/doc/*.md; do
	base=$(basename "$page")
	[ "$base" = README.md ] && continue
	if ! links "$top_srcdir/doc/README.md" | awk '{ sub(/#.*/, "", $2); print $2 }' |
	   grep -qx -- "$base"; then
		echo "check-links: doc/$base is not linked from doc/README.md"
		status=1
	fi
done

if [ "$status" != 0 ]; then
	echo "check-links: FAILED"
	exit 1
fi
echo "check-links: $nlinks relative links in $npages pages, none dead"
exit 0
