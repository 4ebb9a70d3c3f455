/* tl_group: building the report model (see tl_group.h).
 *
 * DESIGN. A build runs in five steps, each a small function: collect (registry snapshot with
 * lazily unwound blocked stacks, gor's task snapshot, threads found only in /proc/self/task),
 * classify (verdicts per mode; wait-for cycles through mutex owners become "deadlocked"),
 * suppress (tl_supp against start function, creation and blocked stacks), group (same verdict,
 * kind, reason, creation and blocked stack: pprof debug=1's identity), count. Threads that are
 * runtime machinery (ours, gor's workers) and the thread running the gate are left out.
 *
 * Deadlock analysis is a separate step over the model (tl_deadlock_analyze, the watchdog
 * engineer's module), run for every mode but dumps.
 */
#include "tl_group.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_deadlock.h"
#include "tl_exits.h"
#include "tl_gor.h"
#include "tl_growth.h"
#include "tl_object.h"
#include "tl_origin.h"
#include "tl_proof.h"
#include "tl_inversion.h"
#include "tl_real.h"
#include "tl_render.h"
#include "tl_supp.h"
#include "tl_symbols.h"
#include "tl_thread.h"
#include "tl_vec.h"

#define MAX_UNKNOWN 4096

static struct tl_rep_unit *add_unit(struct tl_report *r)
{
    if (TL_VEC_PUSH_SLOT(r->units, r->cap, r->n) != 0)
        return NULL;
    struct tl_rep_unit *u = &r->units[r->n++];
    memset(u, 0, sizeof *u);
    return u;
}

/* True for a thread left out of reports: the thread running the report, threads joining it (a
 * worker calling exit() while main joins it: main is waiting for the exit, not leaked), runtime
 * machinery (ours, gor's), and ignored units in checks. */
static bool hidden_thread(const struct tl_unit_view *v, enum tl_build_mode mode,
                          uint64_t exclude_seq)
{
    bool joins_me = v->blocked && v->wait.reason != NULL && strcmp(v->wait.reason, "join") == 0 &&
                    v->wait.object == (uintptr_t)pthread_self();
    return v->seq == exclude_seq || joins_me || v->internal ||
           (mode != TL_BUILD_DUMP && v->ignored) || tl_gor_runtime_thread(v->start) ||
           tl_gor_created_by_runtime(v->created_stack);
}

static int add_thread(struct tl_report *r, const struct tl_unit_view *v, int64_t now_ns)
{
    struct tl_rep_unit *u = add_unit(r);
    if (u == NULL)
        return -1;
    snprintf(u->id, sizeof u->id, "thread:%llu", (unsigned long long)v->seq);
    u->kind = TL_KIND_THREAD;
    u->tid = v->tid;
    u->handle = v->handle;
    u->start = v->start;
    u->detached = v->detached;
    u->exited_ms = v->exited ? (now_ns - v->exited_ns) / 1000000 : -1;
    snprintf(u->name, sizeof u->name, "%s", v->name);
    /* an exited record's tid may belong to another thread by now: its name was kept at exit */
    if (u->name[0] == '\0' && v->tid != 0 && v->seq != 1 && !v->exited) {
        char comm[32];
        tl_thread_proc_info(v->tid, comm, sizeof comm);
        /* unnamed threads inherit their creator's name: the program's, or a gor worker's */
        if (strcmp(comm, program_invocation_short_name) != 0 &&
            strcmp(comm, v->inherited_name) != 0)
            snprintf(u->name, sizeof u->name, "%.31s", comm);
    }
    u->state = v->exited ? "exited" : v->blocked ? "blocked" : "running";
    u->has_wait = v->blocked;
    u->wait = v->wait;
    u->wait_ms = v->blocked ? (now_ns - v->wait.since_ns) / 1000000 : 0;
    u->owner_tid = v->owner_tid;
    if (v->creator_task != 0) /* the task that ran pthread_create, not its worker thread */
        snprintf(u->created_by, sizeof u->created_by, "task:%lld", (long long)v->creator_task);
    else if (v->creator_seq != 0)
        snprintf(u->created_by, sizeof u->created_by, "thread:%llu",
                 (unsigned long long)v->creator_seq);
    u->created_stack = v->created_stack;
    u->blocked_stack = v->blocked_stack;
    tl_stack_ref(u->created_stack);
    tl_stack_ref(u->blocked_stack);
    snprintf(u->label, sizeof u->label, "%s", v->label);
    return 0;
}

