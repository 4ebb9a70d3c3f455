/* tl_proof: leaks proven by reachability (see tl_proof.h).
 *
 * DESIGN. One scan is: allocate everything (mmap) → look at every thread (the "before" look) →
 * describe memory (the registry's units and gor's tasks copied into preallocated arrays, the
 * maps, the modules, the cut heaps, each stack) → mark from the roots → release into the roots
 * every waiter whose object was reached, and mark again, until nothing changes → look again.
 * The scan counts only when the two looks agree: every thread but the scanner (and the
 * detector's watchdog) asleep in a system call both times with the same context-switch count,
 * the same threads, every unit's progress and every task's saved state unchanged. Then no program
 * code ran while memory was read, so no pointer moved, and a waiter whose object stayed unmarked
 * cannot be woken by anything that runs. The registers of a sleeping thread are known only when
 * it sleeps inside one of our brackets (saved at the bracket) or is gor's runtime parking an idle
 * worker (which holds no program pointer); any other sleeping thread puts the scan in doubt.
 */
#include "tl_proof.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_gor_impl.h"
#include "tl_log.h"
#include "tl_proof_int.h"
#include "tl_proof_mem.h"
#include "tl_real.h"

static __thread const void *entry_uc __attribute__((tls_model("initial-exec")));

void tl_proof_set_entry(const void *entry)
{
    entry_uc = entry;
}

const void *tl_proof_entry(void)
{
    return entry_uc;
}

static struct tl_proof_stats last;

void tl_proof_last(struct tl_proof_stats *s)
{
    *s = last;
}

static void *map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *p, size_t n)
{
    if (p != NULL)
        munmap(p, n);
}

/* ---- the registry and gor, copied without allocating ---- */

static void copy_unit(const struct tl_unit *u, void *arg)
{
    struct scan *s = arg;
    if (s->nregs >= s->capregs) {
        s->nregs = s->capregs + 1; /* overflow: the caller is in doubt */
        return;
    }
    struct reg *g = &s->regs[s->nregs++];
    g->unit = u;
    g->uctx = &u->uctx;
    g->tid = atomic_load_explicit(&u->tid, memory_order_acquire);
    g->seq = u->seq;
    g->progress = atomic_load_explicit(&u->progress, memory_order_acquire);
    g->wstate = atomic_load_explicit(&u->wstate, memory_order_acquire);
    g->durable = g->wstate != TL_WS_RUNNING && u->wait.durable;
    g->handle = u->handle_known ? (uintptr_t)u->handle : 0;
    g->start = u->start;
    g->internal = u->internal;
}

bool tl_proof_copy_registry(struct scan *s)
{
    s->nregs = 0;
    tl_registry_visit(256, copy_unit, s);
    return s->nregs <= s->capregs;
}

bool tl_proof_copy_tasks(struct scan *s, struct gor_task_info *out, size_t *n)
{
    *n = 0;
    if (!tl_gor_present())
        return true;
    size_t total = 0;
    *n = tl_gor_g.gor.snapshot(out, s->captasks, &total);
    return total <= s->captasks;
}

const struct reg *tl_proof_reg_of(const struct scan *s, pid_t tid)
{
    for (size_t i = 0; i < s->nregs; i++)
        if (s->regs[i].tid == tid)
            return &s->regs[i];
    return NULL;
}

static int by_stack(const void *a, const void *b)
{
    const struct gor_task_info *x = a, *y = b;
    return x->stack_lo < y->stack_lo ? -1 : x->stack_lo > y->stack_lo;
}

void tl_proof_sort_tasks(struct gor_task_info *t, size_t n)
{
    if (n > 1)
        qsort(t, n, sizeof *t, by_stack);
}

/* The task whose stack holds a (tasks sorted by stack: a binary search, 100k tasks are common). */
const struct gor_task_info *tl_proof_task_of(const struct scan *s, uintptr_t a)
{
    size_t lo = 0, hi = s->ntasks;
    while (lo < hi) { /* the first task whose stack starts above a */
        size_t mid = lo + (hi - lo) / 2;
        if (s->tasks[mid].stack_lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && a < s->tasks[lo - 1].stack_hi ? &s->tasks[lo - 1] : NULL;
}

/* ---- the two looks ---- */

/* gor's monitor thread (its sysmon): wakes every 10 ms, runs only the runtime's bookkeeping and
 * never a task; whatever it makes runnable wakes a worker, which the looks see. Found by name
 * when the runtime cannot say which threads are its own. */
static bool gor_monitor(const struct scan *s, pid_t tid, const struct tl_pm_thread *t)
{
    const struct reg *g = tl_proof_reg_of(s, tid);
    return g != NULL && tl_gor_runtime_thread(g->start) && strcmp(t->name, "gor-monitor") == 0;
}

/* gor's own threads into out (at most MAX_GOR_THREADS; 0 when the runtime cannot say). */
static size_t gor_threads(struct gor_thread_info *out)
{
    if (!tl_gor_present() || tl_gor_g.gor.threads == NULL)
        return 0;
    size_t n = tl_gor_g.gor.threads(out, MAX_GOR_THREADS);
    return n > MAX_GOR_THREADS ? 0 : n; /* too many to judge: the kernel's counts decide */
}

static const struct gor_thread_info *gor_thread(const struct gor_thread_info *v, size_t n,
                                                pid_t tid)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].tid == tid)
            return &v[i];
    return NULL;
}

