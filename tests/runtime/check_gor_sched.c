/* Scheduler and tasks: gor_main, ids, yield, many tasks, worker counts, hand-off, introspection. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gor_check.h"
#include "gor_introspect.h"

static atomic_long counter;

static void self_main(void *arg)
{
    int64_t *out = arg;
    *out = gor_self();
    ck_assert_int_eq(gor_introspect_current(), *out);
}

START_TEST(gor_main_runs_the_main_task_and_returns)
{
    int64_t id = 0;
    ck_assert_int_eq(gor_self(), 0);
    gt_run(2, self_main, &id);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(gor_self(), 0);
    ck_assert_int_eq(gor_procs(), 2);
    int64_t id2 = 0;
    ck_assert_int_eq(gor_main(self_main, &id2), 0); /* again, in the same process */
    ck_assert_int_gt(id2, id);
}
END_TEST

static void many_main(void *arg)
{
    long n = (long)arg;
    gor_wg wg = GOR_WG_INIT;
    int64_t last = 0;
    for (long i = 0; i < n; i++) {
        gor_wg_add(&wg, 1);
        int64_t id = gor_go((void (*)(void *))gor_wg_done, &wg);
        ck_assert_int_gt(id, last);
        last = id;
    }
    gor_wg_wait(&wg);
}

START_TEST(a_hundred_thousand_tasks_all_run)
{
    static const int procs[] = {1, 2, 4};
    gt_run(procs[_i], many_main, (void *)100000L);
}
END_TEST

static gor_chan *gate;

static void blocked_forever(void *arg)
{
    gor_chan_recv(gate, NULL);
    atomic_fetch_add(&counter, 1);
    (void)arg;
}

static void live_main(void *arg)
{
    gate = gor_chan_make(0, 0);
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        ck_assert_int_gt(gor_go(blocked_forever, NULL), 0);
    ck_assert_uint_ge(gor_introspect_count(), (size_t)n);
    gor_chan_close(gate);
    while (atomic_load(&counter) < n)
        gor_sleep(GT_MS);
}

START_TEST(a_hundred_thousand_tasks_can_block_at_once)
{
    gt_run(2, live_main, (void *)100000L);
}
END_TEST

static atomic_int turn;

static void alternate(void *arg)
{
    int me = (int)(long)arg;
    for (int i = 0; i < 100; i++) {
        while (atomic_load(&turn) % 2 != me)
            gor_yield();
        atomic_fetch_add(&turn, 1);
    }
}

static void yield_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, alternate, (void *)0L);
    gt_go_wg(&wg, alternate, (void *)1L);
    gor_wg_wait(&wg);
    ck_assert_int_eq(atomic_load(&turn), 200);
    (void)arg;
}

START_TEST(yield_lets_other_tasks_run_on_one_worker)
{
    gt_run(1, yield_main, NULL);
}
END_TEST

START_TEST(plain_threads_spawn_tasks_without_gor_main)
{
    setenv("GOR_PROCS", "2", 1);
    gor_wg wg = GOR_WG_INIT;
    for (int i = 0; i < 1000; i++) {
        gor_wg_add(&wg, 1);
        ck_assert_int_gt(gor_go((void (*)(void *))gor_wg_done, &wg), 0);
    }
    gor_wg_wait(&wg); /* a plain thread blocks in a gor call */
    ck_assert_int_eq(gor_go(NULL, NULL), -1);
}
END_TEST

static int pipefd[2];

static void reader(void *arg)
{
    char c;
    ck_assert_int_eq(read(pipefd[0], &c, 1), 1); /* blocks the worker in the kernel */
    gor_wg_done(arg);
}

static void counter_task(void *arg)
{
    for (int i = 0; i < 5; i++) {
        atomic_fetch_add(&counter, 1);
        gor_yield();
    }
    (void)arg;
}

static void handoff_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    ck_assert_int_eq(pipe(pipefd), 0);
    gor_wg_add(&wg, 1);
    gor_go(reader, &wg); /* runs first, blocks its only worker in read() */
    gor_wg wg2 = GOR_WG_INIT;
    gt_go_wg(&wg2, counter_task, NULL);
    gor_wg_wait(&wg2); /* only possible if another worker took over */
    ck_assert_int_eq(atomic_load(&counter), 5);
    ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
    gor_wg_wait(&wg);
    (void)arg;
}

