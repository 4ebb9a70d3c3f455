#!/bin/sh
# The dependency step of `make check`, `make demo` and `make bench`: probe every build dependency;
# when something is missing and we are root with apt-get, install it (one `apt-get update`, then a
# non-interactive install); otherwise stop and print the exact apt-get line to run.
set -u

PKGS="libunwind-dev uthash-dev check libdw-dev libelf-dev libjansson-dev pkg-config"
missing=""

have_pc() { pkg-config --exists "$1" 2>/dev/null; }
have_hdr() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }

command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
have_pc libunwind || missing="$missing libunwind-dev"
have_hdr uthash.h || missing="$missing uthash-dev"
have_pc check || missing="$missing check"
have_pc libdw || missing="$missing libdw-dev"
have_hdr libelf.h || missing="$missing libelf-dev"
have_pc jansson || missing="$missing libjansson-dev"
# Optional tools the tests use: mandoc lints the man pages.
command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
# xz (its -T2 worker threads) is a real program the leak-proof tests run.
command -v xz >/dev/null 2>&1 || missing="$missing xz-utils"

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "deps: apt-get install failed; run: apt-get install$missing" >&2
        exit 1
    }
    exit 0
fi
echo "deps: missing build dependencies. Run as root:" >&2
echo "    apt-get install$missing" >&2
exit 1
