#!/bin/sh
# Static checks `make check` runs before the test runner:
#  - every man page lints clean (mandoc -Tlint, warnings are errors);
#  - the exported symbols of libtaskleak.so and libgor.so are exactly their allow-lists
#    (preload/exports.map's global section, runtime/exports.txt).
set -u
build=${1:-build}
fail=0

for page in man/*.[137]; do
    [ -f "$page" ] || continue
    out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
    if [ -n "$out" ]; then
        echo "check-static: $page does not lint clean:" >&2
        echo "$out" >&2
        fail=1
    fi
done

# exports <library> <allow-list file>: compare defined dynamic symbols with the list.
exports() {
    [ -f "$1" ] && [ -f "$2" ] || return 0
    nm -D --defined-only "$1" | awk '$2 ~ /^[TWDBVRi]$/ {print $3}' | sed 's/@.*//' | sort -u > "$build/.exports.got"
    sort -u "$2" > "$build/.exports.want"
    if ! cmp -s "$build/.exports.got" "$build/.exports.want"; then
        echo "check-static: exported symbols of $1 differ from $2 (< exported, > listed):" >&2
        diff "$build/.exports.got" "$build/.exports.want" | grep '^[<>]' >&2
        fail=1
    fi
    rm -f "$build/.exports.got" "$build/.exports.want"
}

if [ -f preload/exports.map ]; then
    sed -n '/global:/,/local:/p' preload/exports.map | sed -e 's/global://' -e 's/local:.*//' \
        -e 's#/\*.*\*/##g' | tr ';' '\n' | tr -d ' \t' | grep -v '^$' > "$build/.exports.map.txt"
    exports "$build/lib/libtaskleak.so" "$build/.exports.map.txt"
    rm -f "$build/.exports.map.txt"
fi
exports "$build/lib/libgor.so" runtime/exports.txt

[ "$fail" = 0 ] && echo "check-static: man pages lint clean; exported symbols match their allow-lists"
exit "$fail"
