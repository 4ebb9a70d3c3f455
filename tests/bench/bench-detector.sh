#!/bin/sh
# Detector on vs off on thread workloads (docs/internals.md, Performance bars), and the same workloads under
# valgrind --tool=helgrind and built with -fsanitize=thread, reported beside ours.
#
#   uncontended pthread_mutex_lock/unlock loop   bar <= 1.15x   (build/bench/det_mutex; also
#                                                               with a second thread alive)
#   nested locking, the same pair held again     bar <= 1.5x    (build/bench/det_nested)
#   pthread_create + pthread_join churn          bar <= 1.5x    (build/bench/det_create)
#   pigz -p 2 on 64 MiB                          bar <= 1.05x   (a real threaded program)
#
# Beside the mutex loop, the interposition floor: the same loop under libfwd_floor.so, a wrapper of
# the pair that only forwards (one more indirect jump per call, nothing recorded).
#
# The loop programs print their own best-of-100-short-rounds figure in ns per operation; this script keeps the
# best of 3 runs per side, alternating sides so that a noisy neighbour hits both alike. pigz is
# timed as a whole process, best of 5 per side (alternating), since one run is only ~1 s. helgrind is ~100x slower, so its runs use fewer
# iterations (per-operation figures stay comparable) and an 8 MiB input for pigz; pigz itself is
# a distribution binary, so it has no ThreadSanitizer row.
# Prints Markdown rows: | what | ours | peer | ratio | bar | ok? |
# Usage: bench-detector.sh [BUILD] [SECTIONS]; SECTIONS is a comma list of mutex, nested, create and
# pigz (default: all), for timing only the rows a change concerns.
set -eu
build=${1:-build}
sections=",${2:-mutex,nested,create,pigz},"
want() { case $sections in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
lib="$(cd "$(dirname "$build/lib/libtaskleak.so")" && pwd)/libtaskleak.so"
bench="$build/bench"
[ -f "$lib" ] || { echo "bench-detector: $lib is not built" >&2; exit 1; }
for p in det_mutex det_nested det_create det_mutex_tsan det_nested_tsan det_create_tsan; do
    [ -x "$bench/$p" ] || { echo "bench-detector: $bench/$p is not built" >&2; exit 1; }
done
floor="$(cd "$bench" && pwd)/libfwd_floor.so"
[ -f "$floor" ] || { echo "bench-detector: $floor is not built" >&2; exit 1; }

# The detector with its defaults (watchdog on); its text reports, if any, are appended to one log
# file per bench run instead of the terminal.
detlog="$bench/det-taskleak.log"
: > "$detlog"
detector_env() {
    env LD_PRELOAD="$lib" TASKLEAK_OPTIONS="log=$detlog" "$@"
}

# best_of RUNS CMD...: smallest number printed on stdout by CMD over RUNS runs.
best_of() {
    runs=$1
    shift
    best=
    i=0
    while [ "$i" -lt "$runs" ]; do
        v=$("$@")
        best=$(awk -v a="$v" -v b="${best:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
        i=$((i + 1))
    done
    echo "$best"
}

# secs CMD...: wall-clock seconds of CMD (stdout discarded).
secs() {
    s=$(date +%s%N)
    "$@" > /dev/null
    e=$(date +%s%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }'
}

# ratio_row WHAT UNIT ON OFF BAR
ratio_row() {
    awk -v w="$1" -v u="$2" -v on="$3" -v off="$4" -v bar="$5" 'BEGIN {
        r = on / off
        printf "| %s | %.2f %s | %.2f %s | %.2fx | <= %.2fx | %s |\n", w, on, u, off, u, r, bar,
               (r <= bar) ? "yes" : "no"
    }'
}

# floor_row WHAT UNIT FLOOR OFF: what a forward-only wrapper costs, the reference beneath a bar.
floor_row() {
    awk -v w="$1" -v u="$2" -v on="$3" -v off="$4" 'BEGIN {
        printf "| %s | %.2f %s | %.2f %s | %.2fx | reference | n/a |\n", w, on, u, off, u, on / off
    }'
}

# side_row WHAT UNIT OURS PEER: our figure beside another tool's, no bar.
side_row() {
    awk -v w="$1" -v u="$2" -v a="$3" -v b="$4" 'BEGIN {
        printf "| %s | %.2f %s | %.2f %s | %.4fx | reported beside ours | n/a |\n", w, a, u, b, u,
               a / b
    }'
}

