#!/bin/sh
# The watchdog's costs (docs/internals.md, Performance bars; issues 6 and 18). Prints Markdown rows:
#   | what | ours | peer | ratio | bar | ok? |
# 1. one watchdog scan over 1M registered units (half of them stuck), best of 7, bar <= 50 ms,
#    and one look over 1M blocked gor tasks (wd_look), likewise;
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

# 1b. the same for gor tasks: one look (tl_gor_scan_stuck, states and waits copied from gor's wait
#     table) over 1M blocked tasks at steady size, best of 7, bar <= 50 ms.
if [ -x "$build/bench/wd_look" ]; then
    look=$("$build/bench/wd_look" 1000000 2>/dev/null) || look=-1
    awk -v v="$look" 'BEGIN {
        printf "| watchdog look over 1M blocked gor tasks (best of 7) | %.1f ms | - | - | <= 50 ms | %s |\n", v,
               (v >= 0 && v <= 50) ? "yes" : "no"
    }'
fi

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

# 4. the watchdog at scale with gor tasks (issue 18): 300k tasks block on a channel, the program
#    idles 5 s, wakes them and exits. Total CPU (user + sys, start to exit) under the detector at
#    default options with a report directory, against the same program without it; 3 runs each,
#    alternated, best of each side. Bar <= 1.3x.
[ -x "$build/bench/wd_tasks" ] || { echo "bench-watchdog: build $build/bench/wd_tasks first" >&2; exit 1; }
rep=$(mktemp -d)
off= on=
i=0
while [ "$i" -lt 3 ]; do
    v=$("$build/bench/wd_tasks" --cpu "$build/bench/wd_tasks" 300000 5)
    off=$(awk -v a="$v" -v b="${off:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
    v=$(TASKLEAK_OPTIONS="report=$rep" LD_PRELOAD="$lib" "$build/bench/wd_tasks" --cpu "$build/bench/wd_tasks" 300000 5 2>/dev/null)
    on=$(awk -v a="$v" -v b="${on:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
    i=$((i + 1))
done
awk -v on="$on" -v off="$off" 'BEGIN {
    r = on / off
    printf "| watchdog, 300k gor tasks blocked, 5 s idle, woken: total CPU, detector (default options, report dir) vs none | %.2f s | %.2f s | %.2fx | <= 1.3x | %s |\n",
           on, off, r, (r <= 1.3) ? "yes" : "no"
}'

# 5. one full look over 1M live gor tasks (their states and waits copied from gor, nothing
#    unwound), as the watchdog reports it in its metrics file. Bar <= 50 ms.
TASKLEAK_OPTIONS="report=$rep:metrics=$rep/wd.prom" LD_PRELOAD="$lib" "$build/bench/wd_tasks" 1000000 8 2>/dev/null || true
awk '/^taskleak_watchdog_scan_seconds / { v = $2 * 1000 } END {
    printf "| watchdog full look over 1M gor tasks (metrics taskleak_watchdog_scan_seconds) | %.1f ms | - | - | <= 50 ms | %s |\n",
           v, (v > 0 && v <= 50) ? "yes" : "no"
}' "$rep/wd.prom"
rm -rf "$rep"
