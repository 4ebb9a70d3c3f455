#!/bin/sh
# `make lint`: the include graph of the detector's layers (scripts/include-graph.py), then
# cppcheck and clang-tidy over the C sources; suppressions are justified inline.
# $1: the directory of the generated protobuf-c code (profile.pb-c.h) the report tool includes.
set -u
layers="preload/base preload/record preload/analysis preload/output preload/interpose"
srcs=$(ls runtime/*.c common/*.c preload/*.c report/*.c attach/*.c 2>/dev/null)
inc="-Iruntime -Icommon -Ipreload -Ireport -Iattach -D_GNU_SOURCE"
for d in $layers; do
    srcs="$srcs $(ls $d/*.c 2>/dev/null)"
    inc="$inc -I$d"
done
# clang-tidy reads the generated header; cppcheck, which skips system headers, would stop at its
# protobuf-c version check, so it does without (a missing include is no error to it).
gen="-I${1:-build/gen/report/pprof}"
rc=0
python3 scripts/include-graph.py || rc=1
# cppcheck does not read the system headers, so glibc's ElfW() (link.h) is an unknown macro to it,
# fatal where it appears in a declaration (a parameter of type ElfW(Addr)); this is x86-64 only.
defs=$(mktemp) || exit 1
trap 'rm -f "$defs"' EXIT
echo '#define ElfW(type) Elf64_##type' >"$defs"
# legacyUninitvar in ipose_signal.c: cppcheck misparses the declarator of a local pointer to a
# function returning a function pointer (signal's own type) and calls the initialized `real`
# uninitialized; the file is not ours to annotate inline, so the suppression is scoped here.
# nullPointerRedundantCheck/ctunullpointer in runtime/chan.c: the c == NULL branch calls
# block_forever(), declared _Noreturn, which cppcheck ignores in C, so it follows the nil channel on.
# autoVariables in runtime/switch.c and runtime/sync.c: by design a parked context saves the address
# of its own stack ucontext / waiter, valid exactly while it is blocked in that frame.
cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
    --suppress=missingIncludeSystem --suppress=legacyUninitvar:preload/interpose/ipose_signal.c \
    --suppress=nullPointerRedundantCheck:runtime/chan.c --suppress=ctunullpointer:runtime/chan.c \
    --suppress=autoVariables:runtime/switch.c --suppress=autoVariables:runtime/sync.c \
    --include="$defs" $inc $srcs || rc=1
for f in $srcs; do
    # Only diagnostic lines (path:line:col: warning|error:), not the quoted source lines under
    # them. -Wno-unknown-attributes: GCC-only attributes (noipa) are noise to clang (.clang-tidy).
    clang-tidy --quiet "$f" -- $inc $gen -Wno-unknown-attributes \
        $(pkg-config --cflags libdw jansson libunwind libprotobuf-c 2>/dev/null) \
        2>/dev/null | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error):' && rc=1
done
exit $rc