# on_off NAME ARGS...: alternating best-of-3 figures for one loop program; sets $on and $off.
on_off() {
    name=$1
    shift
    on='' off=''
    for _ in 1 2 3; do
        o=$("$bench/$name" "$@")
        n=$(detector_env "$bench/$name" "$@")
        off=$(awk -v a="$o" -v b="${off:-$o}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
        on=$(awk -v a="$n" -v b="${on:-$n}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
    done
}

helgrind() {
    valgrind --tool=helgrind -q --error-exitcode=0 "$@" 2> /dev/null
}

have_helgrind=yes
command -v valgrind > /dev/null 2>&1 || have_helgrind=no

# --- the mutex loop ---
if want mutex; then
    on_off det_mutex 500000 100
    ratio_row "detector on vs off: uncontended pthread_mutex_lock/unlock" ns "$on" "$off" 1.15
    mutex_on=$on
    # The floor: the same loop under a wrapper that only forwards (no detector).
    fl=''
    for _ in 1 2 3; do
        v=$(env LD_PRELOAD="$floor" "$bench/det_mutex" 500000 100)
        fl=$(awk -v a="$v" -v b="${fl:-$v}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
    done
    floor_row "interposition floor: the same loop under a wrapper that only forwards" ns "$fl" "$off"
    # The same loop with a second thread alive: the atomic paths of glibc and of the detector.
    on_off det_mutex 500000 100 mt
    ratio_row "detector on vs off: the same loop with a second thread alive (atomic paths)" ns \
        "$on" "$off" 1.15
    if [ "$have_helgrind" = yes ]; then
        hg=$(best_of 1 helgrind "$bench/det_mutex" 200000 5)
        side_row "mutex lock/unlock: taskleak vs valgrind --tool=helgrind" ns "$mutex_on" "$hg"
    fi
    ts=$(best_of 3 "$bench/det_mutex_tsan" 200000 50)
    side_row "mutex lock/unlock: taskleak vs -fsanitize=thread" ns "$mutex_on" "$ts"
fi

# --- nested locking: two locks held, the same pair again and again (lock-order graph on) ---
if want nested; then
    on_off det_nested 500000 100
    ratio_row "detector on vs off: nested locking (two locks held, lock-order graph on)" ns "$on" "$off" 1.5
    nested_on=$on
    if [ "$have_helgrind" = yes ]; then
        hg=$(best_of 1 helgrind "$bench/det_nested" 100000 5)
        side_row "nested locking: taskleak vs valgrind --tool=helgrind" ns "$nested_on" "$hg"
    fi
    ts=$(best_of 3 "$bench/det_nested_tsan" 100000 50)
    side_row "nested locking: taskleak vs -fsanitize=thread" ns "$nested_on" "$ts"
fi

# --- thread churn ---
if want create; then
    on_off det_create 20000
    ratio_row "detector on vs off: pthread_create + join churn" ns "$on" "$off" 1.5
    create_on=$on
    if [ "$have_helgrind" = yes ]; then
        hg=$(best_of 1 helgrind "$bench/det_create" 500)
        side_row "pthread_create + join: taskleak vs valgrind --tool=helgrind" ns "$create_on" "$hg"
    fi
    ts=$(best_of 1 "$bench/det_create_tsan" 2000)
    side_row "pthread_create + join: taskleak vs -fsanitize=thread" ns "$create_on" "$ts"
fi

# --- pigz, a real threaded program (last: it may end the script early) ---
want pigz || exit 0
if ! command -v pigz > /dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q pigz >&2 || true
    fi
fi
if ! command -v pigz > /dev/null 2>&1; then
    echo "| detector on vs off: pigz -p 2 on 64 MiB (pigz missing: apt-get install pigz) | | | | <= 1.05x | no |"
    exit 0
fi
input="$bench/pigz-64m.dat"
small="$bench/pigz-8m.dat"
if [ ! -f "$input" ]; then
    # Half text, half base64 of random bytes: compresses about 2:1, keeps both threads busy.
    { seq 1 6000000; head -c 25000000 /dev/urandom | base64; } | head -c 67108864 > "$input.tmp"
    mv "$input.tmp" "$input"
fi
[ -f "$small" ] || head -c 8388608 "$input" > "$small"
on='' off=''
for _ in 1 2 3 4 5; do
    o=$(secs pigz -p 2 -c "$input")
    n=$(secs detector_env pigz -p 2 -c "$input")
    off=$(awk -v a="$o" -v b="${off:-$o}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
    on=$(awk -v a="$n" -v b="${on:-$n}" 'BEGIN { print (a + 0 < b + 0) ? a : b }')
done
ratio_row "detector on vs off: pigz -p 2 on 64 MiB" s "$on" "$off" 1.05
if [ "$have_helgrind" = yes ]; then
    ours=$(best_of 3 secs detector_env pigz -p 2 -c "$small")
    hg=$(secs helgrind pigz -p 2 -c "$small")
    side_row "pigz -p 2 on 8 MiB: taskleak vs valgrind --tool=helgrind" s "$ours" "$hg"
fi
echo "| pigz -p 2: taskleak vs -fsanitize=thread (pigz is a distribution binary: no TSan build) | | n/a | | reported beside ours | n/a |"
