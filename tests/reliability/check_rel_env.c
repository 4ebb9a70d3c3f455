/*
 * Reliability cases 1 and 37 (issue 9): the detector next to an allocator preload, and timed
 * waits across a wall-clock jump.
 *
 * Case 1. librelallocshim.so interposes malloc/calloc/realloc/free, takes a pthread mutex in each
 * (which reaches our pthread_mutex_lock wrapper) and counts. Real programs run with it before and
 * after libtaskleak.so in LD_PRELOAD: a threaded leaky program and its fixed twin, 32 threads
 * racing gor's first use, a gor program, and a gor plugin loaded RTLD_LOCAL, where the detector's
 * own dlsym lookups of gor's symbols miss and glibc allocates their error messages through the
 * shim. Each run must keep the program's output and status, write a complete exit report, and show
 * in the shim's counters that it was called and never re-entered. The shim can also simulate
 * glibc <= 2.33, whose dlsym callocs on a thread's first dl call.
 *
 * Case 37. librelclockshim.so moves CLOCK_REALTIME by hours while rel_clock's threads sit in
 * timed waits; a time namespace moves CLOCK_MONOTONIC and CLOCK_BOOTTIME by ten days. The waits
 * must end as they do without the detector, the watchdog must stay quiet (a positive control with
 * a lower threshold shows it would speak), and the durations in the reports must stay sane.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rel_test.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- running under a chain of preloads ---- */

struct chain {
    const char *shim;         /* a test preload (path), or NULL */
    bool detector;            /* libtaskleak.so in the chain */
    bool detector_first;      /* its place relative to the shim */
    const char *options;      /* TASKLEAK_OPTIONS without report= (with the detector) */
    const char *const *extra; /* more NAME=VALUE strings, NULL-terminated; may be NULL */
};

/* Moves the reports written into `mine` to the harness's directory, so th_report, th_count_reports
 * and th_run_free work as for a run the harness preloaded itself. */
static void adopt_reports(struct th_run *r, const char *mine)
{
    ck_assert_msg(rmdir(r->dir) == 0, "rmdir %s: %s", r->dir, strerror(errno));
    ck_assert_msg(rename(mine, r->dir) == 0, "rename %s: %s", mine, strerror(errno));
}

/* Runs PROG (a scenario name or a path) with ARGS under the chain; fails the test when it could
 * not start or timed out. */
static void run_chain(struct th_run *r, const char *prog, const char *const *args,
                      const struct chain *c, double timeout_s)
{
    char dir[] = "/tmp/rel-env.XXXXXX", preload[2200], opts[1200], list[1100] = "";
    const char *env[16];
    int n = 0;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *ours = c->detector ? th_path("lib/libtaskleak.so") : NULL;
    const char *first = c->detector_first ? ours : c->shim,
               *second = c->detector_first ? c->shim : ours;
    snprintf(list, sizeof list, "%s%s%s", first ? first : "", first && second ? ":" : "",
             second ? second : "");
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s", th_sanitizer_preload(),
             th_sanitizer_preload()[0] ? ":" : "", list);
    env[n++] = preload;
    if (c->detector) {
        snprintf(opts, sizeof opts, "TASKLEAK_OPTIONS=%s:report=%s", c->options, dir);
        env[n++] = opts;
    }
    for (const char *const *e = c->extra; e && *e && n < 14; e++)
        env[n++] = *e;
    env[n] = NULL;
    struct th_opts o = {
        .prog = prog, .argv = args, .no_preload = true, .env = env, .timeout_s = timeout_s};
    ck_assert_int_eq(th_run(&o, r), 0);
    adopt_reports(r, dir);
    ck_assert_msg(!r->timed_out, "%s timed out (hang); stderr:\n%.3000s", prog, r->err);
}

/* ---- case 1: an allocator preload ---- */

/* In SANITIZE=1 builds ASan leads LD_PRELOAD and owns malloc: a shim after it is never called, so
 * case 1 is built and run only without sanitizers. */
#if !TH_SANITIZE

struct shim_counts {
    unsigned long malloc, calloc, realloc, free, boot, sim, dlmsg;
    int maxdepth;
};

