/*
 * Worker lifecycle: starting the workers and the monitor (lazily, on the first gor_go or
 * gor_main), idling (a futex sleep, or — one worker at a time — epoll_wait until the next timer
 * or fd event), and slots: a worker revoked by the monitor while stuck in a system call gives its
 * slot to a spare or new worker, and on its return re-takes a free slot or waits as a spare.
 * The queues, switching and the worker loop are in sched.c; both share struct gor_sched
 * (sched_impl.h) under the locking rules written there.
 *
 * fork(): in the child only the forking thread exists. The child handler empties every queue
 * (they held parent tasks) and marks the dead workers; the first gor call, or the surviving
 * worker going idle, gives them new threads and starts a new monitor (sched_restart).
 */
#include <stdlib.h>
#include <unistd.h>

#include "sched_impl.h"

static struct gor_sched *const S = &gor_sched_state;

static void sched_restart(void);

/* A revoked worker re-takes a free slot, or waits on the spare list until given one. */
void gor_reacquire_slot(struct gor_worker *w)
{
    gor_runq_drain(w);
    gor_lock(&S->lock);
    if (S->nactive < S->procs) {
        S->nactive++;
        atomic_store(&w->revoked, false);
        gor_unlock(&S->lock);
        return;
    }
    w->spare = true;
    w->idle_next = S->spares;
    S->spares = w;
    atomic_store(&w->park, 0);
    gor_unlock(&S->lock);
    while (atomic_load_explicit(&w->park, memory_order_acquire) == 0)
        gor_futex_wait(&w->park, 0, -1);
}

void gor_run_timers_if_due(void)
{
    int64_t next = gor_timer_next();
    if (next != INT64_MAX && next <= gor_i_now())
        gor_timer_run_due(gor_i_now());
}

/* With S->lock held: takes w off the idle list if it is still on it. */
static void leave_idle_list(struct gor_worker *w)
{
    if (!w->idle)
        return;
    struct gor_worker **q = &S->idle;
    while (*q != w)
        q = &(*q)->idle_next;
    *q = w->idle_next;
    w->idle = false;
    atomic_fetch_sub_explicit(&S->nidle, 1, memory_order_relaxed);
}

/* True when another worker's ring holds work (a hint, read without locks). */
static bool rings_have_work(void)
{
    int n = atomic_load(&S->nworkers);
    for (int i = 0; i < n; i++)
        if (__atomic_load_n(&S->workers[i].rq_tail, __ATOMIC_RELAXED) !=
            __atomic_load_n(&S->workers[i].rq_head, __ATOMIC_RELAXED))
            return true;
    return false;
}

static void sleep_in_poller(struct gor_worker *w)
{
    int64_t next = gor_timer_next();
    int64_t now = gor_i_now();
    gor_poll_wait(next == INT64_MAX ? -1 : (next > now ? next - now : 0));
    gor_lock(&S->lock);
    leave_idle_list(w);
    S->poller = false;
    w->polling = false;
    gor_unlock(&S->lock);
    gor_run_timers_if_due();
}

/* Blocks an idle worker until woken, polling fds and timers if nobody else does. */
void gor_go_idle(struct gor_worker *w)
{
    if (GOR_UNLIKELY(atomic_load_explicit(&S->restart, memory_order_relaxed)))
        sched_restart(); /* a forked child's surviving worker ran out of work: get help */
    gor_lock(&S->lock);
    if (S->gq_len > 0 || atomic_load(&w->revoked)) {
        gor_unlock(&S->lock);
        return;
    }
    w->idle = true;
    w->idle_next = S->idle;
    S->idle = w;
    atomic_fetch_add_explicit(&S->nidle, 1, memory_order_relaxed);
    atomic_store(&w->park, 0);
    bool poll = !S->poller && (gor_timer_count() > 0 || gor_poll_waiters() > 0);
    S->poller |= poll;
    w->polling = poll;
    gor_unlock(&S->lock);
    if (poll) {
        sleep_in_poller(w);
        return;
    }
    /* A worker that queued work while we were still spinning did not wake anyone (Go's
     * wakep rule); now that we are on the idle list, look once more before sleeping. */
    if (rings_have_work()) {
        gor_lock(&S->lock);
        leave_idle_list(w);
        gor_unlock(&S->lock);
        return;
    }
    while (atomic_load_explicit(&w->park, memory_order_acquire) == 0)
        gor_futex_wait(&w->park, 0, -1);
}

