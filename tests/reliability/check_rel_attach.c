/*
 * Hostile cases for taskleak attach (docs/hostile-hosts.md case 64): the tool killed in the middle
 * of an attach (SIGTERM, SIGINT, SIGHUP: its handler detaches; SIGKILL: the kernel detaches),
 * a target already traced by strace, a target that exits during the attach, a zombie, a missing
 * pid, a 32-bit program. Each ends with one line naming why (status 125) and leaves the target
 * running and untraced: /proc/PID/status TracerPid 0, no thread in a tracing stop. The attach is
 * held mid-way with --hold, which keeps every thread stopped until a signal arrives, and which
 * says so on stderr: a handshake, no timing.
 */
#include "../attach/att_harness.h"
#include "attach_proc.h"

static void pid_arg(char *buf, size_t len, pid_t pid)
{
    snprintf(buf, len, "%d", (int)pid);
}

/* One line, "taskleak attach: cannot examine process PID: <why...>". */
static void assert_one_line(const struct att_result *r, const char *why)
{
    ck_assert_msg(r->status == 125, "status %d, stderr %s", r->status, r->err);
    ck_assert_msg(th_contains(r->err, "cannot examine process") && th_contains(r->err, why),
                  "stderr: %s", r->err);
    ck_assert_msg(strchr(r->err, '\n') && strchr(r->err, '\n')[1] == 0, "not one line: %s", r->err);
}

START_TEST(a_missing_pid_is_named)
{
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    char pid[16];
    pid_arg(pid, sizeof pid, gone);
    struct att_result r;
    const char *args[] = {pid, NULL};
    att_run(&r, args);
    assert_one_line(&r, "no such process");
}
END_TEST

START_TEST(a_zombie_is_named)
{
    pid_t z = fork();
    if (z == 0)
        _exit(0);
    double end = att_now() + 30;
    while (att_task_state(z, z) != 'Z')
        ck_assert(att_now() < end);
    char pid[16];
    pid_arg(pid, sizeof pid, z);
    struct att_result r;
    const char *args[] = {pid, NULL};
    att_run(&r, args);
    assert_one_line(&r, "zombie");
    waitpid(z, NULL, 0);
}
END_TEST

START_TEST(a_process_exiting_during_the_attach_is_named_and_not_waited_for_forever)
{
    struct att_target t;
    att_start(&t, "att_exit_on_trace", NULL);
    char pid[16];
    pid_arg(pid, sizeof pid, t.pid);
    struct att_result r;
    const char *args[] = {pid, NULL};
    att_run(&r, args);
    assert_one_line(&r, "exited during the attach");
    int st;
    ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3); /* it saw the tracer and left by itself */
    close(t.out);
}
END_TEST

START_TEST(a_process_under_strace_names_its_tracer)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t strace = fork();
    if (strace == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execlp("strace", "strace", "-f", "-o", "/dev/null", th_path("tests/scenarios/att_busy"),
               "60000", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[64], path[96], kids[64] = "";
    ck_assert_msg(att_read_line(p[0], line, sizeof line, 30) == 0, "no ready line under strace");
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)strace, (int)strace);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(kids, sizeof kids, f));
    fclose(f);
    pid_t target = atoi(kids);
    ck_assert_int_gt(target, 0);
    char pid[16];
    pid_arg(pid, sizeof pid, target);
    struct att_result r;
    const char *args[] = {pid, NULL};
    att_run(&r, args);
    assert_one_line(&r, "already traced by process");
    ck_assert(th_contains(r.err, "(strace)"));
    ck_assert_int_eq(att_status_field(target, "TracerPid", NULL, 0), strace); /* still strace's */
    kill(target, SIGKILL);
    waitpid(strace, NULL, 0);
    close(p[0]);
}
END_TEST

/* Starts an attach held mid-way on t and returns the tool's pid once every thread is stopped. */
static pid_t held_attach(const struct att_target *t, int *out, int *err)
{
    char pid[16], line[256];
    pid_arg(pid, sizeof pid, t->pid);
    const char *args[] = {"--hold", pid, NULL};
    pid_t tool = att_spawn(args, out, err);
    ck_assert_msg(att_read_line(*err, line, sizeof line, 30) == 0, "the tool said nothing");
    ck_assert_msg(th_contains(line, "holding"), "%s", line);
    ck_assert_int_eq(att_status_field(t->pid, "TracerPid", NULL, 0), tool);
    ck_assert_int_eq(att_task_state(t->pid, t->pid), 't'); /* stopped by the tool */
    return tool;
}