/* The shim's exit line; fails the test when it is missing (the shim never ran). */
static struct shim_counts shim_counts(const struct th_run *r)
{
    struct shim_counts s = {0};
    const char *p = strstr(r->err, "rel_alloc_shim: malloc=");
    ck_assert_msg(p != NULL, "the allocator shim did not report; stderr:\n%.3000s", r->err);
    int got =
        sscanf(p,
               "rel_alloc_shim: malloc=%lu calloc=%lu realloc=%lu free=%lu boot=%lu sim=%lu "
               "dlmsg=%lu maxdepth=%d",
               &s.malloc, &s.calloc, &s.realloc, &s.free, &s.boot, &s.sim, &s.dlmsg, &s.maxdepth);
    ck_assert_int_eq(got, 8);
    return s;
}

static const char *alloc_shim(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s", th_path("tests/reliability/librelallocshim.so"));
    return path;
}

/* One program of the matrix and what the detector must say about it. */
struct alloc_case {
    const char *name;            /* for messages */
    const char *options;         /* besides REL_OPTS */
    int status;                  /* with the detector */
    long leaked, threads, tasks; /* -1: not checked here */
    bool misses; /* the detector's own lookups of gor's symbols fail in this program */
};

static const struct alloc_case ALLOC_CASES[] = {
    {"rel_leak", "", 76, 2, 2, 0, false},
    {"rel_leak fixed", "", 0, 0, 2, 0, false},
    {"rel_lategor local", "", 0, 0, 32, 0, false},
    {"gor_fixed_three_deep", "", 0, 0, 3, 4, false},
    /* gor behind an RTLD_LOCAL plugin: the detector's own lookups of gor's symbols miss */
    {"rel_gorplug", "", 0, 0, 3, 9, true},
};
#define NALLOC ((int)(sizeof ALLOC_CASES / sizeof ALLOC_CASES[0]))

/* Program path and arguments of case i (static storage, one case at a time). */
static const char *alloc_prog(int i, const char *const **args)
{
    static char a0[1024], prog[1024];
    static const char *argv[3];
    argv[0] = argv[1] = argv[2] = NULL;
    switch (i) {
    case 0:
        snprintf(prog, sizeof prog, "%s", rel_prog("rel_leak"));
        break;
    case 1:
        snprintf(prog, sizeof prog, "%s", rel_prog("rel_leak"));
        argv[0] = "fixed";
        break;
    case 2:
        snprintf(prog, sizeof prog, "%s", rel_prog("rel_lategor"));
        snprintf(a0, sizeof a0, "%s", th_path("lib/libgor.so"));
        argv[0] = a0;
        argv[1] = "local";
        break;
    case 3:
        snprintf(prog, sizeof prog, "gor_fixed_three_deep");
        break;
    default:
        snprintf(prog, sizeof prog, "%s", rel_prog("rel_gorplug"));
        snprintf(a0, sizeof a0, "%s", th_path("tests/reliability/librelgorplugin.so"));
        argv[0] = a0;
        break;
    }
    *args = argv;
    return prog;
}

/* Runs case i without anything preloaded, then with the shim and the detector in the given
 * order (and extra environment), and checks output, status, report and the shim's counters. */
static struct shim_counts alloc_run(int i, bool detector_first, const char *const *extra)
{
    const struct alloc_case *k = &ALLOC_CASES[i];
    const char *const *args;
    const char *prog = alloc_prog(i, &args);
    char options[256];
    snprintf(options, sizeof options, "%s%s", REL_OPTS, k->options);
    struct chain bare = {.shim = NULL}, both = {alloc_shim(), true, detector_first, options, extra};
    struct th_run base, r;
    run_chain(&base, prog, args, &bare, 60);
    run_chain(&r, prog, args, &both, 60);
    ck_assert_msg(r.status == k->status, "%s (detector %s): status %d, want %d; stderr:\n%.3000s",
                  k->name, detector_first ? "first" : "second", r.status, k->status, r.err);
    ck_assert_msg(strcmp(base.out, r.out) == 0, "%s: stdout changed\n--- bare:\n%s--- chain:\n%s",
                  k->name, base.out, r.out);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "threads_created"), k->threads);
    if (k->tasks >= 0)
        ck_assert_int_eq(th_summary(rep, "tasks_created"), k->tasks);
    if (k->leaked >= 0)
        ck_assert_msg(th_summary(rep, "leaked") == k->leaked, "%s: %s", k->name, rel_units(rep));
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 0);
    json_decref(rep);
    struct shim_counts s = shim_counts(&r);
    ck_assert_msg(s.maxdepth == 1, "%s: the allocator was re-entered (depth %d)", k->name,
                  s.maxdepth);
    ck_assert(s.malloc + s.calloc > 0 && s.free > 0);
    if (k->misses) { /* failed lookups of ours, their messages allocated through the shim */
        struct chain shim_only = {alloc_shim(), false, false, NULL, extra};
        struct th_run alone;
        run_chain(&alone, prog, args, &shim_only, 60);
        ck_assert_msg(shim_counts(&alone).dlmsg == 0, "%s fails lookups itself", k->name);
        ck_assert_msg(s.dlmsg >= 1, "%s: no failed lookup seen", k->name);
        th_run_free(&alone);
    }
    th_run_free(&base);
    th_run_free(&r);
    return s;
}

