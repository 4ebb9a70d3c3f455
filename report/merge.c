/*
 * Merging groups across processes (see merge.h for the identity rule).
 *
 * One pass over every process's groups: compute the identity string, find or add the merged
 * group in a uthash index, append the occurrence. Then the merged groups are put in an array
 * in the detector's order (tl_render_group_order: severity, larger counts first, first unit),
 * identity last so the output is stable from run to run. The identity string uses ASCII
 * unit/record separators between fields so no function name can make two identities collide.
 */
#include "merge.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_render.h"
#include "tl_vec.h"

struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (TL_VEC_RESERVE(b->s, b->cap, b->len + n + 1) != 0) {
        b->oom = true;
        return;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

static char *sb_finish(struct sbuf *b)
{
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s ? b->s : strdup("");
}

static void add_head(struct sbuf *b, const char *verdict, const char *kind, const char *reason)
{
    sb_add(b, verdict ? verdict : "");
    sb_add(b, "\x1f");
    sb_add(b, kind ? kind : "");
    sb_add(b, "\x1f");
    sb_add(b, reason ? reason : "-");
}

char *tlr_identity_names(const char *verdict, const char *kind, const char *reason,
                         const char *const *blocked, size_t nblocked, const char *const *created,
                         size_t ncreated)
{
    struct sbuf b = {0};
    add_head(&b, verdict, kind, reason);
    sb_add(&b, "\x1e");
    for (size_t i = 0; i < nblocked; i++) {
        sb_add(&b, blocked[i]);
        sb_add(&b, "\x1f");
    }
    sb_add(&b, "\x1e");
    for (size_t i = 0; i < ncreated; i++) {
        sb_add(&b, created[i]);
        sb_add(&b, "\x1f");
    }
    return sb_finish(&b);
}

static void add_stack(struct sbuf *b, const struct tlr_proc *p, const struct tlr_stack *s)
{
    char buf[256];
    sb_add(b, "\x1e");
    for (size_t i = 0; s && i < s->nframes; i++) {
        sb_add(b, tlr_frame_name(p, &s->frames[i], buf, sizeof buf));
        sb_add(b, "\x1f");
    }
}

char *tlr_identity(const struct tlr_proc *p, const char *verdict, const char *kind,
                   const char *reason, const struct tlr_stack *blocked,
                   const struct tlr_stack *created)
{
    struct sbuf b = {0};
    add_head(&b, verdict, kind, reason);
    add_stack(&b, p, blocked);
    add_stack(&b, p, created);
    return sb_finish(&b);
}

/* a + b, clamped to the long long range instead of overflowing (signed overflow is undefined).
 * Counts are non-negative once loaded, but this must hold for any pair. */
static long long sat_add(long long a, long long b)
{
    if (b > 0 && a > LLONG_MAX - b)
        return LLONG_MAX;
    if (b < 0 && a < LLONG_MIN - b)
        return LLONG_MIN;
    return a + b;
}

/* Two reports of one process (say "check-1" and "exit") list the same units again: same pid
 * and start time. Only one of them is merged (drop_superseded); should two still meet here, the
 * larger occurrence stands instead of both being counted. */
static bool same_process(const struct tlr_proc *a, const struct tlr_proc *b)
{
    return a != b && a->pid == b->pid && a->started && b->started &&
           !strcmp(a->started, b->started);
}

static void widen(struct tlr_mgroup *mg, const struct tlr_group *g)
{
    if (g->wait_min >= 0 && (mg->wait_min < 0 || g->wait_min < mg->wait_min))
        mg->wait_min = g->wait_min;
    if (g->wait_max > mg->wait_max)
        mg->wait_max = g->wait_max;
}

static int add_occ(struct tlr_mgroup *mg, struct tlr_proc *p, struct tlr_group *g)
{
    for (size_t i = 0; i < mg->nocc && i < 4096; i++) {
        struct tlr_occ *o = &mg->occ[i];
        if (!same_process(o->proc, p))
            continue;
        if (g->count > o->group->count) {
            mg->count = sat_add(mg->count - o->group->count, g->count);
            *o = (struct tlr_occ){p, g};
        }
        widen(mg, g);
        return 0;
    }
    if (TL_VEC_PUSH_SLOT(mg->occ, mg->capocc, mg->nocc) != 0)
        return -1;
    mg->occ[mg->nocc++] = (struct tlr_occ){p, g};
    mg->count = sat_add(mg->count, g->count);
    widen(mg, g);
    return 0;
}

static int merge_group(struct tlr_merged *m, struct tlr_proc *p, struct tlr_group *g)
{
    char *key = tlr_identity(p, g->verdict, g->kind, g->reason, g->blocked, g->created);
    struct tlr_mgroup *mg = NULL;
    if (!key)
        return -1;
    HASH_FIND_STR(m->index, key, mg);
    if (mg) {
        free(key);
        return add_occ(mg, p, g);
    }
    if (!(mg = calloc(1, sizeof *mg))) {
        free(key);
        return -1;
    }
    *mg = (struct tlr_mgroup){.key = key,
                              .proc = p,
                              .first = g,
                              .wait_min = -1,
                              .wait_max = -1,
                              .severity = tl_render_severity(g->verdict)};
    HASH_ADD_KEYPTR(hh, m->index, mg->key, strlen(mg->key), mg);
    if (tlr_hash_oom) {
        free(key);
        free(mg);
        return -1;
    }
    return add_occ(mg, p, g);
}

static const char *first_unit(const struct tlr_mgroup *g)
{
    return g->first->nunits ? g->first->units[0] : NULL;
}

/* tl_render's order of groups (the detector's), identity last so the output is stable. */
static int cmp_mgroup(const void *a, const void *b)
{
    const struct tlr_mgroup *x = *(const struct tlr_mgroup *const *)a;
    const struct tlr_mgroup *y = *(const struct tlr_mgroup *const *)b;
    int o = tl_render_group_order(x->first->verdict, x->count, first_unit(x), y->first->verdict,
                                  y->count, first_unit(y));
    return o != 0 ? o : strcmp(x->key, y->key);
}

static void add_summary(struct tlr_summary *t, const struct tlr_summary *s)
{
    t->threads_created = sat_add(t->threads_created, s->threads_created);
    t->tasks_created = sat_add(t->tasks_created, s->tasks_created);
    t->alive = sat_add(t->alive, s->alive);
    t->leaked = sat_add(t->leaked, s->leaked);
    t->deadlocked = sat_add(t->deadlocked, s->deadlocked);
    t->blocked = sat_add(t->blocked, s->blocked);
    t->unjoined = sat_add(t->unjoined, s->unjoined);
    t->inversions = sat_add(t->inversions, s->inversions);
    t->proven = sat_add(t->proven, s->proven);
}

/* The precedence of a report kind ("exit", "check-2" or "check"): higher speaks later and more
 * completely about its process; 0 for kinds not listed. */
static int tlr_kind_rank(const char *kind)
{
    static const char *const order[] = {"attach", "dump",   "watchdog", "check",
                                        "exit",   "signal", "deadlock"};
    size_t len = kind ? strcspn(kind, "-") : 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (len == strlen(order[i]) && !strncmp(kind, order[i], len))
            return (int)i + 1;
    return 0;
}

/* Whether report a has the later word on its process than b (same process). */
static bool outranks(const struct tlr_proc *a, const struct tlr_proc *b)
{
    int ra = tlr_kind_rank(a->kind), rb = tlr_kind_rank(b->kind);
    if (ra != rb)
        return ra > rb;
    int w = strcmp(a->written ? a->written : "", b->written ? b->written : "");
    if (w != 0)
        return w > 0;
    return strcmp(a->file ? a->file : "", b->file ? b->file : "") > 0;
}

static int cmp_standing(const void *x, const void *y)
{
    const struct tlr_proc *a = *(const struct tlr_proc *const *)x;
    const struct tlr_proc *b = *(const struct tlr_proc *const *)y;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    int s = strcmp(a->started ? a->started : "", b->started ? b->started : "");
    if (s != 0)
        return s;
    return outranks(a, b) ? -1 : outranks(b, a) ? 1 : 0;
}

/* Moves every report another report of its process outranks behind the standing ones, keeping
 * the standing ones in their order. */
static int drop_superseded(struct tlr_merged *m)
{
    size_t n = m->nprocs, keep = 0;
    struct tlr_proc **by = calloc(n + 1, sizeof *by), *moved = calloc(n + 1, sizeof *moved);
    bool *gone = calloc(n + 1, sizeof *gone);
    if (!by || !moved || !gone) {
        free(by), free(moved), free(gone);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        by[i] = &m->procs[i];
    qsort(by, n, sizeof *by, cmp_standing);
    for (size_t i = 1; i < n; i++) /* a run of one process: only its first report stands */
        gone[by[i] - m->procs] = same_process(by[i - 1], by[i]);
    for (size_t i = 0; i < n; i++)
        if (!gone[i])
            moved[keep++] = m->procs[i];
    for (size_t i = 0, k = keep; i < n; i++)
        if (gone[i])
            moved[k++] = m->procs[i];
    memcpy(m->procs, moved, n * sizeof *moved);
    m->nsuperseded = n - keep;
    m->nprocs = keep;
    free(by), free(moved), free(gone);
    return 0;
}

int tlr_merge(struct tlr_merged *m)
{
    if (drop_superseded(m) < 0)
        return -1;
    tlr_hash_oom = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        add_summary(&m->total, &m->procs[i].summary);
        for (size_t j = 0; j < m->procs[i].ngroups; j++)
            if (merge_group(m, &m->procs[i], &m->procs[i].groups[j]) < 0)
                return -1;
    }
    m->ngroups = HASH_COUNT(m->index);
    m->groups = calloc(m->ngroups + 1, sizeof *m->groups);
    if (!m->groups)
        return -1;
    size_t n = 0;
    for (struct tlr_mgroup *mg = m->index; mg; mg = mg->hh.next)
        m->groups[n++] = mg;
    qsort(m->groups, n, sizeof *m->groups, cmp_mgroup);
    return 0;
}

void tlr_merged_free(struct tlr_merged *m)
{
    struct tlr_mgroup *mg = m->index, *next;
    HASH_CLEAR(hh, m->index); /* uthash's own memory only; hh.next still chains every group */
    for (; mg; mg = next) {
        next = mg->hh.next;
        free(mg->key);
        free(mg->occ);
        free(mg);
    }
    free(m->groups);
    for (size_t i = 0; i < m->nprocs + m->nsuperseded; i++)
        tlr_proc_free(&m->procs[i]);
    free(m->procs);
    memset(m, 0, sizeof *m);
}