START_TEST(a_task_blocked_in_a_system_call_does_not_stop_the_others)
{
    gt_run(1, handoff_main, NULL);
}
END_TEST

static void named_wait(void *arg)
{
    gor_set_name("waiter-task");
    gor_chan_recv(arg, NULL);
}

static void introspect_main(void *arg)
{
    gor_chan *c = gor_chan_make(0, 0);
    int64_t id = gor_go(named_wait, c);
    struct gor_task_info info[8];
    size_t total = 0, n = gor_introspect_snapshot(info, 8, &total);
    ck_assert_uint_ge(total, 2);
    ck_assert_uint_eq(n, total < 8 ? total : 8);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (info[i].id == gor_self()) {
            ck_assert_int_eq(info[i].state, GOR_TASK_RUNNING);
            ck_assert_ptr_null(info[i].wait_reason);
        }
        if (info[i].id != id)
            continue;
        found = true;
        ck_assert_str_eq(info[i].name, "waiter-task");
        ck_assert_str_eq(info[i].wait_reason, "chan receive");
        ck_assert_ptr_eq(info[i].wait_object, c);
        ck_assert_ptr_eq((void *)info[i].start, (void *)named_wait);
        ck_assert_int_eq(info[i].parent, gor_self());
        ck_assert_int_eq(info[i].state, GOR_TASK_BLOCKED);
        ck_assert_uint_gt(info[i].sp, info[i].stack_lo);
        ck_assert_uint_lt(info[i].sp, info[i].stack_hi);
        ck_assert_uint_gt(info[i].fp, info[i].sp);
        ck_assert_uint_ne(info[i].ip, 0);
        ck_assert_int_gt(info[i].wait_since_ns, 0);
        ck_assert_int_gt(info[i].tid, 0);
    }
    ck_assert(found);
    ck_assert_uint_eq(gor_introspect_snapshot(info, 0, NULL), 0);
    /* The watchdog's light copy says the same of each task's state and wait. */
    struct gor_task_wait w[8];
    size_t wtotal = 0, wn = gor_introspect_waits(w, 8, &wtotal);
    ck_assert_uint_eq(wtotal, total);
    ck_assert_uint_eq(wn, n);
    found = false;
    for (size_t i = 0; i < wn; i++) {
        if (w[i].id == gor_self())
            ck_assert_int_eq(w[i].state, GOR_TASK_RUNNING);
        if (w[i].id != id)
            continue;
        found = true;
        ck_assert_int_eq(w[i].state, GOR_TASK_BLOCKED);
        ck_assert_str_eq(w[i].wait_reason, "chan receive");
        ck_assert_int_gt(w[i].wait_since_ns, 0);
    }
    ck_assert(found);
    ck_assert_uint_eq(gor_introspect_waits(w, 0, NULL), 0);
    gor_chan_close(c);
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(introspection_sees_a_blocked_task_and_its_wait)
{
    ck_assert_int_eq(gor_introspect_version(), GOR_INTROSPECT_VERSION);
    gt_run(1, introspect_main, NULL);
}
END_TEST

static atomic_long spawns, exits;
static int64_t last_parent, last_child;

static void on_spawn(int64_t parent, int64_t child, void (*start)(void *), void *arg)
{
    atomic_fetch_add(&spawns, 1);
    last_parent = parent;
    last_child = child;
    ck_assert_ptr_nonnull((void *)start);
    (void)arg;
}

static void on_exit_hook(int64_t id)
{
    ck_assert_int_gt(id, 0);
    atomic_fetch_add(&exits, 1);
}

static void hooks_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    gor_wg_add(&wg, 1);
    int64_t id = gor_go((void (*)(void *))gor_wg_done, &wg);
    gor_wg_wait(&wg);
    ck_assert_int_eq(last_child, id);
    ck_assert_int_eq(last_parent, gor_self());
    (void)arg;
}

START_TEST(hooks_see_every_spawn_and_exit)
{
    struct gor_hooks h = {.on_spawn = on_spawn, .on_exit = on_exit_hook};
    ck_assert_int_eq(gor_introspect_set_hooks(&h), 0);
    gt_run(2, hooks_main, NULL);
    ck_assert_int_eq(atomic_load(&spawns), 2); /* the main task and its child */
    ck_assert_int_eq(atomic_load(&exits), 2);
    gor_introspect_set_hooks(NULL);
    int64_t id = 0;
    gor_main(self_main, &id);
    ck_assert_int_gt(id, last_child);
    ck_assert_int_eq(atomic_load(&spawns), 2); /* removed hooks are not called */
}
END_TEST

