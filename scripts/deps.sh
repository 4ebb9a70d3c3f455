#!/bin/sh
# The dependency step of `make check`, `make demo` and `make bench`: probe every build dependency;
# when something is missing and we are root with apt-get, install it (one `apt-get update`, then a
# non-interactive install); otherwise stop and print the exact apt-get line to run.
set -u

PKGS="libunwind-dev uthash-dev check libdw-dev libelf-dev libjansson-dev pkg-config libprotobuf-c-dev protobuf-c-compiler zlib1g-dev golang-go"
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
# The report tool's pprof output: protoc-c compiles its profile.proto, libprotobuf-c packs it,
# zlib gzips it; its test reads the profile back with go tool pprof.
have_pc libprotobuf-c || missing="$missing libprotobuf-c-dev"
command -v protoc-c >/dev/null 2>&1 || missing="$missing protobuf-c-compiler"
have_pc zlib || missing="$missing zlib1g-dev"
command -v go >/dev/null 2>&1 || missing="$missing golang-go"
# Optional tools the tests use: mandoc lints the man pages.
command -v mandoc >/dev/null 2>&1 || missing="$missing mandoc"
# promtool (package prometheus) checks the metrics= files the services tests write.
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
# taskleak attach's tests start a program under strace (an attach must name the tracer holding
# it); its bench row compares the stop with gdb and eu-stack (elfutils).
command -v strace >/dev/null 2>&1 || missing="$missing strace"
command -v gdb >/dev/null 2>&1 || missing="$missing gdb"
command -v eu-stack >/dev/null 2>&1 || missing="$missing elfutils"
# glibc's debug symbols: an attach names the blocking call of a thread whose libc frames are
# internal functions (sem_wait's slow path) from them, and shows libc's file:line.
dpkg -s libc6-dbg >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1 || missing="$missing libc6-dbg"
# python3 (standard library only) runs the include-graph check (scripts/include-graph.py).
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
# The packaging and CTest integration tests (tests/pkg/) build the Debian packages, lint them and
# drive an example project with cmake and ctest.
command -v dpkg-buildpackage >/dev/null 2>&1 || missing="$missing dpkg-dev"
command -v dh >/dev/null 2>&1 || missing="$missing debhelper"
command -v fakeroot >/dev/null 2>&1 || missing="$missing fakeroot"
command -v lintian >/dev/null 2>&1 || missing="$missing lintian"
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
# The CI examples' test parses their YAML.
python3 -c 'import yaml' >/dev/null 2>&1 || missing="$missing python3-yaml"
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
