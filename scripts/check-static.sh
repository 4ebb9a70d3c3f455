#!/bin/sh
# Static checks `make check` runs before the test runner:
#  - every man page lints clean (mandoc -Tlint, warnings are errors);
#  - no tracked file cites a document outside the repository or a development machine's path;
#  - the exported symbols of libtaskleak.so and libgor.so are exactly their allow-lists
#    (preload/exports.txt, runtime/exports.txt; versioned names as nm -D prints them);
#  - every exported function of libtaskleak.so has unwind info (reliability case 33): an FDE in
#    .eh_frame covers its address, so a stack capture or a C++ unwind through a wrapper works.
#  - no built object needs a newer glibc than its documented floor (reliability case 6: a build on
#    a newer glibc that would stop every process on an older one with "version `GLIBC_2.xx' not
#    found" is caught here, before release; taskleak(7) names the floors).
#  - the detector's layers hold (scripts/include-graph.py: no upward include, no include cycle
#    among engine modules, no source outside a layer folder, the report tool builds from common/);
#  - the options have one writer (preload/interpose/tl_ctx.c): no other detector module fills a
#    struct tl_options, reads TASKLEAK_OPTIONS or reads options through the context, and none
#    loads the suppressions or reads them through the context;
#  - no production source file (.c/.h of runtime/, common/, preload/, report/, scripts/) is over
#    600 lines;
#  - README.md's "Source tour" names every layer folder, and every folder it names exists.
# `check-static.sh --unwind LIB` runs only the unwind check on LIB (the negative control in
# tests/reliability uses it on a library built without unwind tables);
# `check-static.sh --glibc-floor FILE X.Y` runs only the glibc floor check;
# `check-static.sh --options-owner ROOT` runs only the options check on the tree at ROOT.
set -u

# unwind_covered <library>: every exported function (nm -D types T, W, i) lies inside an FDE
# range of .eh_frame (readelf -wf); names the uncovered ones on stderr and returns 1 if any.
unwind_covered() {
    [ -f "$1" ] || { echo "check-static: $1: no such library" >&2; return 1; }
    # Hex to decimal in the shell (mawk has no strtonum); addresses are far below 2^53.
    # Only .eh_frame counts: with -g the compiler also writes .debug_frame, which the runtime
    # unwinder (C++ exceptions, pthread_cancel's forced unwind) never reads.
    { readelf -wf "$1" 2>/dev/null | awk '/^Contents of the /{eh = ($4 == ".eh_frame")} eh' |
        sed -n 's/.* FDE .*pc=\([0-9a-f]*\)\.\.\([0-9a-f]*\).*/\1 \2/p' |
        while read -r lo hi; do echo "R $((0x$lo)) $((0x$hi))"; done
      nm -D --defined-only "$1" | awk '$2 == "T" || $2 == "W" || $2 == "i" {print $1, $3}' |
        while read -r addr name; do echo "F $((0x$addr)) $name"; done
    } | awk -v lib="$1" '
        $1 == "R" { lo[++n] = $2 + 0; hi[n] = $3 + 0; next }
        { f[++m] = $2 + 0; nm[m] = $3 }
        END {
            bad = 0
            for (i = 1; i <= m; i++) {
                ok = 0
                for (j = 1; j <= n && !ok; j++) ok = (f[i] >= lo[j] && f[i] < hi[j])
                if (!ok) { printf "check-static: %s: %s has no unwind info (no FDE)\n", lib, nm[i] > "/dev/stderr"; bad = 1 }
            }
            if (m == 0) { printf "check-static: %s exports no function\n", lib > "/dev/stderr"; bad = 1 }
            exit bad
        }'
}

# glibc_floor <file> <X.Y>: every GLIBC_ version the file needs is at most X.Y; names each symbol
# that needs a newer one on stderr and returns 1 if any.
glibc_floor() {
    [ -f "$1" ] || { echo "check-static: $1: no such file" >&2; return 1; }
    objdump -T "$1" | awk -v file="$1" -v floor="$2" '
        function newer(v,    a, b, i) {
            split(v, a, "."); split(floor, b, ".")
            for (i = 1; i <= 3; i++) if ((a[i] + 0) != (b[i] + 0)) return (a[i] + 0) > (b[i] + 0)
            return 0
        }
        /\*UND\*/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^\(?GLIBC_[0-9.]+\)?$/) {
                v = $i; gsub(/[()]/, "", v); sub(/^GLIBC_/, "", v)
                if (newer(v)) { printf "check-static: %s: %s needs GLIBC_%s, newer than the floor %s\n", file, $NF, v, floor > "/dev/stderr"; bad = 1 }
            }
        }
        END { exit bad }'
}