static int add_task(struct tl_report *r, const struct tl_gor_unit *t)
{
    struct tl_rep_unit *u = add_unit(r);
    if (u == NULL)
        return -1;
    snprintf(u->id, sizeof u->id, "task:%lld", (long long)t->task);
    u->kind = TL_KIND_TASK;
    u->exited_ms = -1;
    u->tid = t->tid;
    u->task = t->task;
    snprintf(u->name, sizeof u->name, "%s", t->name);
    u->start = t->start;
    u->state = t->state;
    u->has_wait = t->reason != NULL;
    u->wait.reason = t->reason;
    u->wait.call = t->call;
    u->wait.object = t->object;
    u->wait.durable = t->durable;
    u->wait_ms = t->since_ms;
    snprintf(u->created_by, sizeof u->created_by, "%s", t->created_by);
    snprintf(u->label, sizeof u->label, "%s", t->label);
    u->created_stack = t->created_stack;
    u->blocked_stack = t->blocked_stack;
    tl_stack_ref(u->created_stack);
    tl_stack_ref(u->blocked_stack);
    /* exited ancestors carry no verdict; deadlocked is decided in classify */
    u->grouped = t->deadlocked; /* temporary marker, consumed by classify */
    return 0;
}

/* A task running on a thread that is blocked in a pthread call takes the thread's wait. */
static void lend_thread_waits(struct tl_report *r, const struct tl_snapshot *s, int64_t now_ns)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct tl_unit_view *v = &s->v[i];
        if (!v->blocked || v->wait.task == 0)
            continue;
        for (size_t k = 0; k < r->n; k++) {
            struct tl_rep_unit *u = &r->units[k];
            if (u->kind != TL_KIND_TASK || u->task != v->wait.task || strcmp(u->state, "running"))
                continue;
            u->state = "blocked";
            u->has_wait = true;
            u->wait = v->wait;
            u->wait_ms = (now_ns - v->wait.since_ns) / 1000000;
            u->owner_tid = v->owner_tid;
            tl_stack_unref(u->blocked_stack);
            u->blocked_stack = v->blocked_stack;
            tl_stack_ref(u->blocked_stack);
        }
    }
}

/* True when tid belongs to a registered unit, to the watchdog, or may belong to a unit that has
 * not yet recorded its tid (a thread just created has not run its first instruction yet: while
 * any unit is unattached, no thread is called unknown). */
static bool tid_known(const struct tl_snapshot *s, pid_t tid)
{
    if (tid == atomic_load(&tl_ctx.watchdog_tid))
        return true;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].tid == tid || s->v[i].tid == 0)
            return true;
    return false;
}

/* Tids ignored by taskleak_ignore_current that the registry does not know (see tl_gate). */
static pid_t ignored_unknown[256];
static _Atomic size_t n_ignored_unknown;

void tl_group_ignore_unknown(void)
{
    pid_t tids[256];
    size_t n = tl_thread_scan_unknown(tids, 256);
    memcpy(ignored_unknown, tids, sizeof tids);
    atomic_store(&n_ignored_unknown, n < 256 ? n : 256);
}

static bool tid_ignored(pid_t tid)
{
    size_t n = atomic_load(&n_ignored_unknown);
    for (size_t i = 0; i < n; i++)
        if (ignored_unknown[i] == tid)
            return true;
    return false;
}

/* Threads the interposer never saw (raw clone, created before us, a library calling glibc's
 * pthread_create directly): thread:?TID, with the kernel's name and state. */
/* True when tid is a thread that was ours and has just exited (the exit ring of tl_deadlock): a
 * joined thread lingers in /proc/self/task for a moment after its joiner woke up. */
static bool recently_exited(pid_t tid)
{
    tl_stack_id stack = 0;
    uint64_t seq = tl_exits_find(tid, &stack);
    tl_stack_unref(stack);
    return seq != 0;
}

/* A candidate unknown thread, confirmed only if it is still there after a short pause (an exiting
 * thread that was never ours, e.g. from a library that bypasses us, leaves /proc shortly). */
static bool still_alive(pid_t tid, char *comm, size_t n, char *state)
{
    *state = tl_thread_proc_info(tid, comm, n);
    return *state != 'Z' && *state != 'X' && *state != '?';
}

