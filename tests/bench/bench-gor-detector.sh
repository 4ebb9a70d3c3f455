#!/bin/sh
# Detector on vs off for gor (DESIGN section 8, issue 7): the unbuffered channel ping-pong
# (bar <= 1.3x) and spawn + exit with creation stacks (bar <= 2.0x). Each program prints its own
# best-of-5 figure in ns; this script keeps the best of 3 runs per side, so a noisy neighbour
# inflates neither. Prints Markdown rows: | what | ours | peer | ratio | bar | ok? |
# "ours" is the program under the detector, "peer" the same program without it.
set -eu
build=${1:-build}
lib="$build/lib/libtaskleak.so"
[ -f "$lib" ] || { echo "bench-gor-detector: $lib is not built" >&2; exit 1; }

# best_of RUNS PRELOAD PROG ARGS...: smallest figure printed by PROG over RUNS runs.
best_of() {
    runs=$1 pre=$2
    shift 2
    best=
    i=0
    while [ "$i" -lt "$runs" ]; do
        if [ -n "$pre" ]; then
            v=$(TASKLEAK_OPTIONS=threshold=0 LD_PRELOAD="$pre" "$@")
        else
            v=$("$@")
        fi
        best=$(awk -v a="$v" -v b="${best:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
        i=$((i + 1))
    done
    echo "$best"
}

# row WHAT BAR PROG ARGS...
row() {
    what=$1 bar=$2
    shift 2
    off=$(best_of 3 "" "$@")
    on=$(best_of 3 "$lib" "$@")
    awk -v w="$what" -v on="$on" -v off="$off" -v bar="$bar" 'BEGIN {
        r = on / off
        printf "| %s | %.1f ns | %.1f ns | %.2fx | <= %.1fx | %s |\n", w, on, off, r, bar,
               (r <= bar) ? "yes" : "no"
    }'
}

row "detector on vs off: gor channel round trip (ping-pong)" 1.3 "$build/bench/gd_pingpong" 200000
row "detector on vs off: gor spawn + exit, with creation stacks" 2.0 "$build/bench/gd_spawn" 200000