START_TEST(an_allocator_preload_before_or_after_ours_changes_nothing_and_is_called)
{
    alloc_run(_i / 2, _i % 2 == 1, NULL);
}
END_TEST

/* glibc <= 2.33: the shim's own first dlsym callocs (served from its bootstrap buffer), and every
 * thread's first dl call allocates inside the call, the detector's included. */
START_TEST(the_glibc_233_calloc_inside_dlsym_is_served_and_the_detector_survives)
{
    static const char *const sim[] = {"REL_ALLOC_SHIM_GLIBC233=1", NULL};
    int which[] = {1, 4}; /* rel_leak fixed; the gor plugin whose lookups miss */
    struct shim_counts s = alloc_run(which[_i / 2], _i % 2 == 1, sim);
    ck_assert_msg(s.boot >= 1, "the bootstrap buffer was never used");
    ck_assert_msg(s.sim >= 1, "no simulated calloc inside a dl call");
}
END_TEST

/* A shim that binds to __libc_malloc makes no dl call of its own, so on glibc <= 2.33 the
 * detector's first dlsym is the thread's first dl call: glibc callocs inside it, the shim locks,
 * and our pthread_mutex_lock wrapper re-enters the first lookup before it stored its state. The
 * re-entered lookup must borrow glibc's own entries instead of recursing without bound. */
START_TEST(a_calloc_inside_the_detectors_first_dlsym_does_not_recurse)
{
    static const char *const sim[] = {"REL_ALLOC_SHIM_GLIBC233=1", "REL_ALLOC_SHIM_LIBC=1", NULL};
    alloc_run(1, _i == 1, sim);
}
END_TEST

/* With gor behind an RTLD_LOCAL plugin, dlsym(RTLD_DEFAULT) misses gor's introspection symbols:
 * the runtime is found through the object that defines it instead, so gor's own worker and monitor
 * threads are never reported as leaked and the plugin's 9 tasks are counted. */
