/*
 * The monitor (Go's sysmon): one thread, started with the workers, waking every 10 ms.
 * - Hand-off: a worker running the same task since the last look (its tick count did not move)
 *   while other work waits is presumed blocked in a system call or a pthread primitive; its slot
 *   goes to another worker (gor_sched_revoke), so the waiting tasks run.
 * - Timers and fds: fires overdue timers and collects ready fds, in case every worker is busy
 *   in long tasks.
 * - The coarse clock: gor_clock_tick, the wait start time parks record without a clock read.
 * - Global deadlock, as Go's checkdead: while a gor_main task is alive, when no worker runs a
 *   task, every worker sleeps on the idle list (none is between tasks holding one it just
 *   took), nothing is queued, no timer or fd wait is pending and no plain thread that used gor is
 *   alive, and this held over two looks with no scheduling in between, no task can ever wake:
 *   print "gor: fatal: all tasks are asleep - deadlock!" and a dump of every task, exit 2.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gor_impl.h"

enum { PERIOD_NS = 10 * 1000 * 1000 };

_Atomic int64_t gor_clock_tick;
_Atomic pid_t gor_monitor_tid;

static bool worker_has_queue(struct gor_worker *w)
{
    return atomic_load(&w->runnext) != NULL || w->rq_head != w->rq_tail;
}

/* True when the kernel says thread tid is asleep (in a system call), not running on a CPU: a
 * task that computes for long is left alone (gor cannot preempt it), one blocked in the kernel
 * gives its slot away. */
static bool thread_sleeping(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    return p != NULL && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

static void check_stuck_workers(void)
{
    int n = gor_sched_nworkers();
    bool global = gor_sched_global_len() > 0;
    for (int i = 0; i < n; i++) {
        struct gor_worker *w = gor_sched_worker(i);
        uint64_t ticks = atomic_load_explicit(&w->ticks, memory_order_relaxed);
        bool same = ticks == w->mon_ticks;
        w->mon_ticks = ticks;
        if (same && atomic_load(&w->cur) != NULL && !atomic_load(&w->revoked) &&
            (worker_has_queue(w) || global) && thread_sleeping(atomic_load(&w->tid)))
            gor_sched_revoke(w);
    }
}

/* True when nothing can run or wake; *ticks gets the scheduling count to compare next time. */
static bool looks_dead(uint64_t *ticks)
{
    if (atomic_load(&gor_main_running) == 0 || atomic_load(&gor_outside_waiters) > 0 ||
        atomic_load(&gor_outside_threads) > 0 || gor_timer_count() > 0 || gor_poll_waiters() > 0 ||
        gor_sched_global_len() > 0)
        return false;
    uint64_t sum = 0;
    int n = gor_sched_nworkers();
    for (int i = 0; i < n; i++) {
        struct gor_worker *w = gor_sched_worker(i);
        if (atomic_load(&w->cur) != NULL || worker_has_queue(w))
            return false;
        sum += atomic_load(&w->ticks);
    }
    *ticks = sum;
    return gor_registry_count() > 0 && gor_sched_all_parked();
}

void gor_deadlock(void)
{
    const struct gor_hooks *h = atomic_load_explicit(&gor_hooks_ptr, memory_order_acquire);
    if (h != NULL && h->on_deadlock != NULL)
        h->on_deadlock();
    gor_rawlog("gor: fatal: all tasks are asleep - deadlock!");
    gor_rawlog("%s", "");
    gor_registry_dump();
    _exit(2);
}

static void *monitor_main(void *arg)
{
    (void)arg;
    gor_outside_exempt();
    atomic_store(&gor_monitor_tid, gettid());
    uint64_t last = UINT64_MAX;
    int quiet = 0;
    for (;;) {
        struct timespec ts = {0, PERIOD_NS};
        nanosleep(&ts, NULL);
        atomic_store_explicit(&gor_clock_tick, gor_i_now(), memory_order_relaxed);
        check_stuck_workers();
        int64_t next = gor_timer_next();
        if (next != INT64_MAX && next + PERIOD_NS / 2 <= gor_i_now())
            gor_timer_run_due(gor_i_now());
        if (gor_poll_waiters() > 0)
            gor_poll_run(0, false); /* fd events still flow while every worker is busy */
        uint64_t ticks;
        if (!looks_dead(&ticks)) {
            quiet = 0;
            continue;
        }
        quiet = ticks == last ? quiet + 1 : 0;
        last = ticks;
        if (quiet >= 2)
            gor_deadlock();
    }
    return NULL;
}

void gor_monitor_start(void)
{
    atomic_store(&gor_clock_tick, gor_i_now());
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 128 * 1024);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &a, monitor_main, NULL) != 0)
        gor_panic("cannot start the monitor thread");
    pthread_attr_destroy(&a);
    pthread_setname_np(th, "gor-monitor");
}
