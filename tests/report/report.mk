# tests/report: the report tool's browser test. Its Check suites (check_tlr_*.c) join the
# shared runner by name; the fixtures they read are in tests/report/fixtures.
#
# tests/report/html/run.sh opens the HTML report in headless Chromium (SKIP_BROWSER=1 skips it
# on purpose); it finds the build through TLR_BUILD_DIR.
export TLR_BUILD_DIR := $(abspath $(BUILD))
CHECK_SCRIPTS += tests/report/html/run.sh
