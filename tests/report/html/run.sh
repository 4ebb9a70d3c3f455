#!/bin/sh
# The HTML report in a real browser: renders the fixtures with `taskleak-report --format html`,
# with a service's watchdog report that has a growing site (growing.json), opens the page in
# headless Chromium (Debian's chromium, driven by playwright-core), checks that the groups render,
# that the verdict and reason filters work, that the growing group shows its growth and that the
# page asks for nothing over the network, and saves a screenshot to $BUILD/report-html.png.
#
# Installs what is missing: chromium with apt-get (as root), playwright-core with npm into
# $BUILD/node. When the browser cannot be had, it fails loudly; SKIP_BROWSER=1 skips on purpose.
# Environment: TLR_BUILD_DIR (the build directory; set by tests/report/report.mk), SKIP_BROWSER.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${TLR_BUILD_DIR:-$src/build}
say() { echo "report-html: $*"; }
fail() { echo "report-html: FAILED: $*" >&2; exit 1; }

if [ "${SKIP_BROWSER:-0}" = 1 ]; then
    say "skipped (SKIP_BROWSER=1): the HTML page was not checked in a browser"
    exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing chromium with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }
    fi
    [ -x /usr/bin/chromium ] ||
        fail "/usr/bin/chromium is missing and could not be installed (as root: apt-get install chromium); set SKIP_BROWSER=1 to skip this test"
fi

command -v node >/dev/null 2>&1 ||
    fail "node is missing (apt-get install nodejs npm); set SKIP_BROWSER=1 to skip this test"
if [ ! -f "$build/node/node_modules/playwright-core/package.json" ]; then
    say "installing playwright-core with npm into $build/node"
    mkdir -p "$build/node"
    npm install --prefix "$build/node" --no-audit --no-fund --silent playwright-core >/dev/null 2>&1 ||
        fail "npm install playwright-core failed; set SKIP_BROWSER=1 to skip this test"
fi

tool="$build/bin/taskleak-report"
[ -x "$tool" ] || fail "$tool is not built"
page="$build/report-html.html"
"$tool" --no-symbolize --format html -o "$page" "$src/tests/report/fixtures" "$here/growing.json"
st=$?
[ "$st" -le 1 ] || fail "taskleak-report exited $st"
NODE_PATH="$build/node/node_modules" node "$here/check.js" "$page" "$build/report-html.png" ||
    fail "the page did not behave (see above)"
say "ok: groups render, filters work, growth shown, no network; screenshot in $build/report-html.png"