bool tl_proof_quiet(const struct scan *s, pid_t tid)
{
    for (size_t i = 0; i < s->nquiet; i++)
        if (s->quiet[i] == tid)
            return true;
    return false;
}

/* gor's idle workers and its monitor run no program code: an idle worker may wake, find no work
 * and sleep again (the kernel counts a switch), the monitor ticks every 10 ms. They are judged by
 * gor's own counts instead: still idle, with the same number of switches to a task, at the after
 * look. Any other thread of gor's (a worker running a task) is judged as every thread is. */
static bool quiet_thread(struct scan *s, pid_t tid, const struct tl_pm_thread *t)
{
    const struct gor_thread_info *g = gor_thread(s->gth, s->ngth, tid);
    bool quiet = g != NULL ? g->idle != 0 : tl_gor_g.gor.threads == NULL && gor_monitor(s, tid, t);
    if (!quiet || s->nquiet >= MAX_GOR_THREADS)
        return false;
    s->quiet[s->nquiet++] = tid;
    return true;
}

/* The after look of gor's quiet threads: each still idle, none switched to a task. */
static bool quiet_after(struct scan *s)
{
    size_t n = s->ngth ? gor_threads(s->gth2) : 0;
    for (size_t i = 0; i < s->nquiet; i++) {
        const struct gor_thread_info *a = gor_thread(s->gth, s->ngth, s->quiet[i]);
        const struct gor_thread_info *b = gor_thread(s->gth2, n, s->quiet[i]);
        if (a != NULL && (b == NULL || !b->idle || b->role != a->role || b->runs != a->runs))
            return false;
    }
    return true;
}

/* True when every thread but ours and the watchdog sleeps in the kernel; fills s->look. */
static bool look_before(struct scan *s)
{
    s->ntids = tl_pm_tids(s->tids, MAX_TIDS);
    if (s->ntids > MAX_TIDS)
        return false;
    pid_t self = gettid(), wd = atomic_load(&tl_ctx.watchdog_tid);
    s->ngth = gor_threads(s->gth);
    s->nquiet = 0;
    for (size_t i = 0; i < s->ntids; i++) {
        struct tl_pm_thread *t = &s->look[i];
        if (s->tids[i] == self || s->tids[i] == wd) {
            memset(t, 0, sizeof *t);
            continue;
        }
        if (!tl_pm_thread(s->tids[i], t))
            return false;
        if (quiet_thread(s, s->tids[i], t))
            t->state = 'M'; /* judged by gor's counts (quiet_after), not the kernel's */
        else if ((t->state != 'S' && t->state != 'D') || t->sp == 0)
            return false;
    }
    return true;
}

/* look_before, tried a few times a millisecond apart: a worker of gor's that just finished a
 * task spins a little looking for work before it goes idle. */
static bool look_before_settled(struct scan *s)
{
    for (int i = 0;; i++) {
        if (look_before(s))
            return true;
        if (i == 4)
            return false;
        struct timespec ts = {0, 1000000};
        tl_real.nanosleep(&ts, NULL);
    }
}

static bool same_tasks(const struct scan *s, size_t n2)
{
    if (n2 != s->ntasks)
        return false;
    for (size_t i = 0; i < n2; i++) {
        const struct gor_task_info *a = &s->tasks[i], *b = &s->tasks2[i];
        if (a->id != b->id || a->state != b->state || a->sp != b->sp ||
            a->wait_since_ns != b->wait_since_ns || a->wait_object != b->wait_object)
            return false;
    }
    return true;
}

