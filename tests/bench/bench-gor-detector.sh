#!/bin/sh
# Detector on vs off for gor (docs/internals.md, Performance bars; issue 7): the unbuffered channel ping-pong
# (bar <= 1.3x) and spawn + exit with creation stacks (bar <= 2.0x). Each program prints its own
# best-of-5 figure in ns; this script alternates 5 runs per side and keeps each side's best.
# Both run with GOR_PROCS=1: the detector's cost is per operation, and on one worker the figure
# does not depend on whether the two tasks happened to share a worker (which moves a
# GOR_PROCS=2 ping-pong between ~80 and ~400 ns with or without the detector).
# Prints Markdown rows: | what | ours | peer | ratio | bar | ok? |
# "ours" is the program under the detector, "peer" the same program without it.
set -eu
build=${1:-build}
GOR_PROCS=1
export GOR_PROCS
lib="$build/lib/libtaskleak.so"
[ -f "$lib" ] || { echo "bench-gor-detector: $lib is not built" >&2; exit 1; }

# once PRELOAD PROG ARGS...: the figure PROG prints, with the detector preloaded when PRELOAD
# is not empty.
once() {
    pre=$1
    shift
    if [ -n "$pre" ]; then
        TASKLEAK_OPTIONS=threshold=0 LD_PRELOAD="$pre" "$@"
    else
        "$@"
    fi
}

# row WHAT BAR PROG ARGS...: runs off and on alternately, 5 times each (so a load spike from a
# neighbour hits both sides alike), keeps each side's best, prints the row.
row() {
    what=$1 bar=$2
    shift 2
    off= on=
    i=0
    while [ "$i" -lt 5 ]; do
        v=$(once "" "$@")
        off=$(awk -v a="$v" -v b="${off:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
        v=$(once "$lib" "$@")
        on=$(awk -v a="$v" -v b="${on:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
        i=$((i + 1))
    done
    awk -v w="$what" -v on="$on" -v off="$off" -v bar="$bar" 'BEGIN {
        r = on / off
        printf "| %s | %.1f ns | %.1f ns | %.2fx | <= %.1fx | %s |\n", w, on, off, r, bar,
               (r <= bar) ? "yes" : "no"
    }'
}

row "detector on vs off: gor channel round trip (ping-pong, GOR_PROCS=1)" 1.3 "$build/bench/gd_pingpong" 200000
row "detector on vs off: gor spawn + exit with creation stacks (GOR_PROCS=1)" 2.0 "$build/bench/gd_spawn" 200000
