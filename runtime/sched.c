/*
 * The scheduler, after Go's G-P-M model (a gor_worker is a P and its M together).
 *
 * GOR_PROCS workers (default: online CPUs) are started on the first gor_go or gor_main. Each
 * runs a loop on its own thread stack (the "g0" context): find a runnable task, switch to it,
 * and when the task switches back, finish what it asked (post action) on the scheduler stack —
 * release the lock it parked under, requeue it (yield), or free its stack (exit).
 *
 * Where work comes from, in order: the worker's runnext slot (the task it readied last: a
 * producer/consumer pair keeps running on one worker, hot in cache), its bounded ring, the global
 * queue (checked first every 61st schedule so it cannot starve), due timers, ready fds, and half
 * of another worker's ring (stealing). A worker that finds nothing parks: on a futex, or — one
 * worker at a time — in epoll_wait until the next timer or fd event (poll.c). Readying a task
 * queues it locally; an idle worker is woken only when the ring (not runnext) holds work, so a
 * ping-pong pair does not make the other workers thrash.
 *
 * Blocked-worker hand-off: a task may block its worker in a plain system call. The monitor
 * (monitor.c) revokes a worker that has not scheduled for ~10 ms while work waits: its queue goes
 * to the global queue and a spare or new worker takes its slot, so GOR_PROCS workers keep running
 * tasks. A revoked worker that comes back re-takes a free slot or parks as a spare.
 *
 * Locks: each worker's rq_lock guards its ring (runnext is exchanged atomically); the sched lock
 * guards the global queue, the idle and spare lists and the slot count. rq_lock is never held
 * with the sched lock. Starting, idling and slots live in workers.c.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sched_impl.h"

struct gor_sched gor_sched_state = {.once = PTHREAD_ONCE_INIT};
static struct gor_sched *const S = &gor_sched_state;
static __thread struct gor_worker *tls_worker __attribute__((tls_model("initial-exec")));
_Atomic int gor_outside_waiters;
_Atomic int gor_main_running;

__attribute__((noinline, noipa)) struct gor_worker *gor_cur_worker(void)
{
    return tls_worker;
}

struct gor_task *gor_cur_task(void)
{
    struct gor_worker *w = gor_cur_worker();
    return w != NULL ? atomic_load_explicit(&w->cur, memory_order_relaxed) : NULL;
}

/* ---- context switches ---- */

static inline void ctx_switch(void **save, void *to, void **fake, const void *lo, size_t size)
{
#ifdef TL_SANITIZE
    __sanitizer_start_switch_fiber(fake, lo, size);
#else
    (void)fake, (void)lo, (void)size;
#endif
    gor_ctx_swap(save, to);
#ifdef TL_SANITIZE
    __sanitizer_finish_switch_fiber(fake != NULL ? *fake : NULL, NULL, NULL);
#endif
}

static void finish_switch(struct gor_worker *w);
static void *enter_task(struct gor_worker *w, struct gor_task *t);

/* Leaves the running task for the scheduler; returns when the task is run again. */
static void task_switch_out(struct gor_worker *w, struct gor_task *t, int post)
{
    gor_stack_check(t);
    w->post = post;
    w->prev = t;
    ctx_switch(&t->sp, w->g0_sp, post == GOR_POST_EXIT ? NULL : &t->asan_fake, w->g0_lo,
               w->g0_size);
    finish_switch(gor_cur_worker()); /* we may have been resumed by a direct switch */
}

/* ---- queues ---- */

static void global_put(struct gor_task *t);

void gor_wake_idle_worker(void)
{
    /* a spinning worker will find the work; otherwise wake a parked one (Go's wakep) */
    if (atomic_load_explicit(&S->nidle, memory_order_relaxed) == 0 ||
        atomic_load_explicit(&S->nspinning, memory_order_relaxed) > 0)
        return;
    gor_lock(&S->lock);
    struct gor_worker **pp = &S->idle, *w = NULL;
    for (struct gor_worker **q = &S->idle; *q != NULL; q = &(*q)->idle_next)
        if (!(*q)->polling || w == NULL) {
            pp = q;
            w = *q;
            if (!w->polling)
                break;
        }
    if (w != NULL) {
        *pp = w->idle_next;
        w->idle = false;
        atomic_fetch_sub_explicit(&S->nidle, 1, memory_order_relaxed);
    }
    gor_unlock(&S->lock);
    if (w == NULL)
        return;
    atomic_store_explicit(&w->park, 1, memory_order_release);
    if (w->polling)
        gor_poll_interrupt();
    else
        gor_futex_wake(&w->park, 1);
}

