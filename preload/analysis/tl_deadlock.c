/* tl_deadlock: wait-for cycles and orphaned mutexes over a report model (see tl_deadlock.h).
 *
 * DESIGN. The registry snapshot already read, for each pinned waiter, the tid that owns the mutex
 * (or writes the rwlock) it waits for; a join waits for the thread it names (its pthread_t, the
 * wait's object). Each is the only edge a unit can have, so "next[i]" is a function and the
 * three-colour walk shared with `taskleak attach` (tl_wfgraph.c) finds every cycle once in
 * O(units + sort): a thread that joins
 * another which waits for a mutex the joiner holds is as deadlocked as an ABBA pair. Owners are
 * mapped from tid, and joined threads from their handle, to units through sorted indexes. An owner
 * tid that maps to no unit and no living thread has exited while holding the lock: lockdep cannot
 * see this case (it tracks locks, not owners) but glibc keeps the dead tid in the mutex, so we can.
 * The ring of recent thread exits (tl_exits) says which thread that was and where it was created.
 */
#include "tl_deadlock.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_exits.h"
#include "tl_input.h"
#include "tl_object.h"
#include "tl_registry.h"
#include "tl_vec.h"
#include "tl_wfgraph.h"

/* ---- the graph ---------------------------------------------------------------------------- */

/* A live thread unit found by a key: its tid, or its pthread_t handle. */
struct key_idx {
    uintptr_t key;
    size_t idx;
};

static int by_key(const void *a, const void *b)
{
    const struct key_idx *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static bool lock_wait(const struct tl_rep_unit *u)
{
    return u->has_wait && u->owner_tid != 0 && u->wait.reason != NULL &&
           (strcmp(u->wait.reason, "mutex lock") == 0 || strncmp(u->wait.reason, "rwlock", 6) == 0);
}

/* An untimed join (pthread_join, thrd_join): the wait's object is the joined thread. A timed one
 * ends by itself, so it closes no cycle. */
bool tl_deadlock_join_wait(const struct tl_rep_unit *u)
{
    return u->has_wait && u->wait.durable && u->wait.object != 0 && u->wait.reason != NULL &&
           strcmp(u->wait.reason, "join") == 0;
}

/* Sorted (key, unit index) pairs of the live thread units, keyed by tid or by handle; NULL when
 * none or out of memory. */
static struct key_idx *index_threads(const struct tl_report *r, bool by_handle, size_t *n)
{
    struct key_idx *t = malloc((r->n ? r->n : 1) * sizeof *t);
    *n = 0;
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        uintptr_t key = by_handle ? u->handle : (uintptr_t)u->tid;
        if (u->kind == TL_KIND_THREAD && key != 0 && strcmp(u->state, "exited") != 0)
            t[(*n)++] = (struct key_idx){key, i};
    }
    qsort(t, *n, sizeof *t, by_key);
    return t;
}

static long find_key(const struct key_idx *t, size_t n, uintptr_t key)
{
    struct key_idx probe = {key, 0};
    const struct key_idx *hit = t ? bsearch(&probe, t, n, sizeof *t, by_key) : NULL;
    return hit ? (long)hit->idx : -1;
}

/* Any thread of the system, not only ours: a process-shared mutex may be held by a thread of
 * another process, and that owner is alive, not exited. */
static bool thread_alive(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)tid);
    return access(path, F_OK) == 0;
}

/* The owner of a lock wait that is not a unit of the model: the thread building the report (left
 * out of its own exit report, but still holding what it holds) is named by its unit id. */
static void owner_outside(struct tl_rep_unit *u)
{
    if (lock_wait(u) && u->owner_tid == (pid_t)gettid())
        tl_registry_self_id(u->owner, sizeof u->owner);
}

/* next[i]: the unit holding what unit i waits for (or the thread it joins), -1 when none is
 * known. Fills u->owner. */
static long *wait_for_edges(struct tl_report *r, size_t n)
{
    size_t nt = 0, nh = 0;
    struct key_idx *t = index_threads(r, false, &nt), *h = index_threads(r, true, &nh);
    long *next = malloc(n * sizeof *next);
    for (size_t i = 0; next != NULL && i < n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        next[i] = lock_wait(u)               ? find_key(t, nt, (uintptr_t)u->owner_tid)
                  : tl_deadlock_join_wait(u) ? find_key(h, nh, u->wait.object)
                                             : -1;
        if (next[i] == (long)i)
            next[i] =
                -1; /* a relock of one's own mutex (or a self-join) is not an edge we report */
        if (next[i] >= 0)
            snprintf(u->owner, sizeof u->owner, "%s", r->units[next[i]].id);
        else
            owner_outside(u);
    }
    free(t);
    free(h);
    return next;
}