/* Creates the thread of worker struct i (already counted in nworkers); 0 or -1. */
static int worker_spawn(int i)
{
    struct gor_worker *w = &S->workers[i];
    w->index = i;
    w->rng = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&w->thread, &a, gor_worker_main, w);
    pthread_attr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

/* Starts worker number i, the next unused one; with S->lock held or during init. */
static int worker_start(int i)
{
    atomic_store(&S->nworkers, i + 1); /* before it runs: stealing scans [0, nworkers) */
    if (worker_spawn(i) != 0) {
        atomic_store(&S->nworkers, i);
        return -1;
    }
    return 0;
}

/* Forked child: gives the dead workers' slots new threads (up to GOR_PROCS holding a slot)
 * and starts a monitor. Runs once, on the first gor call or idle worker after the fork. */
static void sched_restart(void)
{
    gor_lock(&S->lock);
    if (!atomic_load(&S->restart)) {
        gor_unlock(&S->lock);
        return;
    }
    atomic_store(&S->restart, false);
    int n = atomic_load(&S->nworkers);
    for (int i = 0; i < n && S->nactive < S->procs; i++)
        if (atomic_load(&S->workers[i].tid) == 0) {
            if (worker_spawn(i) != 0)
                gor_panic("cannot restart worker thread %d after fork", i);
            S->nactive++;
        }
    gor_unlock(&S->lock);
    gor_monitor_start();
}

/* Forked child: empties worker w's queues and idle state; `dead`: its thread is gone. */
static void worker_fork_reset(struct gor_worker *w, bool dead)
{
    atomic_store(&w->runnext, NULL);
    w->rq_head = w->rq_tail = 0;
    atomic_store(&w->rq_lock.v, 0);
    w->idle = w->spare = w->polling = false;
    w->idle_next = NULL;
    atomic_store(&w->revoked, false);
    atomic_store(&w->park, 0);
    atomic_store(&w->tid, dead ? 0 : gettid());
    if (!dead)
        return;
    atomic_store(&w->cur, NULL);
    w->handoff = w->prev = NULL;
    w->post = GOR_POST_NONE;
    w->ncache = 0; /* its cached stacks are lost to the child */
}

/* Forked child: only the forking thread survives. The queues held parent tasks: empty them. */
static void sched_fork_child(void)
{
    struct gor_worker *self = gor_cur_worker();
    int n = atomic_load(&S->nworkers);
    for (int i = 0; i < n; i++)
        worker_fork_reset(&S->workers[i], &S->workers[i] != self);
    S->gq_head = S->gq_tail = NULL;
    atomic_store(&S->gq_len, 0);
    S->idle = S->spares = NULL;
    atomic_store(&S->nidle, 0);
    atomic_store(&S->nspinning, 0);
    S->nactive = self != NULL ? 1 : 0;
    S->poller = false;
    atomic_store(&gor_outside_waiters, 0);
    atomic_store(&gor_outside_threads, self == NULL && gor_outside_noted ? 1 : 0);
    atomic_store(&S->restart, true);
    atomic_store(&gor_monitor_tid, 0); /* the parent's monitor did not come along */
}

void gor_sched_fork(enum gor_fork_phase ph)
{
    if (ph == GOR_FORK_PREPARE) {
        gor_lock(&S->lock);
        return;
    }
    if (ph == GOR_FORK_CHILD)
        sched_fork_child();
    gor_unlock(&S->lock);
}

static void sched_init(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    S->procs = (int)gor_env_int("GOR_PROCS", cpus > 0 ? cpus : 1, 1, 1024);
    S->max_workers = S->procs + 64;
    S->workers = calloc((size_t)S->max_workers, sizeof *S->workers);
    if (S->workers == NULL || gor_poll_init() != 0)
        gor_panic("cannot start the scheduler: out of memory or file descriptors");
    S->nactive = S->procs;
    gor_fork_install();
    for (int i = 0; i < S->procs; i++)
        if (worker_start(i) != 0)
            gor_panic("cannot start worker thread %d", i);
    gor_monitor_start();
}