static void global_put_batch(struct gor_task **batch, size_t n);

static void runq_put(struct gor_worker *w, struct gor_task *t, bool next)
{
    if (next) {
        t = atomic_exchange_explicit(&w->runnext, t, memory_order_acq_rel);
        if (t == NULL)
            return;
    }
    struct gor_task *spill[GOR_RQ_SIZE / 2 + 1];
    size_t nspill = 0;
    gor_lock(&w->rq_lock);
    if (w->rq_tail - w->rq_head == GOR_RQ_SIZE) {
        /* ring full: half of it, and t, go to the global queue in one batch (runqputslow) */
        while (nspill < GOR_RQ_SIZE / 2)
            spill[nspill++] = w->rq[w->rq_head++ % GOR_RQ_SIZE];
        spill[nspill++] = t;
    } else {
        w->rq[w->rq_tail++ % GOR_RQ_SIZE] = t;
    }
    gor_unlock(&w->rq_lock);
    if (nspill > 0)
        global_put_batch(spill, nspill);
    else
        gor_wake_idle_worker();
}

static struct gor_task *runq_get(struct gor_worker *w)
{
    struct gor_task *t = NULL;
    if (atomic_load_explicit(&w->runnext, memory_order_relaxed) != NULL) {
        t = atomic_exchange_explicit(&w->runnext, NULL, memory_order_acq_rel);
        if (t != NULL)
            return t;
    }
    if (__atomic_load_n(&w->rq_head, __ATOMIC_RELAXED) ==
        __atomic_load_n(&w->rq_tail, __ATOMIC_RELAXED))
        return NULL; /* only this worker adds to its ring: an empty look is final */
    gor_lock(&w->rq_lock);
    if (w->rq_head != w->rq_tail)
        t = w->rq[w->rq_head++ % GOR_RQ_SIZE];
    gor_unlock(&w->rq_lock);
    return t;
}

static void global_put_batch(struct gor_task **batch, size_t n)
{
    gor_lock(&S->lock);
    for (size_t i = 0; i < n; i++) {
        struct gor_task *t = batch[i];
        t->runq_next = NULL;
        if (S->gq_tail != NULL)
            S->gq_tail->runq_next = t;
        else
            S->gq_head = t;
        S->gq_tail = t;
    }
    atomic_store_explicit(&S->gq_len, S->gq_len + n, memory_order_relaxed);
    gor_unlock(&S->lock);
    gor_wake_idle_worker();
}

static void global_put(struct gor_task *t)
{
    global_put_batch(&t, 1);
}

/* Takes one task for w, and moves a fair share of the rest to its ring. */
static struct gor_task *global_get(struct gor_worker *w)
{
    if (atomic_load_explicit(&S->gq_len, memory_order_relaxed) == 0)
        return NULL;
    struct gor_task *batch[32];
    size_t n = 0;
    gor_lock(&S->lock);
    size_t want = S->gq_len / (size_t)S->procs + 1;
    while (S->gq_head != NULL && n < want && n < 32) {
        batch[n++] = S->gq_head;
        S->gq_head = S->gq_head->runq_next;
    }
    if (S->gq_head == NULL)
        S->gq_tail = NULL;
    atomic_store_explicit(&S->gq_len, S->gq_len - n, memory_order_relaxed);
    gor_unlock(&S->lock);
    for (size_t i = 1; i < n; i++)
        runq_put(w, batch[i], false);
    return n > 0 ? batch[0] : NULL;
}

/* Steals half of v's ring into w's; returns one task to run. */
static struct gor_task *steal_from(struct gor_worker *w, struct gor_worker *v)
{
    struct gor_task *batch[GOR_RQ_SIZE / 2];
    uint32_t n = 0;
    gor_lock(&v->rq_lock);
    uint32_t len = v->rq_tail - v->rq_head;
    uint32_t take = len - len / 2;
    while (n < take)
        batch[n++] = v->rq[v->rq_head++ % GOR_RQ_SIZE];
    gor_unlock(&v->rq_lock);
    for (uint32_t i = 1; i < n; i++)
        runq_put(w, batch[i], false);
    return n > 0 ? batch[0] : NULL;
}

