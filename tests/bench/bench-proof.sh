#!/bin/sh
# Leak proofs' costs (docs/internals.md, Performance bars). Prints Markdown rows:
#   | what | ours | peer | ratio | bar | ok? |
# 1. a scan of a heap where everything is reachable: ms to cut it into 64-byte blocks and ms to
#    mark it, per GiB (measured on PF_MIB MiB, default 1024), bar: marking <= 5 s per GiB (on the scanning thread only: nothing else stops);
# 2. a gor service idling 10 s with 100k tasks blocked on a reachable channel, threshold=1s (the
#    watchdog proves at most once per threshold): CPU with proof=1 against proof=0, bar 1.2x.
set -eu
build=${1:-build}
lib="$build/lib/libtaskleak.so"
[ -x "$build/bench/pf_scan" ] && [ -x "$build/bench/pf_idle" ] && [ -f "$lib" ] || {
    echo "bench-proof: build $build/bench/pf_scan, pf_idle and $lib first" >&2
    exit 1
}
set -- $("$build/bench/pf_scan" "${PF_MIB:-1024}")
awk -v c="$1" -v m="$2" 'BEGIN {
    printf "| leak proof scan, all reachable, per GiB of heap: cut into 64-byte blocks, mark | %.0f ms, %.0f ms | - | - | mark <= 5000 ms | %s |\n",
           c, m, (m <= 5000) ? "yes" : "no"
}'
opts="exit_check=0:threshold=1s:log=$build/bench.proof-idle.log"
tasks=${PF_TASKS:-100000}
on=$(TASKLEAK_OPTIONS="$opts:proof=1" LD_PRELOAD="$lib" "$build/bench/pf_idle" "$tasks" 10)
off=$(TASKLEAK_OPTIONS="$opts:proof=0" LD_PRELOAD="$lib" "$build/bench/pf_idle" "$tasks" 10)
awk -v on="$on" -v off="$off" -v n="$tasks" 'BEGIN {
    printf "| idle gor service, %d blocked tasks, 10 s, threshold=1s: CPU proof=1 vs proof=0 | %.2f s | %.2f s | %.2fx | <= 1.2x | %s |\n",
           n, on, off, (off > 0 ? on / off : 0), (off > 0 && on / off <= 1.2) ? "yes" : "no"
}'