/* The "after" look: nothing ran since look_before. */
static bool look_after(struct scan *s)
{
    size_t n = tl_pm_tids(s->tids2, MAX_TIDS);
    if (n != s->ntids || memcmp(s->tids, s->tids2, n * sizeof *s->tids) != 0)
        return false;
    pid_t self = gettid(), wd = atomic_load(&tl_ctx.watchdog_tid);
    for (size_t i = 0; i < n; i++) {
        struct tl_pm_thread t;
        if (s->tids[i] == self || s->tids[i] == wd || s->look[i].state == 'M')
            continue;
        if (!tl_pm_thread(s->tids[i], &t) || t.state != s->look[i].state ||
            t.switches != s->look[i].switches || t.sp != s->look[i].sp)
            return false;
    }
    if (!quiet_after(s))
        return false;
    uint64_t sum = 0, sum2 = 0; /* gor's quiet threads may enter and leave brackets (a sleep) */
    for (size_t i = 0; i < s->nregs; i++)
        if (!tl_proof_quiet(s, s->regs[i].tid))
            sum += s->regs[i].progress * 31 + (uint64_t)s->regs[i].wstate;
    if (!tl_proof_copy_registry(s))
        return false;
    for (size_t i = 0; i < s->nregs; i++)
        if (!tl_proof_quiet(s, s->regs[i].tid))
            sum2 += s->regs[i].progress * 31 + (uint64_t)s->regs[i].wstate;
    size_t n2 = 0;
    if (sum != sum2 || !tl_proof_copy_tasks(s, s->tasks2, &n2))
        return false;
    tl_proof_sort_tasks(s->tasks2, n2);
    return same_tasks(s, n2);
}

static bool reason_is(const char *reason, const char *part)
{
    return reason != NULL && strstr(reason, part) != NULL;
}

/* Whether what w waits on may still be woken by something that runs. */
static bool may_wake(struct scan *s, const struct who *w)
{
    const struct tl_proof_unit *u = &s->u[w->in];
    if (reason_is(u->reason, "(nil chan)") || reason_is(u->reason, "(no cases)"))
        return false; /* no object: nothing at all can end it */
    if (strcmp(u->reason, "join") == 0) {
        for (size_t i = 0; i < s->nwho; i++)
            if (s->who[i].is_thread && s->who[i].tp == u->object)
                return !s->who[i].stuck;
        return true;
    }
    if (w->is_thread && (s->handlers & ~w->sigblk) != 0)
        return true; /* a handler of the program's may run on it and leave the wait */
    const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, u->object);
    if (m == NULL || m->shared)
        return true; /* process-shared memory: another process may wake it */
    return tl_reach_state(s->reach, u->object) != TL_REACH_UNMARKED;
}

/* Marks, releases every stuck unit whose object was reached, marks again, until stable. */
static bool mark(struct scan *s)
{
    int told = 0;
    for (size_t i = 0; i < s->nwho && tl_log_verbosity() >= 2; i++)
        if (s->who[i].stuck) { /* diagnostics: where the first waiter's object is reached from */
            tl_reach_watch(s->reach, s->u[s->who[i].in].object);
            break;
        }
    for (;;) {
        size_t unread = 0;
        if (tl_reach_run(s->reach, &unread) != 0 || unread != 0)
            return false;
        bool changed = false;
        for (size_t i = 0; i < s->nwho; i++) {
            struct who *w = &s->who[i];
            if (!w->stuck || !may_wake(s, w))
                continue;
            if (tl_log_verbosity() >= 2 && !told++) /* debug: the first waiter released */
                tl_logf("leak proof: %s %lld may wake: %s 0x%lx reached from 0x%lx",
                        w->is_thread ? "thread tid" : "task",
                        w->is_thread ? (long long)s->u[w->in].tid : (long long)s->u[w->in].task,
                        s->u[w->in].reason, (unsigned long)s->u[w->in].object,
                        (unsigned long)tl_reach_watched_from(s->reach));
            if (!tl_proof_release(s, w, w->tp))
                return false;
            changed = true;
        }
        if (!changed)
            return true;
    }
}

static long conclude(struct scan *s)
{
    long proven = 0;
    for (size_t i = 0; i < s->nwho; i++)
        if (s->who[i].stuck && s->who[i].in != SIZE_MAX) {
            s->u[s->who[i].in].proven = true;
            proven++;
        }
    return proven;
}

/* ---- one scan ---- */

static void count_one(const struct tl_unit *u, void *arg)
{
    (void)u;
    ++*(size_t *)arg;
}

static size_t count_units(void)
{
    size_t n = 0;
    tl_registry_visit(1024, count_one, &n);
    return n;
}