static struct gor_task *steal_any(struct gor_worker *w)
{
    int n = atomic_load(&S->nworkers);
    int start = (int)(gor_rand(&w->rng) % (uint64_t)n);
    for (int i = 0; i < n; i++) {
        struct gor_worker *v = &S->workers[(start + i) % n];
        if (v == w || v->rq_tail == v->rq_head)
            continue;
        struct gor_task *t = steal_from(w, v);
        if (t != NULL)
            return t;
    }
    return NULL;
}

/* Moves everything queued on w (runnext too) to the global queue. */
void gor_runq_drain(struct gor_worker *w)
{
    struct gor_task *t;
    while ((t = runq_get(w)) != NULL)
        global_put(t);
}

/* ---- readying and parking ---- */

void gor_ready(struct gor_task *t)
{
    if (GOR_UNLIKELY(t->epoch != atomic_load_explicit(&gor_fork_epoch, memory_order_relaxed)))
        return; /* a task of the parent process, in a forked child: it never runs here */
    atomic_store_explicit(&t->slot->state, GOR_TASK_RUNNABLE, memory_order_relaxed);
    struct gor_worker *w = gor_cur_worker();
    if (w != NULL && !atomic_load_explicit(&w->revoked, memory_order_relaxed))
        runq_put(w, t, true);
    else
        global_put(t);
}

void gor_park(const char *reason, const void *obj, void (*unlock)(void *), void *arg)
{
    struct gor_worker *w = gor_cur_worker();
    struct gor_task *t = w->cur;
    struct gor_slot *s = t->slot;
    atomic_store_explicit(&s->wait_obj, obj, memory_order_relaxed);
    atomic_store_explicit(&s->wait_since, gor_clock_coarse(), memory_order_relaxed);
    atomic_store_explicit(&s->wait_reason, reason, memory_order_release);
    atomic_store_explicit(&s->state, GOR_TASK_BLOCKED, memory_order_relaxed);
    w->post_fn = unlock;
    w->post_arg = arg;
    struct gor_task *next = NULL;
    /* Direct switch to the runnext task, skipping the scheduler stack (the ping-pong path);
     * every 61st schedule still goes through find_work for the global queue and timers. */
    if ((w->ticks + 1) % 61 != 0 && !atomic_load_explicit(&w->revoked, memory_order_relaxed) &&
        atomic_load_explicit(&w->runnext, memory_order_relaxed) != NULL)
        next = atomic_exchange_explicit(&w->runnext, NULL, memory_order_acq_rel);
    if (next == NULL) {
        task_switch_out(w, t, GOR_POST_PARK);
    } else {
        gor_stack_check(t);
        w->post = GOR_POST_PARK;
        w->prev = t;
        void *sp = enter_task(w, next);
        ctx_switch(&t->sp, sp, &t->asan_fake, next->stack_lo, next->stack_size);
        finish_switch(gor_cur_worker());
    }
    atomic_store_explicit(&s->wait_reason, NULL, memory_order_relaxed);
}

void gor_sched_exit(struct gor_task *t)
{
    task_switch_out(gor_cur_worker(), t, GOR_POST_EXIT);
    __builtin_unreachable();
}

/* Child-first spawn (as libdill's go()): the parent gives its worker to the new task and waits
 * in runnext. A spawn-and-exit loop thus recycles one hot stack instead of queueing thousands. */
void gor_sched_spawn(struct gor_task *child)
{
    struct gor_worker *w = gor_cur_worker();
    struct gor_task *t = w != NULL ? w->cur : NULL;
    if (t == NULL || atomic_load_explicit(&w->revoked, memory_order_relaxed)) {
        gor_ready(child);
        return;
    }
    w->post_arg = child;
    task_switch_out(w, t, GOR_POST_SPAWN);
}

void gor_i_yield(void)
{
    struct gor_worker *w = gor_cur_worker();
    struct gor_task *t = w != NULL ? w->cur : NULL;
    if (t == NULL) {
        sched_yield();
        return;
    }
    task_switch_out(w, t, GOR_POST_YIELD);
}

/* ---- the worker loop ---- */

/* Makes t the running task of w; returns the stack pointer to switch to. */
static void *enter_task(struct gor_worker *w, struct gor_task *t)
{
    atomic_store_explicit(&w->cur, t, memory_order_relaxed);
    atomic_store_explicit(&t->slot->state, GOR_TASK_RUNNING, memory_order_relaxed);
    atomic_store_explicit(&t->tid, w->tid, memory_order_relaxed);
    atomic_store_explicit(&w->ticks, w->ticks + 1, memory_order_relaxed);
    void *sp = t->sp;
    __atomic_store_n(&t->sp, NULL, __ATOMIC_RELAXED);
    return sp;
}

