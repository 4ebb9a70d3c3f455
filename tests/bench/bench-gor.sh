#!/bin/sh
# gor versus Go 1.19, same programs (gor_bench.c / gor_bench.go), in one run on this machine.
# Prints Markdown rows | what | ours | peer | ratio | bar | ok? | (docs/internals.md, Performance bars).
# $1: the build directory. Installs golang-go with apt-get when `go` is missing (as root).
set -eu
build=${1:-build}
ours="$build/bench/gor_bench"
peer="$build/bench/gor_bench_go"
[ -x "$ours" ] || { echo "bench-gor: $ours is not built (make bench builds it)" >&2; exit 1; }
if ! command -v go >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y golang-go >&2
    else
        echo "bench-gor: Go is missing: apt-get install golang-go" >&2
        exit 1
    fi
fi
mkdir -p "$build/bench"
GOFLAGS=-mod=mod GO111MODULE=auto go build -o "$peer" tests/bench/gor_bench.go >&2

# value PROGRAM PROCS MODE N [FIELD]: the best (lowest) of three runs' first number.
value() {
    best=
    for _ in 1 2 3; do
        v=$(GOR_PROCS=$2 GOMAXPROCS=$2 "$1" "$3" "$4" | awk -v k="$3" '$1 == k {print $2}')
        best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (a == "" || b + 0 < a + 0) ? b : a}')
    done
    echo "$best"
}
# once PROGRAM PROCS MODE N KEY: one run, the number on the line starting with KEY.
once() {
    GOR_PROCS=$2 GOMAXPROCS=$2 "$1" "$3" "$4" | awk -v k="$5" '$1 == k {print $2}'
}
# row WHAT OURS PEER UNIT RATIO_KIND BAR LIMIT: RATIO_KIND "cost" (ours/peer, lower is better,
# ok when <= LIMIT) or "rate" (peer/ours as throughput, ok when >= LIMIT) or "info".
row() {
    awk -v what="$1" -v o="$2" -v p="$3" -v u="$4" -v kind="$5" -v bar="$6" -v lim="$7" 'BEGIN {
        r = (kind == "rate") ? p / o : o / p
        ok = (kind == "cost") ? (r <= lim ? "yes" : "no") : (kind == "rate") ? (r >= lim ? "yes" : "no") : "-"
        printf "| %s | %s %s | %s %s | %.2fx | %s | %s |\n", what, o, u, p, u, r, bar, ok
    }'
}

procs=$(nproc)
for p in 1 2; do
    row "gor unbuffered round trip, GOR_PROCS=GOMAXPROCS=$p" "$(value "$ours" $p pingpong 2000000)" \
        "$(value "$peer" $p pingpong 2000000)" ns cost "<= 0.5x Go" 0.5
done
row "gor spawn + exit, 1M tasks" "$(value "$ours" "$procs" spawn 1000000)" \
    "$(value "$peer" "$procs" spawn 1000000)" "ns/task" cost "<= 0.5x Go" 0.5
row "gor buffered producer/consumer (ratio = our throughput / Go's)" \
    "$(value "$ours" "$procs" buffered 10000000)" "$(value "$peer" "$procs" buffered 10000000)" \
    "ns/item" rate ">= 1.0x Go" 1.0
row "gor two-case select, two producers" "$(value "$ours" "$procs" select 2000000)" \
    "$(value "$peer" "$procs" select 2000000)" "ns/select" info "reported" 0
row "gor RSS of 100k tasks blocked on a channel" "$(once "$ours" "$procs" rss 100000 rss)" \
    "$(once "$peer" "$procs" rss 100000 rss)" "B/task" cost "<= 1.5x Go" 1.5
o=$(once "$ours" "$procs" rss 1000000 rss_total)
g=$(once "$peer" "$procs" rss 1000000 rss_total)
awk -v o="$o" -v g="$g" 'BEGIN { printf "| gor 1M live blocked tasks, total RSS | %s MiB | %s MiB | %.2fx | fits in 24 GiB | %s |\n", o, g, o / g, (o != "" && o + 0 < 24576) ? "yes" : "no" }'
o=$("$ours" sleepers 100000)
g=$("$peer" sleepers 100000)
row "gor 100k sleepers: CPU in 300 ms while all asleep" "$(echo "$o" | awk '$1 == "sleepers" {print $2}')" \
    "$(echo "$g" | awk '$1 == "sleepers" {print $2}')" "ms" info "~0 (no polling)" 0
row "gor 100k sleepers, one deadline: mean wake-up lateness" \
    "$(echo "$o" | awk '$1 == "lateness" {print $2}')" "$(echo "$g" | awk '$1 == "lateness" {print $2}')" \
    "us" info "reported" 0
row "gor single sleeper, 2.5 ms sleeps: mean wake-up lateness" "$(value "$ours" 1 sleep1 200)" \
    "$(value "$peer" 1 sleep1 200)" us info "~1 ms or less" 0
row "gor fd ping-pong over a pipe pair (gor_fd_wait vs netpoller)" \
    "$(value "$ours" "$procs" fdpingpong 100000)" "$(value "$peer" "$procs" fdpingpong 100000)" ns info \
    "reported" 0
