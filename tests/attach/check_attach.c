/*
 * taskleak attach on real programs started WITHOUT the detector (tests/scenarios/att_*.c): a
 * two-mutex deadlock, a join on a thread stuck in a condition wait, a busy process with an idle
 * thread; the JSON document of kind "attach" it writes, the text it renders through the report
 * tool, its exit status, and that the target is left running and untraced. Also the wait-reason
 * table and the command line's usage errors. The hostile cases (row 64) are in
 * tests/reliability/check_rel_attach.c.
 */
#include "att_harness.h"
#include "attach.h"

static json_t *unit_by_start(json_t *rep, const char *start)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i,
                       u) if (th_str(u, "start") && !strcmp(th_str(u, "start"), start)) return u;
    return NULL;
}

static const char *wait_str(json_t *u, const char *key)
{
    return th_str(json_object_get(u, "wait"), key);
}

START_TEST(reasons_follow_the_detectors_table_and_glibc_aliases)
{
    bool durable;
    ck_assert_str_eq(tla_reason_of("pthread_mutex_lock", &durable), "mutex lock");
    ck_assert(durable);
    ck_assert_str_eq(tla_reason_of("___pthread_mutex_lock", &durable), "mutex lock");
    ck_assert_str_eq(tla_reason_of("__pthread_cond_timedwait64", &durable), "cond wait");
    ck_assert(!durable);
    ck_assert_str_eq(tla_reason_of("__pthread_clockjoin_ex", &durable), "join");
    ck_assert_str_eq(tla_reason_of("__libc_read", &durable), "IO wait");
    ck_assert(!durable);
    ck_assert_str_eq(tla_reason_of("__clock_nanosleep_time64", &durable), "sleep");
    ck_assert_str_eq(tla_reason_of("__new_sem_wait", &durable), "semaphore");
    ck_assert_str_eq(tla_reason_of("__new_sem_wait_slow64.constprop.0", &durable), "semaphore");
    ck_assert(durable);
    ck_assert_ptr_null(tla_reason_of("pthread_mutex_unlock", &durable));
    ck_assert_ptr_null(tla_reason_of("main", &durable));
    ck_assert_ptr_null(tla_reason_of(NULL, &durable));
}
END_TEST

/* A process of n threads (tid 100 + i, the main thread 100) to judge without any ptrace. */
static struct tla_proc *synthetic(size_t n)
{
    static struct tla_thread t[8];
    static struct tla_proc p;
    memset(t, 0, sizeof t);
    memset(&p, 0, sizeof p);
    p.pid = 100;
    p.t = t;
    p.n = p.cap = n;
    p.threshold_ms = 10000;
    for (size_t i = 0; i < n; i++) {
        t[i].tid = 100 + (pid_t)i;
        t[i].since_ms = -1;
        t[i].next = -1;
        t[i].state = 'S';
    }
    return &p;
}

static void lock_wait(struct tla_thread *t, pid_t owner)
{
    t->wait = (struct tla_wait){
        "mutex lock", "pthread_mutex_lock", 0x1000 + (uint64_t)owner, true, owner, 0};
}

START_TEST(a_cycle_of_two_is_deadlocked_and_a_running_thread_is_not)
{
    struct tla_proc *p = synthetic(3);
    p->t[0].state = 'R';
    lock_wait(&p->t[1], 102);
    lock_wait(&p->t[2], 101);
    tla_judge(p);
    ck_assert_uint_eq(p->ndl, 1);
    ck_assert_uint_eq(p->dl[0].n, 2);
    ck_assert_str_eq(p->t[1].verdict, "deadlocked");
    ck_assert_str_eq(p->t[2].verdict, "deadlocked");
    ck_assert_ptr_null(p->t[0].verdict);
    ck_assert(!p->all_asleep);
    free(p->dl[0].members);
    free(p->dl);
}
END_TEST

START_TEST(a_mutex_whose_owner_is_gone_deadlocks_its_waiters)
{
    struct tla_proc *p = synthetic(2);
    p->t[0].state = 'R';
    lock_wait(&p->t[1], 0x3ffffffe); /* no such thread */
    tla_judge(p);
    ck_assert_uint_eq(p->ndl, 1);
    ck_assert_str_eq(p->t[1].verdict, "deadlocked");
    free(p->dl[0].members);
    free(p->dl);
}
END_TEST

