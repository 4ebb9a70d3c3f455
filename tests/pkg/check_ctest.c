/*
 * The CTest integration (cmake/TaskleakConfig.cmake) on its example project (examples/ctest):
 * configured against this checkout's cmake/ directory and this build's detector, built, and run
 * with ctest. The leaky test must fail and its fixed twin pass, each leaving its report in its
 * own directory; with TASKLEAK_ENABLED=OFF (the same tests without the detector) both pass, so
 * the failure is the detector's verdict and not the test's own. cmake comes from the dependency
 * step (scripts/deps.sh).
 */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pkg_sh.h"

static char work[64];

static void make_work(void)
{
    strcpy(work, "/tmp/tl-ctest.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(work));
    ck_assert_msg(pkg_sh(NULL, "command -v cmake && command -v ctest") == 0,
                  "cmake is missing (make deps installs it: apt-get install cmake)");
}

/* Configures (with extra -D settings) and builds the example; fails the test on error. */
static void configure_and_build(const char *defs)
{
    char *out = NULL;
    int rc = pkg_sh(&out,
                    "cmake -S %s/examples/ctest -B %s/b -DTaskleak_DIR=%s/cmake %s 2>&1 && "
                    "cmake --build %s/b 2>&1",
                    TH_SRC_DIR, work, TH_SRC_DIR, defs, work);
    ck_assert_msg(rc == 0, "cmake failed (%d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "Found Taskleak: ") != NULL, "cmake output:\n%s", out);
    free(out);
}

/* Runs ctest on the example with this build's detector; returns its status, output in *out. */
static int run_ctest(char **out, const char *args)
{
    return pkg_sh(out,
                  "cd / && env -u TASKLEAK_OPTIONS TASKLEAK_BUILD_DIR=%s "
                  "ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD='%s' "
                  "ctest --test-dir %s/b --output-on-failure %s 2>&1",
                  TH_BUILD_DIR, th_sanitizer_preload(), work, args);
}

/* The one exit report in the example's report directory of a test, parsed. */
static json_t *exit_report(const char *test)
{
    char pattern[256];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/b/taskleak-reports/%s/taskleak.*.exit.json", work, test);
    ck_assert_msg(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1,
                  "expected one exit report matching %s", pattern);
    json_t *rep = json_load_file(g.gl_pathv[0], 0, NULL);
    ck_assert_msg(rep != NULL, "unreadable report %s", g.gl_pathv[0]);
    globfree(&g);
    return rep;
}

static void remove_work(void)
{
    (void)pkg_sh(NULL, "rm -rf %s", work);
}

START_TEST(the_leaky_test_fails_and_its_fixed_twin_passes)
{
    make_work();
    configure_and_build("");
    char *out = NULL, line[512];
    int rc = run_ctest(&out, "");
    ck_assert_msg(rc != 0, "ctest passed although queue_leaky leaks:\n%s", out);
    ck_assert_msg(pkg_line_with(out, "Test #1: queue_leaky", line, sizeof line) &&
                      strstr(line, "***Failed"),
                  "queue_leaky did not fail:\n%s", out);
    ck_assert_msg(pkg_line_with(out, "Test #2: queue_fixed", line, sizeof line) &&
                      strstr(line, "Passed"),
                  "queue_fixed did not pass:\n%s", out);
    ck_assert_msg(strstr(out, "50% tests passed, 1 tests failed out of 2"), "ctest:\n%s", out);
    /* The failure's output is the detector's: the leaked worker, named by its start function. */
    ck_assert_msg(strstr(out, "leaked") && strstr(out, "worker_main"), "ctest:\n%s", out);
    free(out);

    json_t *leaky = exit_report("queue_leaky"), *fixed = exit_report("queue_fixed");
    ck_assert_int_eq(th_summary(leaky, "leaked"), 1);
    ck_assert_ptr_nonnull(th_unit_blocked_in(leaky, "worker_main"));
    ck_assert_int_eq(th_summary(fixed, "leaked"), 0);
    json_decref(leaky);
    json_decref(fixed);

    /* Both tests carry the label: ctest -L taskleak selects them. */
    rc = pkg_sh(&out, "ctest --test-dir %s/b -N -L taskleak 2>&1", work);
    ck_assert_msg(rc == 0 && strstr(out, "Total Tests: 2"), "ctest -N -L taskleak:\n%s", out);
    free(out);
    remove_work();
}
END_TEST

START_TEST(without_the_detector_both_tests_pass)
{
    make_work();
    configure_and_build("-DTASKLEAK_ENABLED=OFF");
    char *out = NULL;
    int rc = run_ctest(&out, "");
    ck_assert_msg(rc == 0 && strstr(out, "100% tests passed, 0 tests failed out of 2"),
                  "ctest without the detector (%d):\n%s", rc, out);
    free(out);
    remove_work();
}
END_TEST

Suite *make_ctest_suite(void)
{
    Suite *s = suite_create("ctest");
    TCase *tc = tcase_create("example");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, the_leaky_test_fails_and_its_fixed_twin_passes);
    tcase_add_test(tc, without_the_detector_both_tests_pass);
    suite_add_tcase(s, tc);
    return s;
}