void gor_sched_start(void)
{
    pthread_once(&S->once, sched_init);
    if (GOR_UNLIKELY(atomic_load_explicit(&S->restart, memory_order_relaxed)))
        sched_restart();
}

int gor_i_procs(void)
{
    gor_sched_start();
    return S->procs;
}

/* ---- services for the timers, the poller and the monitor ---- */

void gor_wake_idle(bool for_poller)
{
    bool poller;
    gor_lock(&S->lock);
    poller = S->poller;
    gor_unlock(&S->lock);
    if (for_poller && poller)
        gor_poll_interrupt();
    else
        gor_wake_idle_worker();
}

void gor_ensure_poller(void)
{
    if (atomic_load_explicit(&S->nidle, memory_order_relaxed) == 0)
        return;
    gor_lock(&S->lock);
    bool poller = S->poller;
    gor_unlock(&S->lock);
    if (!poller)
        gor_wake_idle_worker();
}

/* Gives w's slot to another worker: called by the monitor for a worker stuck in a task. */
void gor_sched_revoke(struct gor_worker *w)
{
    gor_lock(&S->lock);
    if (atomic_load(&w->revoked) || w->idle) {
        gor_unlock(&S->lock);
        return;
    }
    atomic_store(&w->revoked, true);
    S->nactive--;
    struct gor_worker *sp = S->spares;
    if (sp != NULL) {
        S->spares = sp->idle_next;
        sp->spare = false;
        atomic_store(&sp->revoked, false);
        S->nactive++;
    } else if (S->nworkers < S->max_workers && worker_start(S->nworkers) == 0) {
        S->nactive++;
        sp = NULL;
    }
    gor_unlock(&S->lock);
    if (sp != NULL) {
        atomic_store_explicit(&sp->park, 1, memory_order_release);
        gor_futex_wake(&sp->park, 1);
    }
    gor_runq_drain(w);
}

/* True when every started worker sleeps on the idle or spare list. A worker off both lists is
 * between tasks (finding work, stealing, finishing a switch) and may hold a task in a local
 * variable that no queue shows yet, so the monitor must not call the program dead meanwhile. */
bool gor_sched_all_parked(void)
{
    bool all = true;
    gor_lock(&S->lock);
    int n = atomic_load(&S->nworkers);
    for (int i = 0; i < n && all; i++) {
        struct gor_worker *w = &S->workers[i];
        all = w->idle || w->spare || atomic_load(&w->tid) == 0; /* tid 0: gone in a forked child */
    }
    gor_unlock(&S->lock);
    return all;
}

/* gor_introspect_threads: the workers as the scheduler lock shows them, then the monitor. A
 * worker is idle only on the idle or spare list with no task: one off the lists is between tasks
 * (or about to run one), whatever its thread is doing in the kernel. */
static size_t gor_i_threads(struct gor_thread_info *out, size_t max)
{
    size_t k = 0;
    gor_lock(&S->lock);
    int n = atomic_load(&S->nworkers);
    for (int i = 0; i < n; i++, k++) {
        struct gor_worker *w = &S->workers[i];
        if (k < max)
            out[k] =
                (struct gor_thread_info){atomic_load(&w->tid), GOR_THREAD_WORKER,
                                         (w->idle || w->spare) && atomic_load(&w->cur) == NULL,
                                         atomic_load_explicit(&w->ticks, memory_order_relaxed)};
    }
    gor_unlock(&S->lock);
    pid_t mon = atomic_load(&gor_monitor_tid);
    if (mon != 0 && k++ < max)
        out[k - 1] = (struct gor_thread_info){mon, GOR_THREAD_MONITOR, 1, 0};
    return k;
}

int gor_sched_nworkers(void)
{
    return atomic_load(&S->nworkers);
}

struct gor_worker *gor_sched_worker(int i)
{
    return &S->workers[i];
}

size_t gor_sched_global_len(void)
{
    return atomic_load_explicit(&S->gq_len, memory_order_relaxed);
}

GOR_ALIAS(gor_procs, gor_i_procs);
GOR_ALIAS(gor_introspect_threads, gor_i_threads);