/* ---- gor_introspect_show_start: a trampoline that names the user's function ---- */

struct boxed {
    void (*fn)(void *);
    void *arg;
};

static void trampoline(void *p) /* what a wrapper would spawn instead of the user's function */
{
    struct boxed *b = p;
    if (b->fn != NULL)
        b->fn(b->arg);
}

static atomic_int show_rc = -2;

static void naming_hook(int64_t parent, int64_t child, void (*start)(void *), void *arg)
{
    if (start == trampoline)
        atomic_store(&show_rc, gor_introspect_show_start(((struct boxed *)arg)->fn));
    (void)parent;
    (void)child;
}

static void user_function(void *arg)
{
    gor_chan_recv(arg, NULL);
}

/* The start function snapshots give the task with this id, NULL when it is not live. */
static void *shown_start(int64_t id)
{
    struct gor_task_info info[16];
    size_t n = gor_introspect_snapshot(info, 16, NULL);
    for (size_t i = 0; i < n; i++)
        if (info[i].id == id)
            return (void *)info[i].start;
    return NULL;
}

static void show_start_main(void *arg)
{
    gor_chan *c = gor_chan_make(0, 0);
    struct boxed b = {user_function, c};
    int64_t boxed = gor_go(trampoline, &b);   /* the hook names user_function */
    int64_t plain = gor_go(user_function, c); /* no call: gor shows what it runs */
    ck_assert_int_eq(atomic_load(&show_rc), 0);
    ck_assert_ptr_eq(shown_start(boxed), (void *)user_function);
    ck_assert_ptr_eq(shown_start(plain), (void *)user_function);
    gor_chan_close(c);
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(a_spawn_hook_can_name_the_start_function_a_trampoline_runs)
{
    struct gor_hooks h = {.on_spawn = naming_hook};
    ck_assert_int_eq(gor_introspect_set_hooks(&h), 0);
    gt_run(2, show_start_main, NULL);
    gor_introspect_set_hooks(NULL);
}
END_TEST

START_TEST(show_start_outside_a_spawn_hook_is_refused)
{
    errno = 0;
    ck_assert_int_eq(gor_introspect_show_start(user_function), -1);
    ck_assert_int_eq(errno, EINVAL);
    struct gor_hooks h = {.on_spawn = naming_hook};
    ck_assert_int_eq(gor_introspect_set_hooks(&h), 0);
    atomic_store(&show_rc, -2);
    static struct boxed b = {NULL, NULL}; /* a NULL start is refused, even inside the hook */
    ck_assert_int_gt(gor_go(trampoline, &b), 0);
    ck_assert_int_eq(atomic_load(&show_rc), -1);
    gor_introspect_set_hooks(NULL);
}
END_TEST

static void deep(void *arg)
{
    volatile char buf[8192];
    memset((char *)buf, 1, sizeof buf);
    long d = (long)arg;
    if (d > 0)
        deep((void *)(d - 1));
    atomic_fetch_add(&counter, buf[100]);
}

static void stack_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, deep, (void *)4L); /* ~40 KiB of a 64 KiB stack: fine */
    gor_wg_wait(&wg);
    ck_assert_int_eq(atomic_load(&counter), 5);
    (void)arg;
}

START_TEST(tasks_may_use_most_of_their_stack)
{
    gt_run(1, stack_main, NULL);
}
END_TEST

/* ---- fork ---- */

static gor_chan *parent_only;      /* a parent task waits on it; the child must not wake it */
static atomic_int parent_task_ran; /* counts the parent task's wake-ups, in either process */

static void parent_waiter(void *arg)
{
    long v;
    gor_chan_recv(parent_only, &v);
    atomic_fetch_add(&parent_task_ran, 1);
    (void)arg;
}

static void child_sender(void *arg)
{
    long v = 42;
    gor_sleep(GT_MS); /* the child's timers work too */
    gor_chan_send(arg, &v);
}

