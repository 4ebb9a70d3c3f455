/* tl_asleep: the whole-process-asleep look (see tl_asleep.h).
 *
 * DESIGN. The look is cheap enough to run every interval once the watchdog's light scan has found
 * a stuck unit (the watchdog only asks then): one registry snapshot without unwinding, gor's task
 * snapshot when gor is loaded and, only when every unit's wait qualifies, one /proc/self/task
 * listing and one stat read per thread. It answers "no" as soon as one unit can move, so a busy
 * program pays for the snapshot and the first running unit only.
 * Everything it is unsure of counts as able to move: a thread not yet attached (tid 0), a gor task
 * running on a worker, a thread the registry does not know, a thread the kernel shows running.
 */
#include "tl_asleep.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_dump.h"
#include "tl_gor.h"
#include "tl_registry.h"
#include "tl_thread.h"

#define MAX_TIDS 65536

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

/* Whether handler h lives in the detector itself (the dump signal's, the signal report's). */
static bool ours(void (*h)(int))
{
    Dl_info mine, theirs;
    return dladdr((void *)tl_asleep_look, &mine) != 0 && dladdr((void *)h, &theirs) != 0 &&
           mine.dli_fbase == theirs.dli_fbase;
}

static bool synchronous_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
           sig == SIGSYS;
}

bool tl_asleep_program_handles_signals(void)
{
    int (*query)(int, const struct sigaction *, struct sigaction *) = tl_dump_real_sigaction();
    for (int sig = 1; query != NULL && sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || synchronous_fault(sig) ||
            query(sig, NULL, &sa) != 0)
            continue;
        if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN && !ours(sa.sa_handler))
            return true;
    }
    return false;
}

/* A thread of ours or gor's runtime: not a unit of the program. */
static bool machinery(const struct tl_unit_view *v)
{
    return v->internal || tl_gor_runtime_thread(v->start) ||
           tl_gor_created_by_runtime(v->created_stack);
}

/* Whether thread unit v waits in a way only another unit can end, for long enough (the registry's
 * word; the kernel is asked later). handlers: -1 not asked yet, else 0/1. */
static bool thread_asleep(const struct tl_unit_view *v, int64_t now, int64_t threshold_ns,
                          int *handlers)
{
    if (v->tid == 0 || !v->blocked || !v->wait.durable ||
        !tl_past_threshold(now - v->wait.since_ns, threshold_ns))
        return false;
    if (v->wait.reason != NULL && strcmp(v->wait.reason, "semaphore") == 0) {
        if (*handlers < 0)
            *handlers = tl_asleep_program_handles_signals();
        if (*handlers)
            return false;
    }
    return true;
}

static int by_tid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

static bool gone(pid_t tid)
{
    char comm[32], st = tl_thread_proc_info(tid, comm, sizeof comm);
    return st == 'Z' || st == 'X' || st == '?';
}

/* The kernel's word: no thread of a unit is runnable, and every thread in /proc/self/task is a
 * registered unit (or the watchdog, or gone meanwhile). Sorted tids keep this O(n log n). */
static bool kernel_agrees(const struct tl_snapshot *s)
{
    pid_t *known = malloc((s->n + 1) * sizeof *known), *tids = malloc(MAX_TIDS * sizeof *tids);
    size_t nk = 0, n = tids ? tl_thread_scan_unknown(tids, MAX_TIDS) : 0;
    bool ok = known != NULL && tids != NULL && n <= MAX_TIDS;
    for (size_t i = 0; ok && i < s->n; i++) {
        char comm[32];
        known[nk++] = s->v[i].tid;
        ok = machinery(&s->v[i]) || tl_thread_proc_info(s->v[i].tid, comm, sizeof comm) != 'R';
    }
    if (ok)
        qsort(known, nk, sizeof *known, by_tid);
    for (size_t i = 0; ok && i < n; i++)
        ok = tids[i] == atomic_load(&tl_ctx.watchdog_tid) ||
             bsearch(&tids[i], known, nk, sizeof *known, by_tid) || gone(tids[i]);
    free(known);
    free(tids);
    return ok;
}

static bool look_threads(struct tl_asleep_look *l, const struct tl_snapshot *s, int64_t thr_ns)
{
    int64_t now = tl_now_ns();
    int handlers = -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct tl_unit_view *v = &s->v[i];
        if (machinery(v))
            continue;
        l->units++;
        if (!thread_asleep(v, now, thr_ns, &handlers))
            return false;
        l->signature += mix(mix(0xcbf29ce484222325ULL, v->seq), v->progress);
    }
    return true;
}

static bool look_tasks(struct tl_asleep_look *l, int64_t threshold_ns)
{
    struct tl_gor_snapshot g = {0};
    if (!tl_gor_present())
        return true;
    if (tl_gor_snapshot_take(&g, 0) < 0)
        return false;
    bool asleep = true;
    for (size_t i = 0; asleep && i < g.n; i++) {
        const struct tl_gor_unit *t = &g.units[i];
        if (strcmp(t->state, "exited") == 0)
            continue;
        l->units++;
        asleep = t->reason != NULL && t->durable &&
                 tl_past_threshold(t->since_ms * 1000000, threshold_ns);
        l->signature += mix(mix(0x84222325cbf29ce4ULL, (uint64_t)t->task), t->progress);
    }
    tl_gor_snapshot_free(&g);
    return asleep;
}

void tl_asleep_look(struct tl_asleep_look *l, int64_t threshold_ns)
{
    *l = (struct tl_asleep_look){0};
    struct tl_snapshot s;
    if (tl_registry_snapshot(&s, false, 0, 1024) < 0)
        return;
    bool asleep =
        look_threads(l, &s, threshold_ns) && look_tasks(l, threshold_ns) && kernel_agrees(&s);
    l->asleep = asleep && l->units > 0;
    tl_snapshot_free(&s);
}
