/*
 * Hostile hosts (docs/hostile-hosts.md), processes and loading: many short-lived children, a
 * program that sigwaits for our signal, RTLD_DEEPBIND and $ORIGIN plugins, the gor runtime
 * dlopened late, a plugin whose constructor creates threads, and gor linked statically.
 * Where the detector must be invisible the run is compared byte for byte with a run without it;
 * where it must see something the JSON report is checked.
 */
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_test.h"

/* ---- cases 25, 28, 53 ---- */

START_TEST(two_hundred_short_lived_children_each_write_one_clean_report)
{
    const char *args[] = {"-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done", NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = args, .options = REL_OPTS, .timeout_s = 120};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert(!r.timed_out);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    /* the 200 children, plus the shell's own unless it leaves with _exit (dash does) */
    int reports = th_count_reports(&r, ".exit.json");
    ck_assert_msg(reports == 200 || reports == 201, "%d exit reports", reports);
    ck_assert_int_eq(th_count_reports(&r, NULL), reports); /* and nothing else */
    th_run_free(&r);
}
END_TEST

START_TEST(an_app_that_blocks_our_signal_and_sigwaits_for_it_gets_every_one)
{
    const char *args[] = {"sigwait", NULL};
    char *out = rel_same_as_baseline("rel_misc", args, 30);
    ck_assert_str_eq(out, "sigwait got 3\n");
    free(out);
}
END_TEST

START_TEST(a_deepbind_plugin_runs_and_its_threads_are_recorded_or_warned_about)
{
    char plugin[1024];
    snprintf(plugin, sizeof plugin, "%s", th_path("tests/reliability/librelplugin.so"));
    const char *args[] = {"deepbind", plugin, NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "plugin returned 1\n");
    json_t *rep = rel_exit_report(&r);
    ck_assert_msg(th_summary(rep, "threads_created") == 1 || th_contains(r.err, "DEEPBIND"),
                  "the plugin's thread was neither recorded nor warned about; stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "RTLD_DEEPBIND") && th_contains(r.err, plugin),
                  "the warning does not name the plugin; stderr:\n%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* The dlopen interposer jumps to glibc's, so glibc still sees the program as the caller: a
 * plugin found only through the program's $ORIGIN-relative DT_RUNPATH loads, its thread is
 * recorded, and a load without RTLD_DEEPBIND warns about nothing. */
START_TEST(a_plugin_found_through_the_callers_origin_runpath_loads_through_the_wrapper)
{
    struct th_run r;
    rel_run(&r, "rel_origin", NULL, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stdout:\n%s", r.status, r.out);
    ck_assert_str_eq(r.out, "origin plugin returned 1\n");
    ck_assert_msg(!th_contains(r.err, "DEEPBIND"), "a plain dlopen warned:\n%s", r.err);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- case 3: the gor runtime dlopened after start, first channel calls racing ---- */

START_TEST(a_late_dlopened_gor_runtime_takes_32_simultaneous_first_channel_calls)
{
    static const char *const MODES[] = {"global", "local"}; /* RTLD_GLOBAL, RTLD_LOCAL */
    char gor[1024];
    snprintf(gor, sizeof gor, "%s", th_path("lib/libgor.so"));
    const char *args[] = {gor, MODES[_i], NULL};
    struct th_run r;
    json_t *rep =
        rel_run_clean(&r, "rel_lategor", args, NULL, 60, "threads 32 sum 496 own-ok 32\n");
    ck_assert_int_ge(th_summary(rep, "threads_created"), 32);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- case 39 ---- */

START_TEST(loading_a_plugin_whose_constructor_creates_threads_races_stack_capture_without_deadlock)
{
    char plugin[1024];
    snprintf(plugin, sizeof plugin, "%s", th_path("tests/reliability/librelctor.so"));
    const char *args[] = {"load_race", plugin, NULL};
    struct th_run r;
    json_t *rep = rel_run_clean(&r, "rel_misc", args, NULL, 90, "loads 2000, creators ran 1\n");
    ck_assert_int_ge(th_summary(rep, "threads_created"), 2000 + 2);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- gor linked statically: what the detector cannot see, and the documented way out ---- */

START_TEST(
    gor_linked_statically_shows_its_runtime_threads_and_the_documented_suppression_hides_them)
{
    /* The program does not export gor's introspection interface, so its tasks are not tracked and
     * gor's worker and monitor threads look like the program's own (taskleak(7), LIMITATIONS). */
    const char *none[] = {NULL};
    struct th_run r;
    rel_run(&r, "rel_gor_static", none, REL_OPTS, true, 60);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%.2000s", r.status, r.err);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "tasks_created"), 0);
    ck_assert_int_ge(th_summary(rep, "leaked"), 2);
    if (!TH_SANITIZE) /* ASan's interceptor starts every thread through its own routine */
        ck_assert_ptr_nonnull(th_unit_by_start(rep, "thread", "gor_worker_main"));
    json_decref(rep);
    th_run_free(&r);
    /* thread:gor-* matches them by the names gor gives its threads; the program is correct */
    char supp[] = "/tmp/rel-gor-supp-XXXXXX", opts[256];
    int fd = mkstemp(supp);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "thread:gor-*\n", 13), 13);
    close(fd);
    snprintf(opts, sizeof opts, "%s:suppressions=%s", REL_OPTS, supp);
    rel_run(&r, "rel_gor_static", none, opts, true, 60);
    unlink(supp);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.2000s", r.status, r.err);
    rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_load_suite(void)
{
    Suite *s = suite_create("rel_load");
    TCase *hosts = tcase_create("hosts");
    tcase_set_timeout(hosts, 150);
    tcase_add_loop_test(
        hosts, a_late_dlopened_gor_runtime_takes_32_simultaneous_first_channel_calls, 0, 2);
    tcase_add_test(
        hosts,
        loading_a_plugin_whose_constructor_creates_threads_races_stack_capture_without_deadlock);
    tcase_add_test(hosts, two_hundred_short_lived_children_each_write_one_clean_report);
    tcase_add_test(hosts, an_app_that_blocks_our_signal_and_sigwaits_for_it_gets_every_one);
    /* Case 53: the dlopen interposer warns about RTLD_DEEPBIND plugins (ASan refuses
     * RTLD_DEEPBIND outright). */
    if (!TH_SANITIZE)
        tcase_add_test(hosts, a_deepbind_plugin_runs_and_its_threads_are_recorded_or_warned_about);
    /* ASan's own dlopen interceptor calls (not jumps to) glibc's, so under SANITIZE even a
     * program without the detector cannot load through its $ORIGIN run path. */
    if (!TH_SANITIZE)
        tcase_add_test(hosts,
                       a_plugin_found_through_the_callers_origin_runpath_loads_through_the_wrapper);
    tcase_add_test(
        hosts,
        gor_linked_statically_shows_its_runtime_threads_and_the_documented_suppression_hides_them);
    suite_add_tcase(s, hosts);
    return s;
}
