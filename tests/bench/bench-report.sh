#!/bin/sh
# `make bench` fragment: taskleak-report on a 1M-unit process report, to grouped text
# (DESIGN section 8, bar <= 3 s). The report is synthetic (tests/bench/report_gen.py: 1M
# threads in 30 groups, every schema field present, ~360 MB) and generated once into the build
# directory. Best of three runs, so a noisy neighbour does not decide the row.
# Prints: | what | ours | peer | ratio | bar | ok? |
set -eu
build=${1:-build}
tool="$build/bin/taskleak-report"
rep="$build/bench/report-1m.json"
here=$(dirname "$0")
[ -x "$tool" ] || { echo "bench-report: $tool is not built" >&2; exit 1; }
mkdir -p "$build/bench"
if [ ! -s "$rep" ] || [ "$here/report_gen.py" -nt "$rep" ]; then
    python3 "$here/report_gen.py" "$rep.tmp" 1000000 && mv "$rep.tmp" "$rep"
fi
size=$(du -m "$rep" | cut -f1)
best=
for i in 1 2 3; do
    t0=$(date +%s.%N)
    st=0
    "$tool" "$rep" > "$build/bench/report-1m.txt" || st=$?
    t1=$(date +%s.%N)
    [ "$st" -le 1 ] || { echo "bench-report: taskleak-report exited $st" >&2; exit 1; }
    best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
        'BEGIN { t = b - a; if (best == "" || t < best + 0) best = t; printf "%.3f", best }')
done
grep -q '^SUMMARY: taskleak: ' "$build/bench/report-1m.txt" ||
    { echo "bench-report: no SUMMARY line in the output" >&2; exit 1; }
ok=$(awk -v t="$best" 'BEGIN { print (t <= 3) ? "yes" : "no" }')
printf '| taskleak-report: 1M-unit report (%s MB) to grouped text | %s s | - | - | <= 3 s | %s |\n' \
    "$size" "$best" "$ok"
