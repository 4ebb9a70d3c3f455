#!/bin/sh
# `make lint`: cppcheck and clang-tidy over the C sources; suppressions are justified inline.
set -u
srcs=$(ls runtime/*.c preload/*.c report/*.c 2>/dev/null)
inc="-Iruntime -Ipreload -Ireport -D_GNU_SOURCE"
rc=0
cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
    --suppress=missingIncludeSystem $inc $srcs || rc=1
for f in $srcs; do
    clang-tidy --quiet "$f" -- $inc $(pkg-config --cflags libdw jansson libunwind 2>/dev/null) \
        2>/dev/null | grep -E 'warning:|error:' && rc=1
done
exit $rc