START_TEST(long_durable_waits_are_blocked_and_unknown_ages_get_no_verdict)
{
    struct tla_proc *p = synthetic(4);
    p->t[0].state = 'R';
    p->t[1].wait = (struct tla_wait){"cond wait", "pthread_cond_wait", 0x2000, true, 0, 0};
    p->t[1].since_ms = 20000;
    p->t[2].wait = p->t[1].wait;
    p->t[2].since_ms = -1; /* the kernel did not tell */
    p->t[3].wait = (struct tla_wait){"IO wait", "read", 3, false, 0, 0};
    p->t[3].since_ms = 50000; /* external: never suspected */
    tla_judge(p);
    ck_assert_str_eq(p->t[1].verdict, "blocked");
    ck_assert_ptr_null(p->t[2].verdict);
    ck_assert_ptr_null(p->t[3].verdict);
    ck_assert_uint_eq(p->ndl, 0);
}
END_TEST

START_TEST(every_thread_in_a_durable_wait_is_all_asleep)
{
    struct tla_proc *p = synthetic(2);
    p->t[0].wait = (struct tla_wait){"join", "pthread_join", 0x3000, true, 101, 0};
    p->t[1].wait = (struct tla_wait){"cond wait", "pthread_cond_wait", 0x2000, true, 0, 0};
    tla_judge(p);
    ck_assert(p->all_asleep);
    ck_assert_str_eq(p->t[0].verdict, "deadlocked");
    ck_assert_str_eq(p->t[1].verdict, "deadlocked");
    ck_assert_int_eq(p->t[0].next, 1); /* the join's edge names the joined thread */
}
END_TEST

START_TEST(bad_usage_exits_2_with_one_line)
{
    static const char *const cases[][3] = {{NULL},
                                           {"abc", NULL},
                                           {"--format", "xml", NULL},
                                           {"--threshold", "-5", NULL},
                                           {"--bogus", "1", NULL},
                                           {"1", "2", NULL},
                                           {"0", NULL},
                                           /* files are checked before pid 1 is touched */
                                           {"--suppressions", "/nonexistent/supp", "1"},
                                           {"--report", "/etc/passwd", "1"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct att_result r;
        const char *args[4] = {cases[i][0], cases[i][0] ? cases[i][1] : NULL,
                               cases[i][0] && cases[i][1] ? cases[i][2] : NULL, NULL};
        att_run(&r, args);
        ck_assert_msg(r.status == 2, "case %zu: status %d, stderr %s", i, r.status, r.err);
        ck_assert_msg(!strncmp(r.err, "taskleak attach: ", 17) && strchr(r.err, '\n') &&
                          strchr(r.err, '\n')[1] == 0,
                      "case %zu: %s", i, r.err);
    }
}
END_TEST

START_TEST(a_two_mutex_deadlock_is_found_with_names_owners_and_stacks)
{
    struct att_target t;
    char dir[64];
    att_start(&t, "att_abba", NULL);
    att_wait_asleep(t.pid, 3);
    att_tmpdir(dir, sizeof dir);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)t.pid);
    struct att_result r;
    const char *args[] = {"--report", dir, "--verbose", pid, NULL};
    att_run(&r, args);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    att_assert_free(t.pid);
    json_t *rep = att_load_report(dir, t.pid);
    ck_assert_str_eq(th_str(rep, "schema"), "taskleak/1");
    ck_assert_str_eq(th_str(rep, "kind"), "attach");
    json_t *a = unit_by_start(rep, "take_a_then_b"), *b = unit_by_start(rep, "take_b_then_a");
    ck_assert_msg(a && b, "units not found by start function:\n%s", r.out);
    ck_assert_str_eq(wait_str(a, "reason"), "mutex lock");
    ck_assert_str_eq(wait_str(a, "call"), "pthread_mutex_lock");
    ck_assert_str_eq(wait_str(a, "object_name"), "lock_b");
    ck_assert_str_eq(wait_str(b, "object_name"), "lock_a");
    ck_assert_str_eq(wait_str(a, "owner"), th_str(b, "id"));
    ck_assert_str_eq(wait_str(b, "owner"), th_str(a, "id"));
    ck_assert_str_eq(th_str(a, "verdict"), "deadlocked");
    ck_assert_str_eq(th_str(b, "verdict"), "deadlocked");
    ck_assert(th_stack_has(rep, json_object_get(a, "blocked_stack"), "take_a_then_b"));
    ck_assert(th_stack_has(rep, json_object_get(b, "blocked_stack"), "take_b_then_a"));
    json_t *dl = json_object_get(rep, "deadlocks");
    ck_assert_int_ge(json_array_size(dl), 1);
    ck_assert_int_eq(json_array_size(json_object_get(json_array_get(dl, 0), "units")), 2);
    ck_assert(th_contains(r.out, "wait for each other in a cycle"));
    ck_assert(th_contains(r.out, "waits for mutex lock_b"));
    ck_assert(th_contains(r.out, "att_abba.c:")); /* file:line from debug information */
    ck_assert(th_contains(r.err, "stopped 3 threads of process")); /* --verbose: the stop */
    json_decref(rep);
    /* The report tool reads the file like any report and fails on its deadlock. */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s %s/taskleak.%d.attach.json >/dev/null 2>&1",
             th_path("bin/taskleak-report"), dir, (int)t.pid);
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "taskleak-report status %x", st);
    att_rmdir(dir);
    att_kill(&t);
}
END_TEST