static void killed_mid_attach(int sig, const char *prog, const char *arg)
{
    struct att_target t;
    int out, err;
    att_start(&t, prog, arg);
    pid_t tool = held_attach(&t, &out, &err);
    ck_assert_int_eq(kill(tool, sig), 0);
    int st;
    ck_assert_int_eq(waitpid(tool, &st, 0), tool);
    char rest[1024];
    att_drain(err, rest, sizeof rest);
    if (sig == SIGKILL) {
        ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else {
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 125, "status %x", st);
        ck_assert_msg(th_contains(rest, "released, every thread detached"), "%s", rest);
    }
    att_assert_free(t.pid);
    close(out);
    close(err);
    if (strcmp(prog, "att_busy") == 0) { /* it runs on and finishes its work */
        char line[64];
        ck_assert_int_eq(att_read_line(t.out, line, sizeof line, 60), 0);
        ck_assert_str_eq(line, "done");
        ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(t.out);
    } else {
        att_kill(&t);
    }
}

START_TEST(sigterm_mid_attach_detaches_and_the_target_runs_on)
{
    killed_mid_attach(SIGTERM, "att_busy", "300");
}
END_TEST

START_TEST(sigint_and_sighup_mid_attach_detach)
{
    killed_mid_attach(SIGINT, "att_abba", NULL);
    killed_mid_attach(SIGHUP, "att_join_cond", NULL);
}
END_TEST

START_TEST(sigkill_mid_attach_leaves_the_kernel_to_detach)
{
    killed_mid_attach(SIGKILL, "att_busy", "300");
}
END_TEST

START_TEST(a_32_bit_or_foreign_program_is_refused)
{
    char why[128];
    unsigned char h[20];
    FILE *f = fopen(th_path("tests/reliability/rel_elf32"), "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    ck_assert(th_contains(tla_foreign_elf(h, sizeof h, why, sizeof why), "32-bit"));
    f = fopen("/proc/self/exe", "rb");
    ck_assert_int_eq(fread(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    ck_assert_ptr_null(tla_foreign_elf(h, sizeof h, why, sizeof why));
    h[18] = 183; /* EM_AARCH64 */
    ck_assert(th_contains(tla_foreign_elf(h, sizeof h, why, sizeof why), "another machine"));
    ck_assert(
        th_contains(tla_foreign_elf((const unsigned char *)"#!/bin/sh\n", 10, why, sizeof why),
                    "not an ELF file"));
}
END_TEST

/* Threads born and dying during the attach: each is seized or gone, the attach completes, and no
 * thread is left stopped or traced (born ones included). Twenty attaches in a row. */
START_TEST(threads_born_and_dying_during_the_attach_are_all_released)
{
    struct att_target t;
    att_start(&t, "att_churn", NULL);
    char pid[16];
    pid_arg(pid, sizeof pid, t.pid);
    for (int i = 0; i < 20; i++) {
        struct att_result r;
        const char *args[] = {"--format", "json", pid, NULL};
        att_run(&r, args);
        ck_assert_msg(r.status == 0, "attach %d: status %d, stderr %s", i, r.status, r.err);
        att_assert_free(t.pid);
    }
    att_kill(&t);
}
END_TEST

Suite *make_rel_attach_suite(void)
{
    Suite *s = suite_create("rel_attach");
    TCase *tc = tcase_create("attach");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, a_missing_pid_is_named);
    tcase_add_test(tc, a_zombie_is_named);
    tcase_add_test(tc, a_process_exiting_during_the_attach_is_named_and_not_waited_for_forever);
    tcase_add_test(tc, a_process_under_strace_names_its_tracer);
    tcase_add_test(tc, sigterm_mid_attach_detaches_and_the_target_runs_on);
    tcase_add_test(tc, sigint_and_sighup_mid_attach_detach);
    tcase_add_test(tc, sigkill_mid_attach_leaves_the_kernel_to_detach);
    tcase_add_test(tc, a_32_bit_or_foreign_program_is_refused);
    tcase_add_test(tc, threads_born_and_dying_during_the_attach_are_all_released);
    suite_add_tcase(s, tc);
    return s;
}
