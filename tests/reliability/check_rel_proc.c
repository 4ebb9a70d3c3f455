/*
 * Reliability cases 20-24 and 44-47: processes and files (progs/rel_fork.c, progs/rel_misc.c).
 *
 * fork while other threads churn the registry, a pre-forking server whose children each get
 * their own report, vfork+execve with a canary, posix_spawn with and without our environment,
 * exec chains that keep the pid, a planted symlink and FIFO at the report names (and, in a sticky
 * directory, a symlink, FIFO or forged file another user planted), fds 0-2 closed,
 * close_range over our fds, and no detector fd surviving exec.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rel_test.h"

/* The integer printed after `key` in text ("child 123 status 76": key "child "). */
static long after(const char *text, const char *key, int nth)
{
    const char *p = text;
    for (int i = 0; i <= nth; i++) {
        p = strstr(p, key);
        ck_assert_msg(p != NULL, "\"%s\" #%d not in:\n%s", key, nth, text);
        p += strlen(key);
    }
    return strtol(p, NULL, 10);
}

START_TEST(fork_while_other_threads_hold_detector_locks_lets_every_child_finish)
{
    const char *args[] = {"fork_busy", "40", NULL};
    struct th_run r;
    rel_run(&r, "rel_fork", args, REL_OPTS, true, 90);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "children ok 40/40\n");
    /* one exit report per process, none of them the parent's twice */
    ck_assert_int_eq(th_count_reports(&r, ".exit.json"), 41);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(each_child_of_a_forking_server_gets_its_own_report_and_gate)
{
    const char *args[] = {"fork_server", "3", NULL};
    struct th_run r;
    rel_run(&r, "rel_fork", args, REL_OPTS, true, 60);
    ck_assert_int_eq(r.status, 0);
    for (int i = 0; i < 3; i++) {
        int pid = (int)after(r.out, "child ", i);
        ck_assert_int_eq(after(r.out, " status ", i), 76);
        json_t *rep = th_report(&r, "exit", pid);
        ck_assert_msg(rep != NULL, "no report for child %d", pid);
        ck_assert_int_eq(th_group_count(rep, "leaked", "semaphore"), 1);
        ck_assert_int_eq(
            json_integer_value(json_object_get(json_object_get(rep, "process"), "pid")), pid);
        json_decref(rep);
    }
    json_t *parent = rel_exit_report(&r);
    rel_assert_clean(parent);
    json_decref(parent);
    th_run_free(&r);
}
END_TEST

START_TEST(vfork_and_execve_keep_the_parent_intact)
{
    const char *args[] = {"vfork", "10000", NULL};
    struct th_run r;
    rel_run(&r, "rel_fork", args, REL_OPTS, true, 240);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "vfork ok 10000/10000 canary intact, 100 with the detector\n");
    /* one exit report of the parent and one of each child that ran /bin/true with the detector */
    ck_assert_int_eq(th_count_reports(&r, ".exit.json"), 101);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(posix_spawn_propagates_the_detector_only_through_the_environment_it_is_given)
{
    const char *args[] = {"spawn", NULL};
    struct th_run r;
    rel_run(&r, "rel_fork", args, REL_OPTS, true, 60);
    ck_assert_int_eq(r.status, 0);
    int inherited = (int)after(r.out, "spawn inherited pid ", 0);
    int bare = (int)after(r.out, "spawn bare pid ", 0);
    /* the child that kept LD_PRELOAD ran the gate (76); the bare one ran without the detector */
    ck_assert_msg(after(r.out, " status ", 0) == 76 && after(r.out, " status ", 1) == 0, "out:\n%s",
                  r.out);
    json_t *rep = th_report(&r, "exit", inherited);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_decref(rep);
    char part[32];
    snprintf(part, sizeof part, ".%d.", bare);
    ck_assert_int_eq(th_count_reports(&r, part), 0);
    th_run_free(&r);
}
END_TEST

START_TEST(an_exec_chain_with_the_same_pid_overwrites_no_report)
{
    const char *args[] = {"exec_chain", "2", NULL};
    struct th_run r;
    rel_run(&r, "rel_fork", args, REL_OPTS, true, 60);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(after(r.out, "step 0 pid ", 0), r.pid);
    /* three images each wrote a check report, the last one also the exit report */
    ck_assert_msg(th_count_reports(&r, ".check") == 3, "%d check report(s) for 3 images",
                  th_count_reports(&r, ".check"));
    ck_assert_int_eq(th_count_reports(&r, ".exit.json"), 1);
    th_run_free(&r);
}
END_TEST

START_TEST(no_detector_fd_survives_exec)
{
    const char *args[] = {"exec_fds", NULL};
    struct th_run base, pre;
    rel_run(&base, "rel_fork", args, NULL, false, 30);
    rel_run(&pre, "rel_fork", args, REL_OPTS, true, 30);
    ck_assert_int_eq(pre.status, 0);
    ck_assert_msg(th_contains(pre.out, "fds:"), "out:\n%s", pre.out);
    ck_assert_msg(strcmp(base.out, pre.out) == 0, "fds after exec differ\nwithout: %swith:    %s",
                  base.out, pre.out);
    ck_assert_int_eq(th_count_reports(&pre, "dump-1"), 1);
    th_run_free(&base);
    th_run_free(&pre);
}
END_TEST

