#!/bin/sh
# `make bench`: runs every tests/bench/bench-*.sh fragment in order, in one run on this machine,
# and prints one table (docs/internals.md, Performance bars). Each fragment prints rows
#   | what | ours | peer | ratio | bar | ok? |
# and gets the build directory as $1. A fragment that fails prints a row saying so; the table is
# still printed whole.
set -u
build=${1:-build}
out="$build/bench.md"
mkdir -p "$build"
{
    echo "taskleak benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -r)"
    echo
    echo "| what | ours | peer | ratio | bar | ok? |"
    echo "| --- | --- | --- | --- | --- | --- |"
} > "$out"
for f in tests/bench/bench-*.sh; do
    [ -f "$f" ] || continue
    if ! sh "$f" "$build" >> "$out" 2> "$build/bench.$(basename "$f" .sh).log"; then
        echo "| $(basename "$f") failed (see $build/bench.$(basename "$f" .sh).log) | | | | | no |" >> "$out"
    fi
done
cat "$out"
