/* tl_proof_use: where leak proofs are used (see tl_proof.h): the report model (exit gate,
 * taskleak_check, dumps, signal, watchdog and deadlock reports), the exit gate's grace wait and
 * the watchdog's periodic look.
 *
 * DESIGN. Each caller turns what it already has (the report model, or a registry snapshot and
 * gor's task snapshot without unwinding) into tl_proof_unit rows and asks tl_proof_scan. The
 * watchdog scans at most once per threshold and only while some unit is in a durable wait, and
 * spends at most a twentieth of its time on it (the gap after a scan is 20 times its cost); it
 * logs a unit the first time it is proven (a small table of ids already told), so a service that
 * never exits still hears of a leak once.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_group.h"
#include "tl_log.h"
#include "tl_proof.h"
#include "tl_reason.h"

#define TOLD_MAX 4096

/* The watchdog's proofs are budgeted: it spends at most 1/BUDGET of its time proving. Before its
 * first scan the cost is guessed from the units there are (bench-proof.sh measures about 20 us a
 * unit), so a service with 100 000 blocked tasks is not stalled for seconds at its first look. */
#define BUDGET          20
#define GUESS_NS_A_UNIT 20000

static _Atomic int64_t next_watch_ns; /* 0: no watchdog scan was considered yet */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* True (and the clock moved on) when a periodic scan over `units` units is due; one scan per
 * threshold_ms at most. */
static bool watch_due(size_t units, int64_t threshold_ms)
{
    int64_t now = mono_ns(), due = atomic_load(&next_watch_ns);
    if (threshold_ms <= 0)
        return false;
    if (due == 0) {
        int64_t first = now + BUDGET * (int64_t)units * GUESS_NS_A_UNIT;
        if (!atomic_compare_exchange_strong(&next_watch_ns, &due, first))
            return false; /* another caller set it */
        due = first;
    }
    if (now < due)
        return false;
    return atomic_compare_exchange_strong(&next_watch_ns, &due, now + threshold_ms * 1000000);
}

/* A periodic scan that began at t0 ended: the next waits a threshold, or BUDGET times its cost. */
static void watch_done(int64_t t0, int64_t threshold_ms)
{
    int64_t now = mono_ns(), gap = threshold_ms * 1000000;
    if (BUDGET * (now - t0) > gap)
        gap = BUDGET * (now - t0);
    atomic_store(&next_watch_ns, now + gap);
}

static void from_rep(struct tl_proof_unit *p, const struct tl_rep_unit *u)
{
    memset(p, 0, sizeof *p);
    p->kind = u->kind;
    p->tid = u->tid;
    p->task = u->task;
    p->handle = u->handle;
    bool waiting = u->has_wait && strcmp(u->state, "blocked") == 0;
    p->reason = waiting ? u->wait.reason : NULL;
    p->object = u->wait.object;
    p->durable = waiting && u->wait.durable;
}

/* Which reports prove: not a signal report (the signal is raised again after at most 5 s, and a
 * scan of a big heap must not cost the report); a watchdog report within the budget. */
static bool proves(const struct tl_report *r)
{
    if (!r->opts->proof || r->n == 0 || r->mode == TL_BUILD_SIGNAL)
        return false;
    return r->mode != TL_BUILD_WATCHDOG || watch_due(r->n, r->opts->threshold_ms);
}