START_TEST(a_planted_symlink_and_fifo_at_the_report_names_are_replaced_not_followed)
{
    const char *args[] = {"plant", NULL};
    struct th_run r;
    char victim[512];
    struct stat st;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    snprintf(victim, sizeof victim, "%s/victim.txt", r.dir);
    FILE *f = fopen(victim, "r");
    char buf[64] = "";
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
    fclose(f);
    ck_assert_str_eq(buf, "precious\n");
    char name[512];
    snprintf(name, sizeof name, "%s/taskleak.%d.exit.json", r.dir, r.pid);
    ck_assert_int_eq(lstat(name, &st), 0);
    ck_assert_msg(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* Case 44 in a sticky, world-writable report directory: root (the "attacker") plants a symlink
 * to a victim file, a FIFO or a forged report at the exit report's name of the pid the program
 * will have; the program runs as nobody. The sticky bit forbids replacing another user's entry,
 * so the write fails, and must fail without touching the victim or the planted entry, without
 * blocking on the FIFO, and with the gate still failing the leaking program (status 76). */
START_TEST(a_planted_entry_in_a_sticky_report_dir_is_left_alone_and_the_gate_still_fails)
{
    if (getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
        fprintf(stderr, "skipped: needs root and setpriv to plant as another user\n");
        return;
    }
    static const char *const kinds[] = {"symlink", "fifo", "file"};
    /* nobody runs copies it can read wherever the checkout sits (rel_nobody_copies) */
    const char *progs[] = {"rel_leak", NULL};
    char copies[64], script[4096];
    rel_nobody_copies(copies, sizeof copies, progs);
    const char *asan = th_sanitizer_preload();
    snprintf(script, sizeof script,
             "dir=${TASKLEAK_OPTIONS##*report=}; name=$dir/taskleak.$$.exit.json; "
             "chmod 1777 \"$dir\" && echo precious > \"$dir/victim.txt\" && "
             "case $0 in symlink) ln -s \"$dir/victim.txt\" \"$name\" ;; "
             "fifo) mkfifo \"$name\" ;; file) echo forged > \"$name\" ;; esac && "
             "LD_PRELOAD='%s%s%s/libtaskleak.so' "
             "exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups %s/rel_leak",
             asan, asan[0] ? " " : "", copies, copies);
    for (int k = 0; k < 3; k++) {
        const char *args[] = {"-c", script, kinds[k], NULL};
        struct th_opts o = {
            .prog = "/bin/sh", .argv = args, .options = REL_OPTS, .timeout_s = 30};
        struct th_run r;
        ck_assert_int_eq(th_run(&o, &r), 0);
        ck_assert_msg(!r.timed_out, "[%s] timed out", kinds[k]);
        ck_assert_msg(r.status == 76, "[%s] status %d; stderr:\n%s", kinds[k], r.status, r.err);
        ck_assert_msg(th_contains(r.err, "cannot write report") &&
                          th_contains(r.err, "SUMMARY: taskleak: 2 leaked"),
                      "[%s] stderr:\n%s", kinds[k], r.err);
        char victim[512], name[512], buf[64] = "";
        snprintf(victim, sizeof victim, "%s/victim.txt", r.dir);
        snprintf(name, sizeof name, "%s/taskleak.%d.exit.json", r.dir, r.pid);
        FILE *f = fopen(victim, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
        fclose(f);
        ck_assert_str_eq(buf, "precious\n");
        struct stat st;
        ck_assert_int_eq(lstat(name, &st), 0);
        ck_assert_int_eq(st.st_uid, 0);
        ck_assert(k == 0 ? S_ISLNK(st.st_mode) : k == 1 ? S_ISFIFO(st.st_mode)
                                                        : S_ISREG(st.st_mode) && st.st_size == 7);
        ck_assert_int_eq(th_count_reports(&r, ".tmp."), 0); /* no temp file left behind */
        th_run_free(&r);
    }
    rel_nobody_copies_remove(copies);
}
END_TEST

START_TEST(with_fds_0_to_2_closed_the_report_never_lands_in_an_app_fd)
{
    char appfile[128];
    snprintf(appfile, sizeof appfile, "/tmp/rel_appfile.%d", (int)getpid());
    const char *args[] = {"closed_std", appfile, NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    FILE *f = fopen(appfile, "r");
    char buf[4096] = "";
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    unlink(appfile);
    buf[n] = 0;
    ck_assert_str_eq(buf, "app fd 0\n");
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_app_closing_every_fd_from_3_up_does_not_stop_the_exit_report)
{
    const char *args[] = {"close_range", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    ck_assert_str_eq(r.out, "closed 3..max\n");
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_proc_suite(void)
{
    Suite *s = suite_create("rel_proc");
    TCase *tc = tcase_create("processes and files");
    tcase_set_timeout(tc, 300); /* the vfork test runs 10 000 children */
    /* Under ASan the same program loses children without the detector too: GCC 12's sanitizer
     * runtime copies its own allocator locks held into a forked child. */
    if (!TH_SANITIZE)
        tcase_add_test(tc, fork_while_other_threads_hold_detector_locks_lets_every_child_finish);
    tcase_add_test(tc, each_child_of_a_forking_server_gets_its_own_report_and_gate);
    tcase_add_test(tc, vfork_and_execve_keep_the_parent_intact);
    tcase_add_test(tc,
                   posix_spawn_propagates_the_detector_only_through_the_environment_it_is_given);
    tcase_add_test(tc, an_exec_chain_with_the_same_pid_overwrites_no_report);
    tcase_add_test(tc, no_detector_fd_survives_exec);
    tcase_add_test(tc, a_planted_symlink_and_fifo_at_the_report_names_are_replaced_not_followed);
    tcase_add_test(tc, a_planted_entry_in_a_sticky_report_dir_is_left_alone_and_the_gate_still_fails);
    tcase_add_test(tc, with_fds_0_to_2_closed_the_report_never_lands_in_an_app_fd);
    tcase_add_test(tc, the_app_closing_every_fd_from_3_up_does_not_stop_the_exit_report);
    suite_add_tcase(s, tc);
    return s;
}