START_TEST(a_join_on_a_thread_stuck_in_a_cond_wait_is_all_asleep)
{
    struct att_target t;
    att_start(&t, "att_join_cond", NULL);
    unsigned long worker = strtoul(t.line + 6, NULL, 16); /* "ready <pthread_t>" */
    att_wait_asleep(t.pid, 2);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)t.pid);
    struct att_result r;
    const char *args[] = {"--format", "json", pid, NULL};
    att_run(&r, args);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    att_assert_free(t.pid);
    json_error_t je;
    json_t *rep = json_loads(r.out, 0, &je);
    ck_assert_msg(rep != NULL, "%s", je.text);
    ck_assert(json_is_true(json_object_get(json_object_get(rep, "attach"), "all_asleep")));
    json_t *m = th_unit(rep, "thread:1"), *w = unit_by_start(rep, "wait_for_work");
    ck_assert(m && w);
    ck_assert_str_eq(wait_str(m, "reason"), "join");
    ck_assert_str_eq(wait_str(m, "call"), "pthread_join");
    char handle[32];
    snprintf(handle, sizeof handle, "0x%lx", worker);
    ck_assert_str_eq(wait_str(m, "object"), handle); /* the pthread_t main joins */
    ck_assert_str_eq(wait_str(m, "owner"), th_str(w, "id"));
    ck_assert_str_eq(wait_str(w, "reason"), "cond wait");
    ck_assert_str_eq(wait_str(w, "object_name"), "queue_ready");
    ck_assert_str_eq(th_str(m, "verdict"), "deadlocked");
    ck_assert_str_eq(th_str(w, "verdict"), "deadlocked");
    json_decref(rep);
    att_kill(&t);
}
END_TEST

START_TEST(a_busy_process_keeps_running_and_finishes_on_time)
{
    struct att_target t;
    double start = att_now();
    att_start(&t, "att_busy", "1500");
    att_wait_asleep(t.pid, 1);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)t.pid);
    struct att_result r;
    const char *args[] = {"--threshold", "0", pid, NULL};
    att_run(&r, args);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert(th_contains(r.out, "[running"));
    ck_assert(th_contains(r.out, "spin"));
    ck_assert(th_contains(r.out, "[cond wait"));
    ck_assert(th_contains(r.out, "blocked")); /* threshold 0: the idle thread's wait is long */
    ck_assert(!th_contains(r.out, "all threads are asleep"));
    att_assert_free(t.pid);
    char line[64];
    ck_assert_int_eq(att_read_line(t.out, line, sizeof line, 30), 0);
    ck_assert_str_eq(line, "done");
    int st;
    ck_assert_int_eq(waitpid(t.pid, &st, 0), t.pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_msg(att_now() - start < 15, "took %.1f s for 1.5 s of work", att_now() - start);
    close(t.out);
}
END_TEST

/* Each wait glibc offers: reason, call, object named, durable or not; no deadlock (IO, sleep and
 * signal waits are external, so the process is not all asleep). */
