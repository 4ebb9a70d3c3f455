/*
 * Leak proofs by reachability on real programs (tests/scenarios/thr_proof_*.c, gor_proof_chan.c).
 * Each proven scenario has a twin where something that can still run holds the object: the
 * proven one's units carry proof "unreachable" (and the summary and group count them, and the
 * text says so); the twin's never do. The watchdog proves the same while the program runs.
 * proof=0 turns proofs off. The same holds under the ASan
 * build (taskleak(7), LEAK PROOFS, says what the scan does differently there). gor's
 * tasks are proven too: its idle workers and its monitor keep running while the process exits,
 * and the scan judges them by gor's own counts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define OPTS         "grace=2s:threshold=0:lock_order=0"

static json_t *run_exit(struct th_run *r, const char *prog, const char *arg, const char *opts)
{
    const char *argv[] = {arg, NULL};
    struct th_opts o = {.prog = prog, .argv = arg ? argv : NULL, .options = opts};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s %s timed out", prog, arg ? arg : "");
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "%s wrote no exit report; stderr:\n%s", prog, r->err);
    return rep;
}

/* Units whose proof is "unreachable", and checks each such unit's verdict is a failing one. */
static int proven_units(json_t *rep)
{
    json_t *units = json_object_get(rep, "units"), *u;
    size_t i;
    int n = 0;
    json_array_foreach(units, i, u)
    {
        const char *proof = th_str(u, "proof");
        if (proof == NULL)
            continue;
        ck_assert_str_eq(proof, "unreachable");
        const char *v = th_str(u, "verdict");
        ck_assert(v != NULL && (!strcmp(v, "leaked") || !strcmp(v, "deadlocked")));
        n++;
    }
    return n;
}

START_TEST(threads_waiting_on_a_forgotten_heap_cond_are_proven)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "thr_proof_cond", NULL, OPTS);
    ck_assert_int_eq(th_summary(rep, "proven"), proven_units(rep));
    ck_assert_int_eq(proven_units(rep), 3);
    json_t *g = th_group(rep, "leaked", "cond wait");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "proven")), 3);
    ck_assert_msg(th_contains(r.err, "leaked (proven: nothing can reach condition variable 0x"),
                  "%s", r.err);
    /* the report tool reads the proof back: text headline and JSON group count */
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "%s %s/*.json; %s --format=json %s/*.json",
             th_path("bin/taskleak-report"), r.dir, th_path("bin/taskleak-report"), r.dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    pclose(f);
    ck_assert_msg(th_contains(out, "leaked (proven: nothing can reach what they wait on)"), "%s",
                  out);
    ck_assert_msg(th_contains(out, "\"proven\": 3"), "%s", out);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

static const char *const COND_TWINS[] = {"global", "running", "large_global"};

/* A stale copy of the pool's address in a freed large block (ASan keeps it in quarantine) does
 * not stand in the proof's way. */
START_TEST(a_stale_copy_in_a_freed_large_block_does_not_stop_the_proof)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "thr_proof_cond", "freed_large", OPTS);
    ck_assert_int_eq(proven_units(rep), 3);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_cond_twins_a_global_a_running_stack_or_a_large_block_are_not_proven)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "thr_proof_cond", COND_TWINS[_i], OPTS);
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_eq(th_summary(rep, "proven"), 0);
    ck_assert_int_ge(th_summary(rep, "leaked"), 3); /* still leaked by time */
    ck_assert(!th_contains(r.err, "proven:"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* Workers the watchdog proved leaked while the program ran (before the exit report): each in a
 * line of its own ("thread:N leaked (proven: ...)") or together in a watchdog report's group,
 * whose head then counts them. */
static int watchdog_proofs(const char *err)
{
    int n = 0;
    char head[512] = "";
    const char *stop = strstr(err, "taskleak: exit report:");
    for (const char *l = err; *l && (stop == NULL || l < stop);) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        int k = 0;
        if (strncmp(line, "taskleak: watchdog: ", 20) == 0)
            snprintf(head, sizeof head, "%s", line);
        if (th_contains(line, "leaked (proven: nothing can reach condition variable 0x")) {
            if (strncmp(line, "taskleak: thread:", 17) == 0 && th_contains(line, " it waits on)")) {
                n++;
            } else if (sscanf(line, "%d threads [cond wait", &k) == 1) {
                n += k;
                ck_assert_msg(th_contains(head, " proven leaked, in pid "), "%s", head);
            }
        }
        l += len + (end != NULL);
    }
    return n;
}

/* main sleeps 3 s after the pool started: the watchdog (threshold 300 ms) proves the forgotten
 * pool's workers while the program runs; the twin a global still holds, never. */
START_TEST(the_watchdog_proves_forgotten_waiters_while_the_program_runs)
{
    static const char *const modes[] = {"forgot", "global"};
    const char *argv[] = {modes[_i], "3", NULL};
    struct th_opts o = {.prog = "thr_proof_cond",
                        .argv = argv,
                        .options = "grace=2s:threshold=300ms:lock_order=0"};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "thr_proof_cond %s timed out", modes[_i]);
    int proven = watchdog_proofs(r.err);
    if (_i == 0)
        ck_assert_msg(proven >= 3, "%d proven while running; stderr:\n%s", proven, r.err);
    else
        ck_assert_msg(proven == 0, "%d proven while running; stderr:\n%s", proven, r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(two_threads_deadlocked_on_a_forgotten_pair_are_proven_together)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "thr_proof_abba", NULL, OPTS);
    ck_assert_int_eq(proven_units(rep), 2);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    json_decref(rep);
    th_run_free(&r);
    rep = run_exit(&r, "thr_proof_abba", "global", OPTS);
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(proof_0_proves_nothing)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "thr_proof_cond", NULL, OPTS ":proof=0");
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 3);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

