#!/bin/sh
# check-zpipe.sh - runs examples/zpipe's ventilator, workers and sink as
# separate processes and checks that every job comes back exactly once
# (the sink checks each number and hash; this script adds up what the
# workers say they ran), that back-pressure reaches the ventilator, and
# that a missing worker or a duplicated result fails the run instead of
# hanging it.  The endpoints are ipc:// paths in a fresh temporary
# directory, so that parallel runs never share a port.
#
# Every process runs under its own --timeout-ms and, where coreutils'
# timeout exists, under a hard limit; on any failure (or a signal) the
# script kills every process it started.  Skipped (77) where configure
# did not build zpipe (no libzmq, or --without-zmq).
set -u
: "${top_builddir:=.}" "${ZPIPE:=}"
if [ -z "$ZPIPE" ]; then
	echo "check-zpipe: examples/zpipe is not built (no libzmq); skipping"
	exit 77
fi
zpipe=$top_builddir/$ZPIPE
# In a ThreadSanitizer build: libzmq's own hand-overs are invisible to
# it (see the file); ignored elsewhere.
TSAN_OPTIONS="${TSAN_OPTIONS:-} suppressions=${top_srcdir:-.}/tests/tsan-zmq.supp"
export TSAN_OPTIONS
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 120"

dir=$(mktemp -d "${TMPDIR:-/tmp}/check-zpipe.XXXXXX") || exit 1
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.out "$dir"/*.err; do
		[ -s "$f" ] && { echo "--- $f"; cat "$f"; }
	done
	exit 1
}

# start NAME ROLE ARGS...: runs zpipe ROLE in the background on this
# scenario's endpoints; its output goes to $dir/NAME.out and .err.
start() {
	name=$1
	shift
	$limit "$zpipe" "$@" --jobs "ipc://$dir/jobs" \
		--results "ipc://$dir/results" --control "ipc://$dir/control" \
		>"$dir/$name.out" 2>"$dir/$name.err" &
	pids="$pids $!"
	eval "pid_$name=$!"
}

# finish NAME STATUS: waits for NAME, which must exit with STATUS.
finish() {
	eval "p=\$pid_$1"
	wait "$p"
	rc=$?
	[ "$rc" -eq "$2" ] || fail "$1 exited with $rc, not $2"
}

# The sum of the job counts in the workers' own "worker NAME: N jobs".
worker_total() {
	cat "$dir"/w*.out | sed -n 's/^worker [^ ]*: \([0-9]*\) jobs.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# A fresh directory per scenario: no endpoint or output is reused.
next() {
	rm -rf "$dir"/*
	echo "check-zpipe: $*"
}

next "3 workers started before their sink: 3000 jobs, each once"
start vent ventilator --count 3000 --size 100
for w in w1 w2 w3; do
	start "$w" worker --name "$w" --threads 2 --capacity 4 --hwm 8
done
start sink sink --workers 3
for p in vent w1 w2 w3 sink; do
	finish "$p" 0
done
grep -q '^sink: 3000 jobs, each exactly once, from 3 workers' \
	"$dir/sink.out" || fail "the sink did not see every job once"
[ "$(worker_total)" -eq 3000 ] || fail "the workers ran $(worker_total) jobs"
grep -q '^ventilator: 3000 jobs sent' "$dir/vent.out" ||
	fail "the ventilator did not send 3000 jobs"
cat "$dir/sink.out"

# Two slow workers (3 ms a job) with queues of 2: each queue fills,
# the workers stop reading, and the ventilator must wait for room:
# 300 jobs of 32 KiB are far more than the two workers' high-water
# marks and socket buffers hold.
next "back-pressure: slow workers make the ventilator wait"
start sink sink --workers 2
for w in w1 w2; do
	start "$w" worker --name "$w" --threads 1 --capacity 2 --hwm 2 \
		--work-us 3000
done
start vent ventilator --count 300 --size 32768 --hwm 2
for p in vent w1 w2 sink; do
	finish "$p" 0
done
grep -q '^sink: 300 jobs, each exactly once' "$dir/sink.out" ||
	fail "the sink did not see every job once"
[ "$(worker_total)" -eq 300 ] || fail "the workers ran $(worker_total) jobs"
grep -q '^ventilator: 300 jobs sent; [1-9][0-9]* waits' "$dir/vent.out" ||
	fail "the ventilator never had to wait: no back-pressure"
for w in w1 w2; do
	grep -q 'queue full [1-9][0-9]* times' "$dir/$w.out" ||
		fail "$w's queue never filled"
done
cat "$dir/vent.out" "$dir/sink.out"

# Only the process expected to time out has a short timeout, and it
# starts last, so that a slow start of the others cannot pass for it.
next "a worker that never comes: the sink fails after its timeout"
start w1 worker --name w1
start vent ventilator --count 50
start sink sink --workers 2 --timeout-ms 2000
finish sink 1
finish w1 0
finish vent 0
grep -q '1 of 2 reports' "$dir/sink.err" ||
	fail "the sink did not say that a report is missing"

next "a result sent twice: the sink says which job, and fails"
start sink sink
start w1 worker --name w1 --duplicate --timeout-ms 3000
start vent ventilator --count 20 --timeout-ms 3000
finish sink 1
grep -q 'job [0-9]* came back twice' "$dir/sink.err" ||
	fail "the sink did not catch the duplicate"
# Without the sink's STOP the others must give up too, not hang.
finish w1 1
finish vent 1

next "usage errors exit 2"
for args in "" "nosuchrole" "worker --threads 0" "sink --workers x" \
	"ventilator extra"; do
	# shellcheck disable=SC2086 # split on purpose
	$limit "$zpipe" $args >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "zpipe $args exited with $rc, not 2"
done
echo "check-zpipe: all passed"
exit 0