# options_owner: the detector's options have one writer. Only the options module (base/tl_options*)
# and the start-up path (interpose/tl_ctx.c) may fill a struct tl_options, read TASKLEAK_OPTIONS
# or hold a writable one; every other module receives a const pointer or plain values, and none
# reads options through the context (tl_ctx.opts). The suppressions travel the same way: loaded by
# the start-up path only and passed to the report build, never read through the context
# (tl_ctx.supp).
options_owner() {
    [ -d "${1:-.}/preload" ] || { echo "check-static: ${1:-.}: no preload/ folder" >&2; return 1; }
    hits=$(cd "${1:-.}" && grep -rnE \
        'tl_options_(defaults|parse|resolve_paths) *\(|TASKLEAK_OPTIONS"|tl_ctx(\.|->)(opts?|supp)\b|tl_supp_load *\(|struct tl_options [*a-z_]' \
        preload common --include='*.c' --include='*.h' 2>/dev/null |
        grep -vE '^preload/base/tl_options[a-z_]*\.(c|h|inc):|^preload/interpose/tl_ctx\.c:|^common/tl_supp\.[ch]:[0-9]+:.*tl_supp_load *\(' |
        grep -v 'const struct tl_options [*a-z_]')
    [ -z "$hits" ] && return 0
    echo "check-static: options and suppressions are loaded by preload/interpose/tl_ctx.c only and handed to modules; these lines read or write them elsewhere:" >&2
    printf '%s\n' "$hits" >&2
    return 1
}
if [ "${1:-}" = "--glibc-floor" ]; then
    glibc_floor "$2" "$3"
    exit $?
fi

if [ "${1:-}" = "--options-owner" ]; then
    options_owner "$2"
    exit $?
fi

if [ "${1:-}" = "--unwind" ]; then
    unwind_covered "$2"
    exit $?
fi

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
    nm -D --defined-only "$1" | awk '$2 ~ /^[TWDBVRi]$/ {print $3}' | LC_ALL=C sort -u > "$build/.exports.got"
    LC_ALL=C sort -u "$2" > "$build/.exports.want"
    # The condition-variable wrappers carry glibc's x86-64 versions; elsewhere they are plain.
    if [ "$(uname -m)" != x86_64 ]; then
        for f in "$build/.exports.got" "$build/.exports.want"; do
            sed 's/@.*//' "$f" | LC_ALL=C sort -u > "$f.tmp" && mv "$f.tmp" "$f"
        done
    fi
    if ! cmp -s "$build/.exports.got" "$build/.exports.want"; then
        echo "check-static: exported symbols of $1 differ from $2 (< exported, > listed):" >&2
        diff "$build/.exports.got" "$build/.exports.want" | grep '^[<>]' >&2
        fail=1
    fi
    rm -f "$build/.exports.got" "$build/.exports.want"
}

# self_contained: the repository stands alone. No tracked file may cite a reference page that is
# not in it (the in-tree ones are docs/ and the man pages) or hold an absolute path of a
# development machine. Runs only in a git checkout (a release tarball has nothing to compare).
self_contained() {
    command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1 || return 0
    hits=$(git grep -n -I -E \
        'DESIGN\.md|DESIGN sections? [0-9]|STYLE\.md|STYLE[ ]item|RELIABILITY|\.\./shared|/work/(main|shared|wt)' \
        -- . ':!scripts/check-static.sh' 2>/dev/null)
    [ -z "$hits" ] && return 0
    echo "check-static: these lines cite documents outside the repository or a development machine's path:" >&2
    printf '%s\n' "$hits" >&2
    return 1
}

self_contained || fail=1

# layers: the include graph of the detector's layer folders.
python3 scripts/include-graph.py || fail=1

options_owner . || fail=1

# short_files: no production source over 600 lines (tests, benchmarks and fuzzers are not
# production code).
short_files() {
    long=$(find runtime common preload report scripts -name '*.[ch]' -type f -exec wc -l {} + |
        awk '$2 != "total" && $1 > 600 {print "  " $2 " (" $1 " lines)"}')
    [ -z "$long" ] && return 0
    echo "check-static: production files over 600 lines (split them at a function boundary):" >&2
    printf '%s\n' "$long" >&2
    return 1
}
short_files || fail=1

# source_tour: README.md's "Source tour" section (up to the next "## " heading) and the tree agree:
# every folder it names in backquotes (`preload/record/`) exists, and it names every layer folder
# (common/ and each folder under preload/).
source_tour() {
    tour=$(awk '/^## Source tour/ {on = 1; next} /^## / {on = 0} on' README.md)
    [ -n "$tour" ] || { echo "check-static: README.md has no \"## Source tour\" section" >&2; return 1; }
    rc=0
    for d in $(printf '%s\n' "$tour" | grep -o '`[a-z][a-z_/]*/`' | tr -d '`' | sort -u); do
        [ -d "$d" ] || { echo "check-static: README.md's source tour names $d, which does not exist" >&2; rc=1; }
    done
    for d in common/ preload/*/; do
        [ -d "$d" ] || continue
        printf '%s\n' "$tour" | grep -qF "\`$d\`" ||
            { echo "check-static: layer folder $d is not in README.md's source tour" >&2; rc=1; }
    done
    return $rc
}
source_tour || fail=1

exports "$build/lib/libtaskleak.so" preload/exports.txt
exports "$build/lib/libgor.so" runtime/exports.txt

if [ -f "$build/lib/libtaskleak.so" ]; then
    unwind_covered "$build/lib/libtaskleak.so" || fail=1
fi

# The floors taskleak(7) documents (LIMITATIONS, "Older glibc").
glibc_floor "$build/lib/libtaskleak.so" 2.34 || fail=1
glibc_floor "$build/lib/libgor.so" 2.35 || fail=1
glibc_floor "$build/bin/taskleak-report" 2.34 || fail=1

[ "$fail" = 0 ] && echo "check-static: man pages lint clean; no citation of a document outside the repository; layers hold (no upward include, no include cycle); options and suppressions have one writer; no production file over 600 lines; the source tour matches the folders; exported symbols match their allow-lists; every wrapper has unwind info; glibc floors hold"
exit "$fail"