/* The forked child's checks; the exit status says which failed (0: all passed). */
static int child_body(void)
{
    if (gor_introspect_count() != 1) /* only the forking task survives */
        return 10;
    gor_chan *c = gor_chan_make(sizeof(long), 0);
    if (gor_go(child_sender, c) <= 0)
        return 11;
    long v = 0;
    if (!gor_chan_recv(c, &v) || v != 42)
        return 12;
    gor_chan_unref(c);
    v = 7; /* a parent task is blocked on this channel: it must not run in the child */
    gor_case cs[1] = {{parent_only, GOR_SEND, &v, false}};
    gor_select(cs, 1, 0);
    gor_sleep(20 * GT_MS); /* not for ordering: the parent's task gets its chance not to run */
    return atomic_load(&parent_task_ran) == 0 ? 0 : 13;
}

static void fork_main(void *arg)
{
    parent_only = gor_chan_make(sizeof(long), 0);
    gt_await_blocked(gor_go(parent_waiter, NULL));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_body());
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    long v = 1; /* the parent is unaffected: its task still receives */
    gor_chan_send(parent_only, &v);
    while (atomic_load(&parent_task_ran) == 0)
        gor_yield();
    gor_chan_unref(parent_only);
    (void)arg;
}

START_TEST(a_forked_child_can_spawn_tasks_and_use_channels)
{
    gt_run(1 + _i, fork_main, NULL);
}
END_TEST

/* Registered in the child, so it runs before LeakSanitizer's own exit check (atexit order):
 * LSan would report the parent's objects whose only references were on threads that do not
 * exist in the child. Keeps the exit status the runtime chose (0) either way. */
static void skip_leak_check_in_child(void)
{
    _exit(0);
}

static void forked_main_task(void *arg)
{
    pid_t pid = fork();
    if (pid != 0) {
        int status = -1;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        return;
    }
    atexit(skip_leak_check_in_child);
    gor_sleep(GT_MS); /* the child's main task returns: its process exits through exit(0) */
    (void)arg;
}

START_TEST(a_forked_childs_main_task_returning_exits_it)
{
    gt_run(2, forked_main_task, NULL);
}
END_TEST

static int plain_child_body(void)
{
    gor_chan *c = gor_chan_make(sizeof(long), 0);
    if (gor_go(child_sender, c) <= 0)
        return 11;
    long v = 0; /* this plain thread blocks until a restarted worker runs the sender */
    if (!gor_chan_recv(c, &v) || v != 42)
        return 12;
    gor_chan_unref(c);
    for (int i = 0; i < 5000 && gor_introspect_count() != 0; i++)
        gor_sleep(GT_MS); /* the sender is still finishing after its hand-off */
    return gor_introspect_count() == 0 ? 0 : 13; /* the parent's task is not counted here */
}

START_TEST(a_plain_thread_can_fork_and_the_child_use_gor)
{
    setenv("GOR_PROCS", "2", 1);
    parent_only = gor_chan_make(sizeof(long), 0);
    int64_t waiter = gor_go(parent_waiter, NULL); /* starts the workers in the parent */
    gt_await_blocked(waiter);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(plain_child_body());
    int status = -1;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    gor_chan_close(parent_only);
}
END_TEST

Suite *make_gor_sched_suite(void)
{
    Suite *s = suite_create("gor_sched");
    TCase *tc = tcase_create("sched");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gor_main_runs_the_main_task_and_returns);
    tcase_add_loop_test(tc, a_hundred_thousand_tasks_all_run, 0, 3);
    tcase_add_test(tc, a_hundred_thousand_tasks_can_block_at_once);
    tcase_add_test(tc, yield_lets_other_tasks_run_on_one_worker);
    tcase_add_test(tc, plain_threads_spawn_tasks_without_gor_main);
    tcase_add_test(tc, a_task_blocked_in_a_system_call_does_not_stop_the_others);
    tcase_add_test(tc, introspection_sees_a_blocked_task_and_its_wait);
    tcase_add_test(tc, hooks_see_every_spawn_and_exit);
    tcase_add_test(tc, a_spawn_hook_can_name_the_start_function_a_trampoline_runs);
    tcase_add_test(tc, show_start_outside_a_spawn_hook_is_refused);
    tcase_add_test(tc, tasks_may_use_most_of_their_stack);
    tcase_add_loop_test(tc, a_forked_child_can_spawn_tasks_and_use_channels, 0, 2);
    tcase_add_test(tc, a_forked_childs_main_task_returning_exits_it);
    tcase_add_test(tc, a_plain_thread_can_fork_and_the_child_use_gor);
    suite_add_tcase(s, tc);
    return s;
}