static const char *const GOR_TWINS[] = {"global", "task_stack", "heap"};

START_TEST(gor_receivers_whose_channel_something_still_holds_are_not_proven)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "gor_proof_chan", GOR_TWINS[_i], OPTS);
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_ge(th_group_count(rep, "leaked", "chan receive"), 3);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* gor scenarios whose units must all be proven: mode, units, wait reason of their group(s). */
static const struct {
    const char *mode;
    int units;
    const char *reason, *object_word;
} GOR_PROVEN[] = {
    {"forgot", 3, "chan receive", "channel"},
    {"wg", 2, "WaitGroup wait", "WaitGroup"},
    {"abba", 2, "mutex lock", "mutex"},
};

/* A gor worker that has just run a waiter can sleep a moment between tasks, not yet idle, with a
 * stale copy of the waiter's object in its live frames: the scan then counts that word as a
 * reference, a missed proof (sound; never a false one). The scenario runs up to three times and
 * the first run that proves every unit is checked; a twin above is never proven in any run. */
START_TEST(gor_tasks_waiting_on_objects_only_they_hold_are_proven)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "gor_proof_chan", GOR_PROVEN[_i].mode, OPTS);
    for (int again = 0; again < 2 && proven_units(rep) != GOR_PROVEN[_i].units;
         again++) {
        json_decref(rep);
        th_run_free(&r);
        rep = run_exit(&r, "gor_proof_chan", GOR_PROVEN[_i].mode, OPTS);
    }
    ck_assert_int_eq(th_summary(rep, "proven"), proven_units(rep));
    ck_assert_int_eq(th_group_count(rep, "leaked", GOR_PROVEN[_i].reason), GOR_PROVEN[_i].units);
    ck_assert_int_eq(proven_units(rep), GOR_PROVEN[_i].units);
    char want[96];
    snprintf(want, sizeof want, "leaked (proven: nothing can reach %s 0x",
             GOR_PROVEN[_i].object_word);
    ck_assert_msg(th_contains(r.err, want), "%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(gor_tasks_deadlocked_on_a_pair_a_global_holds_are_not_proven)
{
    struct th_run r;
    json_t *rep = run_exit(&r, "gor_proof_chan", "abba_global", OPTS);
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_eq(th_group_count(rep, "leaked", "mutex lock"), 2);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* A real threaded program (Debian's xz, two worker threads): whatever time says at its exit,
 * nothing may be proven. */
START_TEST(xz_with_two_threads_is_never_falsely_proven)
{
    char path[] = "/tmp/tl_proof_xz.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static char buf[1 << 16];
    unsigned x = 12345;
    for (int k = 0; k < 64; k++) { /* 4 MiB of noise: both threads get blocks */
        for (size_t i = 0; i < sizeof buf; i++) {
            x = x * 1103515245 + 12345;
            buf[i] = (char)(x >> 16);
        }
        ck_assert_int_eq(write(fd, buf, sizeof buf), (int)sizeof buf);
    }
    close(fd);
    const char *argv[] = {"-T2", "-z", "-k", "-f", "-3", path, NULL};
    struct th_opts o = {.prog = "/usr/bin/xz", .argv = argv, .options = OPTS ":exitcode=0"};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out && r.status == 0, "xz: status %d, stderr:\n%s", r.status, r.err);
    json_t *rep = th_report(&r, "exit", r.pid);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(proven_units(rep), 0);
    ck_assert_int_eq(th_summary(rep, "proven"), 0);
    json_decref(rep);
    th_run_free(&r);
    char xzpath[64];
    snprintf(xzpath, sizeof xzpath, "%s.xz", path);
    unlink(xzpath);
    unlink(path);
}
END_TEST

Suite *make_scen_proof_suite(void)
{
    Suite *s = suite_create("scen_proof");
    TCase *tc = tcase_create("proof");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, threads_waiting_on_a_forgotten_heap_cond_are_proven);
    tcase_add_loop_test(tc, the_cond_twins_a_global_a_running_stack_or_a_large_block_are_not_proven, 0, 3);
    tcase_add_test(tc, a_stale_copy_in_a_freed_large_block_does_not_stop_the_proof);
    tcase_add_loop_test(tc, the_watchdog_proves_forgotten_waiters_while_the_program_runs, 0, 2);
    tcase_add_test(tc, two_threads_deadlocked_on_a_forgotten_pair_are_proven_together);
    tcase_add_test(tc, proof_0_proves_nothing);
    tcase_add_loop_test(tc, gor_receivers_whose_channel_something_still_holds_are_not_proven, 0, 3);
    tcase_add_loop_test(tc, gor_tasks_waiting_on_objects_only_they_hold_are_proven, 0, 3);
    tcase_add_test(tc, gor_tasks_deadlocked_on_a_pair_a_global_holds_are_not_proven);
    tcase_add_test(tc, xz_with_two_threads_is_never_falsely_proven);
    suite_add_tcase(s, tc);
    return s;
}
