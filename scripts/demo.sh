#!/bin/sh
# make demo: run the detector on a bundled leaky program (tests/scenarios/demo_pool.c: a thread
# pool never shut down and a forgotten detached waiter) and show what it reports.
# Usage: sh scripts/demo.sh [BUILD_DIR]   (default build). Exits 0 when the demo behaved as
# expected: the program ran, the detector found both leaks, and failed it with status 76.
set -eu
build=${1:-build}
lib="$build/lib/libtaskleak.so"
prog="$build/tests/scenarios/demo_pool"
make -s "$lib" "$prog"
dir=$(mktemp -d "${TMPDIR:-/tmp}/taskleak-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "== running $prog under the detector"
echo "   LD_PRELOAD=$lib TASKLEAK_OPTIONS=report=$dir:grace=500ms"
echo
status=0
LD_PRELOAD="$lib" TASKLEAK_OPTIONS="report=$dir:grace=500ms" "$prog" || status=$?
echo
echo "== the program exited with status $status (76 = the leak gate failed it; it returned 0)"
report=$(ls "$dir"/taskleak.*.exit.json 2>/dev/null | head -n 1)
if [ -z "$report" ]; then
    echo "demo: no exit report was written: the detector did not run" >&2
    exit 1
fi
echo "== JSON report $(basename "$report") (schema taskleak/1), summary and groups:"
sed -n '/"summary"/,/}/p' "$report"
grep -E '"(reason|count)"' "$report" | sed -n '1,20p'
if [ "$status" -ne 76 ]; then
    echo "demo: expected status 76 from the leak gate, got $status" >&2
    exit 1
fi
echo
echo "demo: OK (both leaks found; see 'man 7 taskleak' for the report format)"
