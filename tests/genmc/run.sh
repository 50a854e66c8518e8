#!/bin/sh
# tests/genmc/run.sh - runs the GenMC harnesses of this directory over
# the real lib/queue.c, then each mutant (lib/queue.c with one ordering
# weakened, a copy made here) that a harness must reject.  Used by
# `make check-genmc`; see tests/genmc/README.md.
#
#   sh tests/genmc/run.sh [SRCDIR]
#
# GENMC names the binary (default: genmc on the PATH); GENMC_ONLY, a
# pattern, picks the runs whose names match it (grep -E); GENMC_TIMEOUT
# caps each run (seconds, default 900); GENMC_FLAGS adds options (e.g.
# -imm for the IMM model instead of RC11).  Exits 0 when every run
# ended as expected, 1 otherwise, 77 (skipped) when there is no GenMC.
srcdir=${1:-.}
GENMC=${GENMC:-genmc}
GENMC_ONLY=${GENMC_ONLY:-.}
GENMC_TIMEOUT=${GENMC_TIMEOUT:-900}
GENMC_FLAGS=${GENMC_FLAGS:-}

if ! command -v "$GENMC" >/dev/null 2>&1; then
	echo "check-genmc: skipped: no '$GENMC' on the PATH (get GenMC" \
	     "0.10.3 from https://github.com/MPI-SWS/genmc, or set GENMC)"
	exit 77
fi