/* Completes what the task that last left this worker asked for, now that it is off its stack.
 * Runs in whichever context was switched to: the scheduler, or the next task directly. */
static void finish_switch(struct gor_worker *w)
{
    struct gor_task *t = w->prev;
    int post = w->post;
    void *arg = w->post_arg;
    w->post = GOR_POST_NONE;
    /* no stale copy of what the task waits on stays in the worker (a tool proving leaks by
     * reachability would find the object reachable from the runtime's globals) */
    w->post_arg = NULL;
    switch (post) {
    case GOR_POST_NONE:
        break;
    case GOR_POST_PARK:
        if (w->post_fn != NULL)
            w->post_fn(arg);
        break;
    case GOR_POST_YIELD:
        atomic_store_explicit(&t->slot->state, GOR_TASK_RUNNABLE, memory_order_relaxed);
        runq_put(w, t, false);
        break;
    case GOR_POST_EXIT:
        gor_stack_put(t);
        break;
    case GOR_POST_SPAWN:
        atomic_store_explicit(&t->slot->state, GOR_TASK_RUNNABLE, memory_order_relaxed);
        runq_put(w, t, true);
        w->handoff = arg;
        break;
    default:
        gor_assert(!"task switched out without a reason");
    }
}

void gor_task_started(void)
{
    finish_switch(gor_cur_worker());
}

static void run_task(struct gor_worker *w, struct gor_task *t)
{
    void *sp = enter_task(w, t);
    w->post = GOR_POST_NONE;
    ctx_switch(&w->g0_sp, sp, &w->g0_fake, t->stack_lo, t->stack_size);
    atomic_store_explicit(&w->cur, NULL, memory_order_relaxed);
    finish_switch(w);
}

/* Looks for work a little longer before parking: a futex sleep and wake-up costs microseconds,
 * far more than a producer takes to queue the next task. */
static struct gor_task *spin(struct gor_worker *w)
{
    struct gor_task *t = steal_any(w);
    if (t != NULL || atomic_load(&S->nspinning) >= (S->procs + 1) / 2)
        return t;
    atomic_fetch_add(&S->nspinning, 1);
    for (int i = 0; i < 64 && t == NULL; i++) {
        for (int k = 0; k < 32; k++)
            __builtin_ia32_pause();
        t = global_get(w);
        if (t == NULL)
            t = steal_any(w);
    }
    atomic_fetch_sub(&S->nspinning, 1);
    if (t != NULL)
        gor_wake_idle_worker(); /* found work: there may be more; let another worker look (Go) */
    return t;
}

static struct gor_task *find_work(struct gor_worker *w)
{
    for (;;) {
        if (GOR_UNLIKELY(atomic_load_explicit(&w->revoked, memory_order_relaxed))) {
            gor_reacquire_slot(w);
            continue;
        }
        struct gor_task *t = NULL;
        if (w->ticks % 61 == 0)
            t = global_get(w);
        if (t == NULL)
            t = runq_get(w);
        if (t == NULL)
            t = global_get(w);
        if (t != NULL)
            return t;
        gor_run_timers_if_due();
        if (gor_poll_waiters() > 0 && !S->poller && gor_poll_run(0, false) > 0)
            continue;
        if (w->rq_head != w->rq_tail || atomic_load(&w->runnext) != NULL)
            continue;
        t = spin(w);
        if (t != NULL)
            return t;
        gor_go_idle(w);
    }
}

void *gor_worker_main(void *arg)
{
    struct gor_worker *w = arg;
    tls_worker = w;
    gor_outside_exempt();
    atomic_store(&w->tid, gettid());
    char name[16];
    snprintf(name, sizeof name, "gor-worker-%d", w->index);
    pthread_setname_np(pthread_self(), name);
#ifdef TL_SANITIZE
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &w->g0_lo, &w->g0_size);
        pthread_attr_destroy(&a);
    }
#endif
    for (;;) {
        struct gor_task *t = w->handoff;
        w->handoff = NULL;
        run_task(w, t != NULL ? t : find_work(w));
    }
    return NULL;
}

GOR_ALIAS(gor_yield, gor_i_yield);