static int add_unknown(struct tl_report *r, const struct tl_snapshot *s, enum tl_build_mode mode)
{
    pid_t *tids = malloc(MAX_UNKNOWN * sizeof *tids);
    if (tids == NULL)
        return -1;
    size_t n = tl_thread_scan_unknown(tids, MAX_UNKNOWN), cand = 0;
    for (size_t i = 0; i < n && i < MAX_UNKNOWN; i++)
        if (!tid_known(s, tids[i]) && !(mode != TL_BUILD_DUMP && tid_ignored(tids[i])) &&
            !recently_exited(tids[i]))
            tids[cand++] = tids[i];
    /* A thread created after the snapshot (a lazily started runtime worker, the watchdog) is in
     * /proc before it is in s: after the pause, ask the registry again. */
    struct tl_snapshot now = {0};
    bool fresh = false;
    if (cand > 0) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        tl_real.nanosleep(&pause, NULL);
        fresh = tl_registry_snapshot(&now, false, 0, 1024) == 0;
    }
    for (size_t i = 0; i < cand; i++) {
        char comm[32], st;
        if (!still_alive(tids[i], comm, sizeof comm, &st) || recently_exited(tids[i]) ||
            (fresh && tid_known(&now, tids[i])))
            continue;
        struct tl_rep_unit *u = add_unit(r);
        if (u == NULL)
            break;
        snprintf(u->id, sizeof u->id, "thread:?%d", (int)tids[i]);
        u->kind = TL_KIND_THREAD;
        u->exited_ms = -1;
        u->tid = tids[i];
        u->unknown = true;
        snprintf(u->name, sizeof u->name, "%s", comm);
        u->state = st == 'R' ? "running" : "blocked"; /* the kernel's word: no wait is known */
        u->start = tl_origin_start(tids[i], r->modmap);
    }
    if (fresh)
        tl_snapshot_free(&now);
    free(tids);
    return 0;
}

static int collect(struct tl_report *r, uint64_t exclude_seq)
{
    struct tl_snapshot s;
    int rc = tl_registry_snapshot(&s, true, r->opts->stack_depth, 1024);
    int64_t now = tl_now_ns();
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        if (!hidden_thread(&s.v[i], r->mode, exclude_seq) &&
            (!s.v[i].exited || tl_build_final(r->mode)))
            rc = add_thread(r, &s.v[i], now);
    struct tl_gor_snapshot g = {0};
    if (rc == 0 && tl_gor_present() && tl_gor_snapshot_take(&g, r->opts->stack_depth) == 0) {
        for (size_t i = 0; rc == 0 && i < g.n; i++)
            rc = add_task(r, &g.units[i]);
        lend_thread_waits(r, &s, now);
    }
    tl_gor_snapshot_free(&g);
    if (rc == 0)
        rc = add_unknown(r, &s, r->mode);
    tl_snapshot_free(&s);
    return rc;
}

/* The verdict of one unit before deadlock analysis. gor_dead: gor declared its global deadlock and
 * the unit is one of its tasks, or a plain thread waiting inside a gor call (gor_main's caller). */
static const char *verdict_for(const struct tl_report *r, const struct tl_rep_unit *u,
                               bool gor_dead)
{
    if (strcmp(u->state, "exited") == 0) /* exited tasks are ancestors; threads are records */
        return u->kind == TL_KIND_THREAD && tl_build_final(r->mode) ? "unjoined" : NULL;
    if (gor_dead || (r->mode == TL_BUILD_DEADLOCK && r->all_asleep))
        return "deadlocked";
    /* The watchdog suspects only durable waits: a server's accept() or a sleeper's nanosleep
     * may last forever by design, and the watchdog's own scan counts durable waits alone. A dump
     * judges like the watchdog: the process is still running, nothing is leaked yet; so does a
     * deadlock report on a cycle while other units still run. */
    if (r->mode == TL_BUILD_WATCHDOG || r->mode == TL_BUILD_DUMP || r->mode == TL_BUILD_DEADLOCK)
        return u->has_wait && u->wait.durable &&
                       tl_past_threshold(u->wait_ms * 1000000, r->opts->threshold_ms * 1000000)
                   ? "blocked"
                   : NULL;
    /* Killed by a signal, the main thread is where the program was, not work it left behind. */
    if (r->mode == TL_BUILD_SIGNAL && u->kind == TL_KIND_THREAD && u->tid == getpid())
        return NULL;
    return "leaked";
}