START_TEST(every_kind_of_wait_is_named_as_the_detector_names_it)
{
    static const struct {
        const char *start, *reason, *call, *object_name;
        bool durable;
    } want[] = {
        {"sem_waiter", "semaphore", "sem_wait", "jobs", true},
        {"rw_writer", "rwlock write", "pthread_rwlock_wrlock", "table_lock", true},
        {"barrier_waiter", "barrier", "pthread_barrier_wait", "phase", true},
        {"pipe_reader", "IO wait", "read", NULL, false},
        {"epoller", "IO wait", "epoll_wait", NULL, false},
        {"sleeper", "sleep", "sleep", NULL, false},
    };
    struct att_target t;
    att_start(&t, "att_waits", NULL);
    att_wait_asleep(t.pid, 7);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)t.pid);
    struct att_result r;
    const char *args[] = {"--format", "json", pid, NULL};
    att_run(&r, args);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    att_assert_free(t.pid);
    json_error_t je;
    json_t *rep = json_loads(r.out, 0, &je);
    ck_assert_msg(rep != NULL, "%s", je.text);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *u = unit_by_start(rep, want[i].start);
        ck_assert_msg(u != NULL, "no unit started in %s", want[i].start);
        ck_assert_str_eq(wait_str(u, "reason"), want[i].reason);
        ck_assert_str_eq(wait_str(u, "call"), want[i].call);
        if (want[i].object_name)
            ck_assert_str_eq(wait_str(u, "object_name"), want[i].object_name);
        ck_assert(json_is_true(json_object_get(json_object_get(u, "wait"), "durable")) ==
                  want[i].durable);
        ck_assert(th_stack_has(rep, json_object_get(u, "blocked_stack"), want[i].start));
    }
    ck_assert_str_eq(wait_str(th_unit(rep, "thread:1"), "reason"), "signal wait");
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 0);
    json_decref(rep);
    att_kill(&t);
}
END_TEST

START_TEST(a_preloaded_process_is_asked_for_its_own_dump)
{
    char rep[64], out[64];
    att_tmpdir(rep, sizeof rep);
    att_tmpdir(out, sizeof out);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        char opts[128];
        snprintf(opts, sizeof opts, "report=%s", rep);
        setenv("TASKLEAK_OPTIONS", opts, 1);
        char pre[1024];
        const char *asan = th_sanitizer_preload();
        snprintf(pre, sizeof pre, "%s%s%s", asan, asan[0] ? " " : "",
                 th_path("lib/libtaskleak.so"));
        setenv("LD_PRELOAD", pre, 1);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        int null = open("/dev/null", O_WRONLY); /* the detector's own text goes to its stderr */
        dup2(null, 2);
        execl(th_path("tests/scenarios/att_abba"), "att_abba", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[64], arg[16];
    ck_assert_int_eq(att_read_line(p[0], line, sizeof line, 30), 0);
    att_wait_asleep(pid, 3);
    snprintf(arg, sizeof arg, "%d", (int)pid);
    struct att_result r;
    const char *args[] = {"--report", out, arg, NULL};
    att_run(&r, args);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert(th_contains(r.out, "created by thread:1, start ")); /* only the detector knows this */
    ck_assert(th_contains(r.out, "wait for each other in a cycle"));
    char copy[160];
    snprintf(copy, sizeof copy, "%s/taskleak.%d.dump-1.json", out, (int)pid);
    ck_assert_msg(access(copy, R_OK) == 0, "%s missing", copy);
    ck_assert_int_eq(att_status_field(pid, "TracerPid", NULL, 0), 0); /* never traced */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(p[0]);
    att_rmdir(rep);
    att_rmdir(out);
}
END_TEST

Suite *make_attach_suite(void)
{
    Suite *s = suite_create("attach");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, reasons_follow_the_detectors_table_and_glibc_aliases);
    tcase_add_test(unit, bad_usage_exits_2_with_one_line);
    tcase_add_test(unit, a_cycle_of_two_is_deadlocked_and_a_running_thread_is_not);
    tcase_add_test(unit, a_mutex_whose_owner_is_gone_deadlocks_its_waiters);
    tcase_add_test(unit, long_durable_waits_are_blocked_and_unknown_ages_get_no_verdict);
    tcase_add_test(unit, every_thread_in_a_durable_wait_is_all_asleep);
    suite_add_tcase(s, unit);
    TCase *scen = tcase_create("scenarios");
    tcase_set_timeout(scen, 120);
    tcase_add_test(scen, a_two_mutex_deadlock_is_found_with_names_owners_and_stacks);
    tcase_add_test(scen, a_join_on_a_thread_stuck_in_a_cond_wait_is_all_asleep);
    tcase_add_test(scen, a_busy_process_keeps_running_and_finishes_on_time);
    tcase_add_test(scen, a_preloaded_process_is_asked_for_its_own_dump);
    tcase_add_test(scen, every_kind_of_wait_is_named_as_the_detector_names_it);
    suite_add_tcase(s, scen);
    return s;
}