static void mark(struct tl_report *r, size_t idx)
{
    if (r->mode != TL_BUILD_DUMP)
        r->units[idx].verdict = "deadlocked";
}

static void add_entry(struct tl_report *r, const size_t *members, size_t count)
{
    if (count == 0)
        return; /* callers always have a member; an empty entry would be no story at all */
    size_t *m = malloc(count * sizeof *m);
    if (m == NULL || TL_VEC_PUSH_SLOT(r->deadlocks, r->deadlocks_cap, r->ndeadlocks) != 0) {
        free(m);
        return;
    }
    memcpy(m, members, count * sizeof *m);
    r->deadlocks[r->ndeadlocks++] = (struct tl_deadlock){m, count};
    for (size_t k = 0; k < count; k++)
        mark(r, members[k]);
}

static void cycle_found(void *ctx, const size_t *members, size_t len)
{
    add_entry(ctx, members, len);
}

/* Every cycle of the functional graph (tl_wfgraph, shared with `taskleak attach`). */
static void find_cycles(struct tl_report *r, const long *next, size_t n)
{
    tl_wfg_cycles(next, n, cycle_found, r);
}

/* The unit sequence of the exited thread whose tid was `tid`: an exited record of the model (a
 * finished thread never joined), else the ring of recent exits. 0 when unknown. */
uint64_t tl_deadlock_exited_owner(const struct tl_report *r, pid_t tid)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        if (u->kind == TL_KIND_THREAD && u->tid == tid && u->state != NULL &&
            strcmp(u->state, "exited") == 0 && strncmp(u->id, "thread:", 7) == 0)
            return strtoull(u->id + 7, NULL, 10);
    }
    tl_stack_id st;
    uint64_t seq = tl_exits_find(tid, &st);
    tl_stack_unref(st);
    return seq;
}

/* Waiters of each mutex whose owner tid is neither a unit nor a living thread. */
static void find_orphans(struct tl_report *r, const long *next, size_t n)
{
    size_t *w = malloc(n * sizeof *w);
    bool *done = calloc(n, sizeof *done);
    for (size_t i = 0; w != NULL && done != NULL && i < n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        if (done[i] || next[i] >= 0 || !lock_wait(u) || thread_alive(u->owner_tid))
            continue;
        uint64_t seq = tl_deadlock_exited_owner(r, u->owner_tid);
        size_t nw = 0;
        for (size_t k = i; k < n; k++) {
            struct tl_rep_unit *v = &r->units[k];
            if (done[k] || next[k] >= 0 || !lock_wait(v) || v->wait.object != u->wait.object ||
                v->owner_tid != u->owner_tid)
                continue;
            done[k] = true;
            w[nw++] = k;
            if (seq != 0)
                snprintf(v->owner, sizeof v->owner, "thread:%llu", (unsigned long long)seq);
        }
        add_entry(r, w, nw);
    }
    free(w);
    free(done);
}

/* A unit whose wait leads, edge by edge, to a deadlocked unit can never wake either (a join on a
 * deadlocked thread, a lock a deadlocked thread holds): it is deadlocked too, though not listed in
 * any r->deadlocks entry. */
static void mark_waiters(struct tl_report *r, const long *next, size_t n)
{
    bool *dead = calloc(n, sizeof *dead), *reach = calloc(n, sizeof *reach);
    for (size_t i = 0; dead != NULL && i < n; i++)
        dead[i] = r->units[i].verdict && !strcmp(r->units[i].verdict, "deadlocked");
    if (dead != NULL && reach != NULL && tl_wfg_reaches(next, n, dead, reach) == 0)
        for (size_t i = 0; i < n; i++)
            if (reach[i] && !dead[i])
                mark(r, i);
    free(dead);
    free(reach);
}

/* The unit count is read once and passed down: every array below has n entries, so every loop
 * is bounded by that one n, not by r->n re-read after the walk has written into the units. */
void tl_deadlock_analyze(struct tl_report *r)
{
    size_t n = r->n;
    if (n == 0)
        return;
    long *next = wait_for_edges(r, n);
    if (next == NULL)
        return;
    find_cycles(r, next, n);
    find_orphans(r, next, n);
    if (r->mode != TL_BUILD_DUMP)
        mark_waiters(r, next, n);
    free(next);
}