static bool setup(struct scan *s, struct tl_proof_unit *u, size_t n)
{
    memset(s, 0, sizeof *s);
    s->u = u;
    s->n = n;
    s->capregs = 2 * count_units() + 256;
    s->captasks = tl_gor_present() ? tl_gor_g.gor.count() * 2 + 1024 : 0;
    s->tids = map(2 * MAX_TIDS * sizeof(pid_t));
    s->look = map(MAX_TIDS * sizeof *s->look);
    s->regs = map(s->capregs * sizeof *s->regs);
    s->tasks = s->captasks ? map(2 * s->captasks * sizeof *s->tasks) : NULL;
    s->who = map((MAX_TIDS + s->captasks) * sizeof *s->who);
    s->uctx_copies = map(MAX_TIDS * sizeof *s->uctx_copies);
    s->gth = map(GOR_MAP);
    if (s->gth == NULL)
        return false;
    s->gth2 = s->gth + MAX_GOR_THREADS;
    s->quiet = (pid_t *)(s->gth2 + MAX_GOR_THREADS);
    if (s->tids == NULL || s->look == NULL || s->regs == NULL || s->who == NULL ||
        s->uctx_copies == NULL || (s->captasks && s->tasks == NULL))
        return false;
    s->tids2 = s->tids + MAX_TIDS;
    s->tasks2 = s->tasks ? s->tasks + s->captasks : NULL;
    void (*tls_info)(size_t *, size_t *) = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    size_t align = 0;
    if (tls_info != NULL)
        tls_info(&s->static_tls, &align);
    /* glibc tells its debugger the descriptor's size: what lies past it is no thread's */
    const unsigned *desc = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
    s->desc_size =
        desc != NULL && *desc > 0 && *desc <= DESC_AFTER ? (*desc + 63) & ~63U : DESC_AFTER;
    s->asan_loc = dlsym(RTLD_DEFAULT, "__asan_locate_address");
    void **end = dlsym(RTLD_DEFAULT, "__libc_stack_end");
    s->stack_end = end != NULL ? (uintptr_t)*end : 0;
    s->handlers = tl_pm_program_handlers();
    s->tcache_key = tl_pm_glibc_malloc() ? tl_pm_tcache_key() : 0;
    return true;
}

static int by_task(const void *a, const void *b)
{
    const struct task_key *x = a, *y = b;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* Indexes the caller's waiting tasks by id (before the scan: it maps memory). */
static bool index_tasks(struct scan *s)
{
    s->task_index = map((s->n + 1) * sizeof *s->task_index);
    if (s->task_index == NULL)
        return false;
    for (size_t k = 0; k < s->n; k++)
        if (s->u[k].kind == TL_KIND_TASK && s->u[k].reason != NULL && s->u[k].durable)
            s->task_index[s->ntask_index++] = (struct task_key){s->u[k].task, k};
    if (s->ntask_index > 1)
        qsort(s->task_index, s->ntask_index, sizeof *s->task_index, by_task);
    return true;
}

static void teardown(struct scan *s)
{
    unmap(s->task_index, (s->n + 1) * sizeof *s->task_index);
    tl_reach_free(s->reach);
    tl_pm_maps_free(&s->maps);
    unmap(s->tids, 2 * MAX_TIDS * sizeof(pid_t));
    unmap(s->look, MAX_TIDS * sizeof *s->look);
    unmap(s->regs, s->capregs * sizeof *s->regs);
    unmap(s->tasks, 2 * s->captasks * sizeof *s->tasks);
    unmap(s->who, (MAX_TIDS + s->captasks) * sizeof *s->who);
    unmap(s->uctx_copies, MAX_TIDS * sizeof *s->uctx_copies);
    unmap(s->gth, GOR_MAP);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long tl_proof_scan(struct tl_proof_unit *u, size_t n, const void *const *own, size_t nown)
{
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        u[k].proven = false;
        any |= u[k].reason != NULL && u[k].durable;
    }
    if (!any)
        return 0;
    if (entry_uc == NULL && gettid() != atomic_load(&tl_ctx.watchdog_tid))
        return -1; /* a program thread outside our entry points (a signal report's handler):
                      its own frames are unknown, so nothing could be proven */
    int saved = errno;
    int64_t t0 = now_ns();
    struct scan s;
    long res = -1;
    const char *why = "setup";
    bool ok = setup(&s, u, n) && index_tasks(&s) && tl_proof_copy_registry(&s);
    s.own = own;
    s.nown = nown;
    if (ok && (why = "kernel", (s.doubt = tl_pm_kernel_doubt()) == NULL) &&
        (why = "a thread ran", look_before_settled(&s)) &&
        (why = "memory", tl_proof_describe(&s)) && (why = "scan", mark(&s)) &&
        (why = "a thread ran during the scan", look_after(&s)))
        res = conclude(&s);
    if (res < 0 && tl_log_verbosity() >= 2)
        tl_logf("leak proof in doubt: %s%s%s", why, s.doubt ? ": " : "", s.doubt ? s.doubt : "");
    if (res < 0)
        for (size_t k = 0; k < n; k++)
            u[k].proven = false;
    last.proven = res > 0 ? (size_t)res : 0;
    last.scanned = s.reach != NULL ? tl_reach_scanned(s.reach) : 0;
    last.ns = now_ns() - t0;
    teardown(&s);
    errno = saved;
    return res;
}