static void classify(struct tl_report *r)
{
    bool gor_dead = tl_gor_present() && tl_gor_deadlocked();
    for (size_t i = 0; i < r->n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        bool dead = u->grouped || (gor_dead && u->kind == TL_KIND_THREAD && u->has_wait &&
                                   u->wait.call != NULL && strncmp(u->wait.call, "gor_", 4) == 0);
        u->grouped = false;
        u->verdict = verdict_for(r, u, dead);
    }
    tl_deadlock_analyze(r); /* owners; cycles and orphaned mutexes become "deadlocked" */
}

/* Matches every unit with a verdict against the suppressions s (NULL: none); a matched unit loses
 * its verdict and keeps the pattern. */
static void suppress(struct tl_report *r, struct tl_supp *s)
{
    const char *fns[2 * TL_STACK_MAX_FRAMES + 1];
    for (size_t i = 0; i < r->n && s != NULL; i++) {
        struct tl_rep_unit *u = &r->units[i];
        if (u->verdict == NULL)
            continue;
        size_t n = tl_report_unit_functions(r, u, fns, sizeof fns / sizeof fns[0]);
        enum tl_supp_kind k = strcmp(u->verdict, "blocked") == 0 ? TL_SUPP_BLOCK : TL_SUPP_LEAK;
        u->suppressed = tl_supp_match(s, k, fns, n, u->name[0] ? u->name : NULL);
        if (u->suppressed != NULL)
            u->verdict = NULL;
    }
}

/* Units without a wait (threads of unknown origin, running ones) are grouped by state as well, so
 * a group's headline state is every member's: never running and blocked at once. */
static bool same_group(const struct tl_report *r, const struct tl_rep_group *g,
                       const struct tl_rep_unit *u)
{
    const char *reason = u->has_wait ? u->wait.reason : NULL;
    if (reason == NULL && strcmp(r->units[g->members[0]].state, u->state) != 0)
        return false;
    bool same_verdict = g->verdict == u->verdict ||
                        (g->verdict && u->verdict && strcmp(g->verdict, u->verdict) == 0);
    return g->kind == u->kind && g->created_stack == u->created_stack && g->proof == u->proof &&
           g->blocked_stack == u->blocked_stack && same_verdict &&
           (g->reason == reason || (g->reason && reason && strcmp(g->reason, reason) == 0));
}

static int group_add(struct tl_report *r, size_t idx)
{
    struct tl_rep_unit *u = &r->units[idx];
    struct tl_rep_group *g = NULL;
    for (size_t k = 0; k < r->ngroups && g == NULL; k++)
        if (same_group(r, &r->groups[k], u))
            g = &r->groups[k];
    if (g == NULL) {
        if (TL_VEC_PUSH_SLOT(r->groups, r->groups_cap, r->ngroups) != 0)
            return -1;
        g = &r->groups[r->ngroups++];
        *g = (struct tl_rep_group){u->verdict,
                                   u->proof,
                                   u->kind,
                                   u->has_wait ? u->wait.reason : NULL,
                                   u->created_stack,
                                   u->blocked_stack,
                                   NULL,
                                   0,
                                   u->wait_ms,
                                   u->wait_ms,
                                   NULL,
                                   0};
    }
    if (TL_VEC_PUSH_SLOT(g->members, g->members_cap, g->count) != 0)
        return -1;
    g->members[g->count++] = idx;
    g->wait_min = u->wait_ms < g->wait_min ? u->wait_ms : g->wait_min;
    g->wait_max = u->wait_ms > g->wait_max ? u->wait_ms : g->wait_max;
    return 0;
}

/* tl_render's order of groups, which taskleak-report's merged view follows too. */
static int by_render_order(const void *a, const void *b, void *arg)
{
    const struct tl_report *r = arg;
    const struct tl_rep_group *x = a, *y = b;
    return tl_render_group_order(x->verdict, (long long)x->count,
                                 x->count ? r->units[x->members[0]].id : NULL, y->verdict,
                                 (long long)y->count, y->count ? r->units[y->members[0]].id : NULL);
}

void tl_group_sort(struct tl_report *r)
{
    if (r->ngroups > 1)
        qsort_r(r->groups, r->ngroups, sizeof *r->groups, by_render_order, r);
}