void tl_proof_apply(struct tl_report *r)
{
    bool watch = r->mode == TL_BUILD_WATCHDOG;
    if (!proves(r))
        return;
    int64_t t0 = mono_ns();
    struct tl_proof_unit *p = malloc(r->n * sizeof *p);
    if (p == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        from_rep(&p[i], &r->units[i]);
    const void *own[] = {r->units, r->groups, r->deadlocks};
    if (tl_proof_scan(p, r->n, own, 3) > 0)
        for (size_t i = 0; i < r->n; i++) {
            struct tl_rep_unit *u = &r->units[i];
            if (!p[i].proven)
                continue;
            u->proof = "unreachable";
            if (u->verdict == NULL || strcmp(u->verdict, "blocked") == 0)
                u->verdict = "leaked";
        }
    free(p);
    if (watch)
        watch_done(t0, r->opts->threshold_ms);
}

/* Rows for every live unit a check judges: registry threads and gor's tasks, no unwinding. */
static struct tl_proof_unit *live_units(size_t *n, uint64_t exclude_seq, int skip_ignored)
{
    struct tl_snapshot s;
    struct tl_gor_snapshot g = {0};
    *n = 0;
    if (tl_registry_snapshot(&s, false, 0, 1024) < 0 ||
        (tl_gor_present() && tl_gor_snapshot_take(&g, 0) < 0)) {
        tl_snapshot_free(&s);
        return NULL;
    }
    struct tl_proof_unit *p = malloc((s.n + g.n + 1) * sizeof *p);
    for (size_t i = 0; p != NULL && i < s.n; i++) {
        const struct tl_unit_view *v = &s.v[i];
        if (v->exited || v->seq == exclude_seq || v->internal || (skip_ignored && v->ignored) ||
            tl_gor_runtime_thread(v->start) || tl_gor_created_by_runtime(v->created_stack))
            continue;
        p[*n] = (struct tl_proof_unit){TL_KIND_THREAD, v->tid,
                                       v->seq,         0,
                                       v->handle,      v->blocked ? v->wait.reason : NULL,
                                       v->wait.object, v->blocked && v->wait.durable,
                                       false};
        ++*n;
    }
    for (size_t i = 0; p != NULL && i < g.n; i++) {
        const struct tl_gor_unit *t = &g.units[i];
        if (strcmp(t->state, "exited") == 0)
            continue;
        p[*n] = (struct tl_proof_unit){TL_KIND_TASK,
                                       t->tid,
                                       0,
                                       t->task,
                                       0,
                                       t->reason,
                                       t->object,
                                       t->reason != NULL && t->durable,
                                       false};
        ++*n;
    }
    tl_snapshot_free(&s);
    tl_gor_snapshot_free(&g);
    return p;
}

bool tl_proof_all_proven(uint64_t exclude_seq, int skip_ignored)
{
    size_t n = 0;
    struct tl_proof_unit *p = live_units(&n, exclude_seq, skip_ignored);
    bool all = p != NULL && n > 0 && tl_proof_scan(p, n, NULL, 0) == (long)n;
    free(p);
    return all;
}

static uint64_t told[TOLD_MAX];
static size_t ntold;

/* True the first time a unit is seen proven (ids of tasks have their top bit set). */
static bool first_time(const struct tl_proof_unit *u)
{
    uint64_t id = u->kind == TL_KIND_TASK ? (uint64_t)u->task | (1ULL << 63) : u->seq;
    for (size_t i = 0; i < ntold; i++)
        if (told[i] == id)
            return false;
    if (ntold < TOLD_MAX)
        told[ntold++] = id;
    return true;
}

void tl_proof_watch(size_t units, int64_t threshold_ms)
{
    size_t n = 0;
    if (!watch_due(units, threshold_ms))
        return;
    int64_t t0 = mono_ns();
    struct tl_proof_unit *p = live_units(&n, 0, 1);
    if (p != NULL && tl_proof_scan(p, n, NULL, 0) > 0)
        for (size_t i = 0; i < n; i++) {
            const char *word = tl_reason_object_word(p[i].reason);
            if (p[i].proven && first_time(&p[i]))
                tl_logf("%s:%lld leaked (proven: nothing can reach %s 0x%lx it waits "
                        "on)",
                        p[i].kind == TL_KIND_TASK ? "task" : "thread",
                        p[i].kind == TL_KIND_TASK ? (long long)p[i].task : (long long)p[i].seq,
                        word ? word : "the object", (unsigned long)p[i].object);
        }
    free(p);
    watch_done(t0, threshold_ms);
}