START_TEST(gor_runtime_threads_behind_an_rtld_local_plugin_are_not_leaks)
{
    const char *const *args;
    const char *prog = alloc_prog(4, &args);
    struct th_run r;
    struct th_opts o = {.prog = prog, .argv = args, .options = REL_OPTS, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_str_eq(r.out, "plugin sum 28\n");
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.3000s", r.status, r.err);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    ck_assert_int_eq(th_summary(rep, "tasks_created"), 9);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

#endif /* !TH_SANITIZE */

/* ---- case 37: clock jumps ---- */

/* Watchdog on, durable waits in rel_clock (1.6 s) well under the threshold. */
#define CLOCK_OPTS "threshold=3s:interval=200ms:grace=200ms"
#define JUMP_S     7200

static const char *clock_shim(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s", th_path("tests/reliability/librelclockshim.so"));
    return path;
}

/* ISO-8601 "YYYY-MM-DDTHH:MM:SS.mmmZ" to seconds since the epoch (UTC). */
static long long iso_seconds(const char *s)
{
    struct tm tm = {0};
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                         &tm.tm_min, &tm.tm_sec) == 6,
                  "not a timestamp: %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static const char *process_time(json_t *rep, const char *field)
{
    return json_string_value(json_object_get(json_object_get(rep, "process"), field));
}

/* Every blocked unit of a report waits for a sane time: not negative, not hours. Returns how many
 * units were blocked. */
static int assert_sane_waits(json_t *rep, long max_ms)
{
    size_t i;
    json_t *u;
    int blocked = 0;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        json_t *w = json_object_get(u, "wait");
        if (!json_is_object(w))
            continue;
        long since = (long)json_integer_value(json_object_get(w, "since_ms"));
        ck_assert_msg(since >= 0 && since <= max_ms, "%s: since_ms %ld",
                      json_string_value(json_object_get(u, "id")), since);
        blocked++;
    }
    return blocked;
}

/* What rel_clock prints when every wait behaved: the same with and without any preload except
 * for the last line. */
static void expected_clock_output(char *buf, size_t n, bool jumped)
{
    snprintf(buf, n,
             "pthread_cond_timedwait rc=ETIMEDOUT waited-enough=yes\n"
             "sem_timedwait rc=ETIMEDOUT waited-enough=yes\n"
             "pthread_mutex_timedlock rc=ETIMEDOUT waited-enough=yes\n"
             "nanosleep rc=0 waited-enough=yes\n"
             "clock_nanosleep(REALTIME,ABSTIME) rc=0 waited-enough=yes\n"
             "clock_nanosleep(MONOTONIC,ABSTIME) rc=0 waited-enough=yes\n"
             "pthread_cond_wait rc=0 waited-enough=yes\n"
             "pthread_join rc=0 waited-enough=yes\n"
             "wall clock jumped: %s\n",
             jumped ? "yes" : "no");
}

/* The dump taken mid-wait and the exit report of a clean clock run. */
static void assert_clock_reports(struct th_run *r, long long jump_s)
{
    json_t *dump = th_report(r, "dump-1", r->pid);
    ck_assert_msg(dump != NULL, "no dump; stderr:\n%.3000s", r->err);
    int blocked = assert_sane_waits(dump, 10000);
    ck_assert_msg(blocked >= 5, "only %d units blocked at the dump: %s", blocked, rel_units(dump));
    json_decref(dump);
    json_t *rep = rel_exit_report(r);
    rel_assert_clean(rep);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 8);
    /* wall-clock stamps follow the wall clock (started before the jump, written after it) */
    long long moved = iso_seconds(process_time(rep, "written")) -
                      iso_seconds(process_time(rep, "started")) - jump_s;
    ck_assert_msg(moved > -60 && moved < 60, "started %s written %s, jump %lld",
                  process_time(rep, "started"), process_time(rep, "written"), jump_s);
    json_decref(rep);
    ck_assert_int_eq(th_count_reports(r, "watchdog"), 0);
    ck_assert_msg(!th_contains(r->err, "taskleak: watchdog"), "watchdog spoke:\n%.3000s", r->err);
}

START_TEST(timed_waits_across_a_wall_clock_jump_end_as_without_the_detector)
{
    long long jump = _i == 0 ? JUMP_S : -JUMP_S;
    char jump_env[64], want[1024];
    snprintf(jump_env, sizeof jump_env, "REL_CLOCK_JUMP_S=%lld", jump);
    const char *const extra[] = {jump_env, NULL};
    const char *const args[] = {"dump", NULL};
    struct chain shim_only = {clock_shim(), false, false, NULL, extra};
    struct chain both = {clock_shim(), true, false, CLOCK_OPTS, extra};
    struct th_run base, r;

    run_chain(&base, rel_prog("rel_clock"), args, &shim_only, 60);
    expected_clock_output(want, sizeof want, true);
    ck_assert_str_eq(base.out, want); /* the baseline itself: every wait as the calls promise */
    run_chain(&r, rel_prog("rel_clock"), args, &both, 60);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, base.out);
    ck_assert_msg(th_contains(r.err, "rel_clock_shim: jump="), "shim silent:\n%.2000s", r.err);
    assert_clock_reports(&r, jump);
    th_run_free(&base);
    th_run_free(&r);
}
END_TEST

/* The duration the watchdog's text gives a group with this reason ("[cond wait, 1s]"), in ms;
 * -1 when there is no such line. */
static long watchdog_text_ms(const char *err, const char *reason)
{
    char needle[64], unit[4] = "";
    long v = -1;
    snprintf(needle, sizeof needle, "[%s, ", reason);
    const char *p = strstr(err, needle);
    if (p == NULL || sscanf(p + strlen(needle), "%ld%3[a-z]", &v, unit) != 2)
        return -1;
    return strcmp(unit, "ms") == 0 ? v : strcmp(unit, "s") == 0 ? v * 1000 : 3600000L;
}

/* Positive control: the same run with the threshold under the durable waits does alarm, so the
 * quiet watchdog above means something; and the durations it prints are the real ones. */