static int group_and_count(struct tl_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        if (strcmp(u->state, "exited") != 0)
            r->alive++;
        r->suppressed += u->suppressed != NULL;
        /* A dump or a signal report groups every live unit, judged or not: it is the whole
         * picture of a running or a dying process. */
        bool shown = (r->mode == TL_BUILD_DUMP || r->mode == TL_BUILD_SIGNAL) &&
                     u->suppressed == NULL && strcmp(u->state, "exited") != 0;
        if (u->verdict == NULL && !shown)
            continue;
        if (u->verdict != NULL) {
            r->leaked += strcmp(u->verdict, "leaked") == 0;
            r->unjoined += strcmp(u->verdict, "unjoined") == 0;
            r->deadlocked += strcmp(u->verdict, "deadlocked") == 0;
            r->blocked += strcmp(u->verdict, "blocked") == 0;
            r->proven += u->proof != NULL;
        }
        if (group_add(r, i) < 0)
            return -1;
    }
    return 0;
}

/* ---- growing creation sites (tl_growth) -------------------------------------------------- */

static bool site_member(const struct tl_growth_found *s, const struct tl_rep_unit *u)
{
    return u->created_stack == s->created_stack && u->start == s->start && u->kind == s->kind &&
           strcmp(u->state, "exited") != 0;
}

/* A "growing" group for site s: r's live units created there, with the site's figures. */
static int add_growing(struct tl_report *r, const struct tl_growth_found *s)
{
    if (TL_VEC_PUSH_SLOT(r->groups, r->groups_cap, r->ngroups) != 0)
        return -1;
    struct tl_rep_group *grp = &r->groups[r->ngroups];
    *grp = (struct tl_rep_group){.verdict = "growing", .kind = s->kind,
                                 .created_stack = s->created_stack};
    grp->growth = malloc(sizeof *grp->growth);
    grp->members = malloc((r->n + 1) * sizeof *grp->members);
    if (grp->growth == NULL || grp->members == NULL) {
        free(grp->growth);
        free(grp->members);
        return -1;
    }
    *grp->growth = s->g;
    for (size_t i = 0; i < r->n; i++)
        if (site_member(s, &r->units[i]))
            grp->members[grp->count++] = i;
    r->ngroups++;
    r->growing++;
    return 0;
}

int tl_growth_groups(struct tl_report *r)
{
    struct tl_growth_found s;
    for (size_t i = 0; i < TL_GROWTH_SITES; i++)
        if (tl_growth_found(i, &s) && add_growing(r, &s) < 0)
            return -1;
    return 0;
}

static int build(struct tl_report *r, enum tl_build_mode mode, uint64_t exclude_seq,
                 bool all_asleep, const struct tl_options *o, struct tl_supp *s)
{
    static const char *const kinds[] = {"exit",     "check",  "dump",
                                        "watchdog", "signal", "deadlock"};
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->opts = o;
    r->supp = s;
    r->all_asleep = all_asleep;
    r->kind = kinds[mode];
    snprintf(r->file_kind, sizeof r->file_kind, "%s", r->kind);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->written_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    r->threads_created = tl_registry_created();
    r->tasks_created = tl_gor_present() ? tl_gor_tasks_created() : 0;
    r->modmap = tl_modmap_take();
    if (collect(r, exclude_seq) < 0)
        goto fail;
    classify(r);
    tl_proof_apply(r); /* proven units are leaked in every mode (tl_proof_use.c) */
    tl_object_name_all(r);
    suppress(r, s);
    if (group_and_count(r) < 0 || tl_growth_groups(r) < 0)
        goto fail;
    tl_group_sort(r);
    tl_inversion_collect(r, s);
    return 0;
fail:
    tl_report_free(r);
    errno = ENOMEM;
    return -1;
}

int tl_report_build(struct tl_report *r, enum tl_build_mode mode, uint64_t exclude_seq,
                    const struct tl_options *o, struct tl_supp *s)
{
    return build(r, mode, exclude_seq, false, o, s);
}

int tl_report_build_deadlock(struct tl_report *r, bool all_asleep, const struct tl_options *o,
                             struct tl_supp *s)
{
    return build(r, TL_BUILD_DEADLOCK, 0, all_asleep, o, s);
}

void tl_report_free(struct tl_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        tl_stack_unref(r->units[i].created_stack);
        tl_stack_unref(r->units[i].blocked_stack);
    }
    for (size_t k = 0; k < r->ngroups; k++) {
        free(r->groups[k].members);
        free(r->groups[k].growth);
    }
    for (size_t k = 0; k < r->ndeadlocks; k++)
        free(r->deadlocks[k].members);
    free(r->units);
    free(r->groups);
    free(r->deadlocks);
    tl_inversion_free(r);
    tl_modmap_free(r->modmap);
    enum tl_build_mode mode = r->mode;
    const struct tl_options *o = r->opts;
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->opts = o;
}
