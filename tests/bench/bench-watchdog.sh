#!/bin/sh
# The watchdog's costs (docs/internals.md, Performance bars; issue 6). Prints Markdown rows:
#   | what | ours | peer | ratio | bar | ok? |
# 1. one watchdog scan over 1M registered units (half of them stuck), best of 7, bar <= 50 ms;
# 2. the watchdog thread's CPU share of one core with 10k idle threads at the default interval
#    (1 s) over 10 s, scans only (threshold=60m keeps reports out of the measure), bar <= 1 %.
# There is no peer for either: the columns say so.
set -eu
build=${1:-build}
lib="$build/lib/libtaskleak.so"
[ -x "$build/bench/wd_scan" ] && [ -x "$build/bench/wd_idle" ] && [ -f "$lib" ] || {
    echo "bench-watchdog: build $build/bench/wd_scan, wd_idle and $lib first" >&2
    exit 1
}

scan=$("$build/bench/wd_scan" 1000000)
awk -v v="$scan" 'BEGIN {
    printf "| watchdog scan of 1M units (best of 7) | %.1f ms | - | - | <= 50 ms | %s |\n", v,
           (v <= 50) ? "yes" : "no"
}'

share=$(TASKLEAK_OPTIONS=exit_check=0:threshold=60m LD_PRELOAD="$lib" "$build/bench/wd_idle" 10000 10)
awk -v v="$share" 'BEGIN {
    if (v < 0) { print "| watchdog CPU share, 10k idle threads | no watchdog thread | - | - | <= 1 % | no |"; exit }
    printf "| watchdog CPU share, 10k idle threads, interval 1s | %.3f %% of a core | - | - | <= 1 %% | %s |\n",
           v, (v <= 1) ? "yes" : "no"
}'

# 3. bounded memory: 1M threads created and joined through the detector's creation path.
set -- $("$build/bench/wd_churn" 1000000)
awk -v l0="$1" -v l1="$2" -v s0="$3" -v s1="$4" -v t="$5" 'BEGIN {
    printf "| 1M threads created+joined (%.0f s): registry units, stack-table entries | %d -> %d units, %d -> %d stacks | - | - | back to start size | %s |\n",
           t, l0, l1, s0, s1, (l1 <= l0 && s1 <= s0) ? "yes" : "no"
}'