here=$srcdir/tests/genmc
tmp=$(mktemp -d "${TMPDIR:-/tmp}/workq-genmc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The mutants: NAME, then a perl expression applied (perl -0p) to a
# copy of lib/queue.c.  Each must change it; one that no longer does
# fails the run, so that a mutant never silently tests the real code.
mutants() {
	cat <<'MUTANTS'
slot-relaxed	s/(__atomic_load_n\(&q->slots\[idx\]\.seq, )__ATOMIC_ACQUIRE/${1}__ATOMIC_RELAXED/
seq-relaxed	s/(__atomic_store_n\(&q->slots\[q->in\.idx\]\.seq, q->in\.pos \+ i \+ 1,\s*)__ATOMIC_RELEASE/${1}__ATOMIC_RELAXED/
raise-nofence	s/(static int put_may_raise\(workq_t \*q, size_t k\)\n\{\n)\tfull_fence\(\);\n/$1/
lower-nofence	s/(static int get_may_lower\(workq_t \*q\)\n\{\n)\tfull_fence\(\);\n/$1/
closed-relaxed	s/(if \(!__atomic_load_n\(&q->closed, )__ATOMIC_ACQUIRE/${1}__ATOMIC_RELAXED/
count-unlocked	s/(\tready = q->closed \|\| q->in\.pos != q->out\.pos;\n)(\tif \(!ready\)\n\t\t__atomic_store_n\(&q->out_waiters, q->out_waiters \+ 1,\n\t\t                 __ATOMIC_RELAXED\);\n)(\tworkq__unlock\(&q->in\.mu\);\n)/$1$3$2/
accepted-inpos	s/(static size_t accepted\(const workq_t \*q, size_t in, size_t out\)\n\{\n\treturn )out != in && out - in <= q->cap \? out : in;/${1}in;/
outpos-relaxed	s/\tstore_release\(&q->out\.pos, q->out\.pos \+ k\);/\t__atomic_store_n(&q->out.pos, q->out.pos + k, __ATOMIC_RELAXED);/
room-relaxed	s/(if \(q->cap - used < want\) \{\n\t\tq->in\.seen = )load_acquire\(&q->out\.pos\);/${1}load_relaxed(&q->out.pos);/
MUTANTS
}

# The runs: NAME, harness, -D flags (comma-separated), mutant or -,
# and what GenMC must say: pass, or fail (an error detected).  Most sleep at once (SPIN_NEVER); the -look ones
# take one lock-free look before each sleep, which multiplies the
# executions, so they are smaller.  The two longest (minutes each) come
# last; the whole table takes about 23 minutes on one core.
runs() {
	cat <<'RUNS'
fifo-1p1c-cap1		fifo.c	-DCAP=1,-DNITEMS=3,-DSPIN_NEVER=1	-	pass
fifo-1p1c-cap2		fifo.c	-DCAP=2,-DNITEMS=3,-DSPIN_NEVER=1	-	pass
fifo-1p1c-cap1-look	fifo.c	-DCAP=1,-DNITEMS=2			-	pass
fifo-2p1c-cap1		fifo.c	-DCAP=1,-DNPROD=2,-DNITEMS=1,-DSPIN_NEVER=1	-	pass
fifo-2p1c-cap1-look	fifo.c	-DCAP=1,-DNPROD=2,-DNITEMS=1		-	pass
fifo-2p1c-cap2		fifo.c	-DCAP=2,-DNPROD=2,-DNITEMS=2,-DTOTAL=3,-DSPIN_NEVER=1	-	pass
fifo-1p2c-cap1		fifo.c	-DCAP=1,-DNCONS=2,-DNITEMS=2,-DSPIN_NEVER=1	-	pass
fifo-1p2c-cap1-look	fifo.c	-DCAP=1,-DNCONS=2,-DNITEMS=2		-	pass
fifo-1p2c-cap2		fifo.c	-DCAP=2,-DNCONS=2,-DNITEMS=3,-DSPIN_NEVER=1	-	pass
close-cap1		close.c	-DCAP=1,-DNITEMS=2,-DSPIN_NEVER=1	-	pass
close-cap2		close.c	-DCAP=2,-DNITEMS=3,-DSPIN_NEVER=1	-	pass
taskdone-cap1		taskdone.c	-DCAP=1,-DNITEMS=2,-DSPIN_NEVER=1	-	pass
taskdone-cap2		taskdone.c	-DCAP=2,-DNITEMS=2,-DSPIN_NEVER=1	-	pass
pollfd-cap1-drain	pollfd.c	-DCAP=1,-DNPUT=2,-DNGET=2,-DSPIN_NEVER=1	-	pass
pollfd-cap2-drain	pollfd.c	-DCAP=2,-DNPUT=3,-DNGET=3,-DSPIN_NEVER=1	-	pass
pollfd-cap2-left	pollfd.c	-DCAP=2,-DNPUT=2,-DNGET=1,-DSPIN_NEVER=1	-	pass
pollfd-cap2-look	pollfd.c	-DCAP=2,-DNPUT=2,-DNGET=2		-	pass
fifo-batch-cap2		fifo.c	-DCAP=2,-DNITEMS=3,-DBATCH=3,-DGETMAX=2,-DSPIN_NEVER=1	-	pass
fifo-batch-2p1c-cap2	fifo.c	-DCAP=2,-DNPROD=2,-DNITEMS=2,-DBATCH=2,-DGETMAX=2,-DSPIN_NEVER=1	-	pass
fifo-batch-1p2c-cap2	fifo.c	-DCAP=2,-DNCONS=2,-DNITEMS=3,-DBATCH=3,-DGETMAX=2,-DSPIN_NEVER=1	-	pass
fifo-batch-cap1-look	fifo.c	-DCAP=1,-DNITEMS=2,-DBATCH=2,-DGETMAX=2	-	pass
fifo-slot-relaxed	fifo.c	-DCAP=1,-DNITEMS=2			slot-relaxed	fail
fifo-seq-relaxed	fifo.c	-DCAP=1,-DNITEMS=2			seq-relaxed	fail
pollfd-raise-nofence	pollfd.c	-DCAP=2,-DNPUT=2,-DNGET=2	raise-nofence	fail
pollfd-lower-nofence	pollfd.c	-DCAP=2,-DNPUT=2,-DNGET=2	lower-nofence	fail
close-closed-relaxed	close.c	-DCAP=2,-DNITEMS=2			closed-relaxed	fail
fifo-count-unlocked	fifo.c	-DCAP=1,-DNITEMS=2,-DSPIN_NEVER=1	count-unlocked	fail
taskdone-accepted-inpos	taskdone.c	-DCAP=1,-DNITEMS=2		accepted-inpos	fail
fifo-outpos-relaxed	fifo.c	-DCAP=2,-DNITEMS=3,-DBATCH=3,-DGETMAX=2,-DSPIN_NEVER=1	outpos-relaxed	fail
fifo-room-relaxed	fifo.c	-DCAP=1,-DNITEMS=2,-DSPIN_NEVER=1	room-relaxed	fail
close-cap1-look		close.c	-DCAP=1,-DNITEMS=2			-	pass
taskdone-bound-cap1	taskdone.c	-DCAP=1,-DNITEMS=2,-DBOUND=1,-DSPIN_NEVER=1	-	pass
RUNS
}

make_mutant() {
	expr=$(mutants | awk -F '\t' -v m="$1" '$1 == m { print $2 }')
	if [ -z "$expr" ]; then
		echo "run.sh: no mutant named $1" >&2
		return 1
	fi
	mkdir -p "$tmp/$1" &&
	perl -0pe "$expr" "$srcdir/lib/queue.c" > "$tmp/$1/queue.c" || return 1
	if cmp -s "$srcdir/lib/queue.c" "$tmp/$1/queue.c"; then
		echo "run.sh: mutant $1 no longer changes lib/queue.c:" \
		     "update it in tests/genmc/run.sh" >&2
		return 1
	fi
}

status=0
ran=0
tab=$(printf '\t')
runs | tr -s "$tab" "$tab" > "$tmp/runs"
while IFS="$tab" read -r name harness defines mutant expect; do
	echo "$name" | grep -Eq -- "$GENMC_ONLY" || continue
	ran=$((ran + 1))
	inc=
	if [ "$mutant" != - ]; then
		make_mutant "$mutant" || { status=1; continue; }
		inc="-I$tmp/$mutant"
	fi
	# Instruction caching is off: GenMC 0.10.3's cache hands out stack
	# addresses still in use and then reports "Attempt to access freed
	# memory" of correct code (README.md).
	# shellcheck disable=SC2086
	timeout "$GENMC_TIMEOUT" "$GENMC" -check-liveness -disable-estimation \
		-disable-instruction-caching $GENMC_FLAGS \
		-- $(echo "$defines" | tr ',' ' ') $inc -I"$here" \
		-I"$srcdir/lib" -I"$srcdir/include" "$here/$harness" \
		> "$tmp/out" 2>&1
	rc=$?
	execs=$(sed -n 's/^Number of complete executions explored: //p' "$tmp/out")
	blocked=$(sed -n 's/^Number of blocked executions seen: //p' "$tmp/out")
	secs=$(sed -n 's/^Total wall-clock time: //p' "$tmp/out")
	# GenMC says "Error: <what>!" (or "Error detected: <what>!"),
	# and for an assert, the expression on an "Assertion violation:"
	# line.
	err=$(grep -m1 -E '^Error' "$tmp/out")
	what=$(grep -m1 '^Assertion violation' "$tmp/out")
	[ -z "$what" ] || err="$err $what"
	if [ "$rc" -eq 124 ]; then
		got=timeout
	elif [ "$rc" -eq 0 ] && [ -z "$err" ]; then
		got=pass
	elif [ -n "$err" ]; then
		got=fail
	else
		got="error (exit $rc)"
	fi
	if [ "$got" = "$expect" ]; then
		verdict=ok
	else
		verdict="UNEXPECTED (expected $expect)"
		status=1
	fi
	echo "$name: $got, ${execs:-?} executions, ${blocked:-0} blocked," \
	     "${secs:-?}${err:+; $err}: $verdict"
	if [ "$verdict" != ok ]; then
		sed 's/^/    /' "$tmp/out" | tail -n 60
	fi
done < "$tmp/runs"
[ "$ran" -gt 0 ] || { echo "run.sh: no run matches '$GENMC_ONLY'" >&2; exit 1; }
exit $status
