/*
 * Verdicts for one look at a process, from the analysis the detector uses.
 *
 * Edges: a mutex waiter waits for the thread whose tid glibc keeps in the mutex, a joiner for the
 * thread it joins. Cycles are found by the detector's own search (preload/tl_wfgraph.c) and every
 * thread on one, or whose waits lead into one, is "deadlocked"; so are the waiters of a mutex
 * whose owner no longer exists (it exited holding it). When every thread sits in a durable wait
 * nothing in the process can wake any of them: all are "deadlocked" ("all threads are asleep").
 * Otherwise a durable wait at least the threshold old (time since the thread last ran, when the
 * scheduler tells it) is "blocked"; a wait whose age is unknown gets no verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "attach_proc.h"
#include "tl_vec.h"
#include "tl_wfgraph.h"

static bool lock_wait(const struct tla_wait *w)
{
    return w->reason && w->owner_tid > 0 &&
           (!strcmp(w->reason, "mutex lock") || (!strcmp(w->reason, "join") && w->durable));
}

static long index_of(const struct tla_proc *p, pid_t tid)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i].tid == tid)
            return (long)i;
    return -1;
}

static void add_cycle(void *ctx, const size_t *members, size_t len)
{
    struct tla_proc *p = ctx;
    size_t *m = malloc((len ? len : 1) * sizeof *m);
    if (m == NULL || TL_VEC_PUSH_SLOT(p->dl, p->dl_cap, p->ndl) != 0) {
        free(m);
        return;
    }
    memcpy(m, members, len * sizeof *m);
    p->dl[p->ndl++] = (struct tla_cycle){m, len};
    for (size_t k = 0; k < len; k++)
        p->t[members[k]].verdict = "deadlocked";
}

/* Waiters of a mutex whose owner tid is no thread of the system: one entry per mutex. */
static void find_orphans(struct tla_proc *p, const long *next)
{
    for (size_t i = 0; i < p->n; i++) {
        struct tla_thread *t = &p->t[i];
        if (next[i] >= 0 || t->verdict || !lock_wait(&t->wait) ||
            strcmp(t->wait.reason, "mutex lock") || tla_alive(t->wait.owner_tid))
            continue;
        size_t *m = malloc(p->n * sizeof *m), nm = 0;
        for (size_t k = i; m && k < p->n; k++)
            if (next[k] < 0 && !p->t[k].verdict && lock_wait(&p->t[k].wait) &&
                p->t[k].wait.object == t->wait.object)
                m[nm++] = k;
        if (m)
            add_cycle(p, m, nm);
        free(m);
    }
}

static void mark_waiters(struct tla_proc *p, const long *next)
{
    bool *dead = calloc(p->n, sizeof *dead), *reach = calloc(p->n, sizeof *reach);
    for (size_t i = 0; dead && i < p->n; i++)
        dead[i] = p->t[i].verdict != NULL;
    if (dead && reach && tl_wfg_reaches(next, p->n, dead, reach) == 0)
        for (size_t i = 0; i < p->n; i++)
            if (reach[i])
                p->t[i].verdict = "deadlocked";
    free(dead);
    free(reach);
}

static void judge_rest(struct tla_proc *p)
{
    bool all = p->n > 0;
    for (size_t i = 0; i < p->n; i++)
        all = all && p->t[i].wait.reason && p->t[i].wait.durable;
    p->all_asleep = all;
    for (size_t i = 0; i < p->n; i++) {
        struct tla_thread *t = &p->t[i];
        if (t->verdict || !t->wait.reason || !t->wait.durable)
            continue;
        if (all)
            t->verdict = "deadlocked";
        else if (t->since_ms >= 0 && t->since_ms >= p->threshold_ms)
            t->verdict = "blocked";
    }
}

void tla_judge(struct tla_proc *p)
{
    long *next = malloc((p->n ? p->n : 1) * sizeof *next);
    if (next == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        const struct tla_wait *w = &p->t[i].wait;
        next[i] = lock_wait(w) ? index_of(p, w->owner_tid) : -1;
        if (next[i] == (long)i)
            next[i] = -1;
        p->t[i].next = (int)next[i];
    }
    tl_wfg_cycles(next, p->n, add_cycle, p);
    find_orphans(p, next);
    mark_waiters(p, next);
    free(next);
    judge_rest(p);
}

void tla_unit_id(const struct tla_proc *p, size_t i, char *buf, size_t len)
{
    if (p->t[i].tid == p->pid)
        snprintf(buf, len, "thread:1");
    else
        snprintf(buf, len, "thread:?%d", (int)p->t[i].tid);
}