START_TEST(the_watchdog_still_reports_a_durable_wait_longer_than_its_threshold_across_a_jump)
{
    const char *const extra[] = {"REL_CLOCK_JUMP_S=7200", NULL};
    struct chain both = {clock_shim(), true, false, "threshold=500ms:interval=200ms:grace=200ms",
                         extra};
    struct th_run r;
    run_chain(&r, rel_prog("rel_clock"), NULL, &both, 60);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_count_reports(&r, "watchdog") >= 1, "no alarm; stderr:\n%.3000s", r.err);
    ck_assert_msg(th_contains(r.err, "blocked longer than 500ms"), "stderr:\n%.3000s", r.err);
    long cond_ms = watchdog_text_ms(r.err, "cond wait"), join_ms = watchdog_text_ms(r.err, "join");
    ck_assert_msg(cond_ms >= 500 || join_ms >= 500, "neither durable wait alarmed:\n%.3000s",
                  r.err);
    ck_assert_msg(cond_ms < 10000 && join_ms < 10000, "durations %ld/%ld ms", cond_ms, join_ms);
    json_t *wd = th_report(&r, "watchdog", r.pid); /* rewritten once the blocks ended */
    ck_assert_ptr_nonnull(wd);
    assert_sane_waits(wd, 10000);
    json_decref(wd);
    th_run_free(&r);
}
END_TEST

/* Enters a new time namespace for the children of this (forked test) process, with CLOCK_MONOTONIC
 * and CLOCK_BOOTTIME ten days ahead. False when the kernel or the privileges do not allow it. */
static bool enter_time_namespace(void)
{
    if (unshare(CLONE_NEWTIME) != 0) {
        fprintf(stderr, "rel_env: no time namespace (%s); the offset case is skipped\n",
                strerror(errno));
        return false;
    }
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "timens_offsets: %s", strerror(errno));
    const char *offsets = "monotonic 864000 0\nboottime 864000 0\n";
    ck_assert_int_eq(write(fd, offsets, strlen(offsets)), (ssize_t)strlen(offsets));
    close(fd);
    char a[64] = "", b[64] = "";
    ck_assert(readlink("/proc/self/ns/time", a, sizeof a - 1) > 0);
    ck_assert(readlink("/proc/self/ns/time_for_children", b, sizeof b - 1) > 0);
    ck_assert_msg(strcmp(a, b) != 0, "children stay in %s", a);
    return true;
}

START_TEST(a_monotonic_clock_ten_days_ahead_in_a_time_namespace_changes_nothing)
{
    if (!enter_time_namespace())
        return;
    const char *const args[] = {"dump", NULL};
    char want[1024];
    struct th_run r;
    struct th_opts o = {
        .prog = rel_prog("rel_clock"), .argv = args, .options = CLOCK_OPTS, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "timed out");
    ck_assert_int_eq(r.status, 0);
    expected_clock_output(want, sizeof want, false);
    ck_assert_str_eq(r.out, want);
    assert_clock_reports(&r, 0);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_env_suite(void)
{
    Suite *s = suite_create("rel_env");
    TCase *alloc = tcase_create("allocator preload");
    tcase_set_timeout(alloc, 180);
#if !TH_SANITIZE
    tcase_add_loop_test(alloc,
                        an_allocator_preload_before_or_after_ours_changes_nothing_and_is_called, 0,
                        2 * NALLOC);
    tcase_add_loop_test(
        alloc, the_glibc_233_calloc_inside_dlsym_is_served_and_the_detector_survives, 0, 4);
    tcase_add_loop_test(alloc, a_calloc_inside_the_detectors_first_dlsym_does_not_recurse, 0, 2);
    tcase_add_test(alloc, gor_runtime_threads_behind_an_rtld_local_plugin_are_not_leaks);
#endif
    suite_add_tcase(s, alloc);
    TCase *clock = tcase_create("clock jumps");
    tcase_set_timeout(clock, 180);
    tcase_add_loop_test(clock, timed_waits_across_a_wall_clock_jump_end_as_without_the_detector, 0,
                        2);
    tcase_add_test(
        clock, the_watchdog_still_reports_a_durable_wait_longer_than_its_threshold_across_a_jump);
    tcase_add_test(clock, a_monotonic_clock_ten_days_ahead_in_a_time_namespace_changes_nothing);
    suite_add_tcase(s, clock);
    return s;
}
