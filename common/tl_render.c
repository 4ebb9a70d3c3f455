/* tl_render: which lines a group gets and in what order, and the report's first and last lines
 * (see tl_render.h).
 *
 * DESIGN. Linked into libtaskleak.so and taskleak-report, as tl_fmt is. The view is plain data the
 * caller fills on its stack; stacks and unit ids come back through callbacks, so the detector
 * keeps walking its own interned stacks and the report tool its symbolized frames. No allocation,
 * no locks, stdio on the FILE given only.
 */
#include "tl_render.h"

#include <stdlib.h>
#include <string.h>

static void headline(FILE *f, const struct tl_fmt_style *s, const struct tl_render_group *g)
{
    tl_fmt_headline(f, s, g->count, g->kind, g->reason, g->reason ? g->dur : NULL, g->verdict);
    for (size_t i = 0; i < sizeof g->notes / sizeof g->notes[0]; i++)
        if (g->notes[i] != NULL)
            fprintf(f, " (%s)", g->notes[i]);
    fputc('\n', f);
}

static void wait_line(FILE *f, const struct tl_render_group *g)
{
    if (g->join && g->owner != NULL && g->owner[0] != '\0')
        fprintf(f, "  waits to join %s\n", g->owner);
    else if (g->wait_word != NULL && g->wait_place != NULL)
        tl_fmt_wait(f, g->wait_word, NULL, g->wait_place, g->owner, g->owner_start, g->join);
}

void tl_render_not_seen(FILE *f, const char *indent)
{
    fprintf(f, "%s(not seen being created: started before the detector or behind it)\n",
            indent ? indent : "    ");
}

static void created_lines(FILE *f, const struct tl_render_group *g, const struct tl_render_ops *ops,
                          void *ctx)
{
    if (g->not_created != NULL) {
        fprintf(f, "  created by: %s\n", g->not_created);
        return;
    }
    tl_fmt_created(f, g->main_thread, g->created_by, g->start, g->label);
    if (g->main_thread)
        return;
    if (g->created)
        ops->stack(f, ctx, TL_RENDER_CREATED);
    else
        tl_render_not_seen(f, NULL);
}

void tl_render_group(FILE *f, const struct tl_fmt_style *s, const struct tl_render_group *g,
                     const struct tl_render_ops *ops, void *ctx)
{
    headline(f, s, g);
    if (g->growth != NULL)
        fprintf(f, "  growing: %s\n", g->growth);
    wait_line(f, g);
    if (g->blocked) {
        tl_fmt_blocked_in(f, g->call);
        ops->stack(f, ctx, TL_RENDER_BLOCKED);
    }
    created_lines(f, g, ops, ctx);
    fputs("  units:", f);
    ops->units(f, ctx);
    fputc('\n', f);
    if (ops->more != NULL)
        ops->more(f, ctx);
    tl_fmt_hint(f, g->hint);
    if (ops->tail != NULL)
        ops->tail(f, ctx);
}

#define INV_SHOWN 64 /* locks named in an inversion's first line */

void tl_render_inversion(FILE *f, const struct tl_render_inversion *v,
                         void (*stack)(FILE *f, void *ctx, size_t edge, bool acquired), void *ctx)
{
    const char *held[INV_SHOWN];
    size_t n = v->n < INV_SHOWN ? v->n : INV_SHOWN;
    for (size_t e = 0; e < n; e++)
        held[e] = v->edges[e].held;
    tl_fmt_inversion(f, v->nr, held, n);
    for (size_t i = 0; i < sizeof v->notes / sizeof v->notes[0]; i++)
        if (v->notes[i] != NULL)
            fprintf(f, " (%s)", v->notes[i]);
    fputc('\n', f);
    for (size_t e = 0; e < v->n; e++) {
        const struct tl_render_inv_edge *d = &v->edges[e];
        tl_fmt_inversion_edge(f, d->unit, d->held, d->acquired);
        tl_fmt_taken_at(f, d->held);
        stack(f, ctx, e, false);
        tl_fmt_taken_at(f, d->acquired);
        stack(f, ctx, e, true);
    }
    if (v->silencer != NULL) {
        char hint[256];
        snprintf(hint, sizeof hint, "inversion:%s", v->silencer);
        tl_fmt_hint(f, hint);
    }
}

static const char *plural(long long n)
{
    return n == 1 ? "" : "s";
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* "pid 4242 (/usr/bin/redis-check-rdb, started as redis-server)": the executable the kernel ran,
 * and the name it was started by when that differs (a symlink to a multi-call binary). */
static void where(FILE *f, const struct tl_render_counts *c)
{
    const char *exe = c->exe ? c->exe : "unknown program";
    if (c->nprocs == 1 && c->exe && c->argv0 && c->argv0[0] &&
        strcmp(base_name(c->exe), base_name(c->argv0)) != 0)
        fprintf(f, "pid %lld (%s, started as %s)", c->pid, exe, base_name(c->argv0));
    else if (c->nprocs == 1)
        fprintf(f, "pid %lld (%s)", c->pid, exe);
    else
        fprintf(f, "%zu processes", c->nprocs);
}

/* ", 4 unjoined" when there are any, so the lines read as before when there are none. */
static void unjoined(FILE *f, const struct tl_render_counts *c)
{
    if (c->unjoined > 0)
        fprintf(f, ", %lld unjoined", c->unjoined);
}

void tl_render_first_line(FILE *f, const struct tl_fmt_style *s, const struct tl_render_counts *c)
{
    fprintf(f, "%staskleak: %s report: %lld leaked, %lld deadlocked, %lld blocked", s->bold,
            c->kind ? c->kind : "merged", c->leaked, c->deadlocked, c->blocked);
    unjoined(f, c);
    fprintf(f, ", %lld suppressed of %lld alive in ", c->suppressed, c->alive);
    where(f, c);
    fprintf(f, "%s\n", s->reset);
}

void tl_render_summary(FILE *f, const struct tl_render_counts *c)
{
    fprintf(f, "\nSUMMARY: taskleak: %lld leaked, %lld deadlocked, %lld blocked", c->leaked,
            c->deadlocked, c->blocked);
    unjoined(f, c);
    fprintf(f, " in %zu group%s", c->groups, plural((long long)c->groups));
    if (c->fresh >= 0)
        fprintf(f, " (%lld new)", c->fresh);
    if (c->inversions > 0)
        fprintf(f, ", %zu lock-order inversion%s", c->inversions, plural((long long)c->inversions));
    fprintf(f, "; %zu failing (", c->failing);
    if (c->nprocs == 1)
        fprintf(f, "pid %lld", c->pid);
    else
        fprintf(f, "%zu processes", c->nprocs);
    fputs(")\n", f);
}

/* ---- deadlocks ----------------------------------------------------------------------------- */

#define CYCLE_TOLD 64 /* members told in the sentence (a cycle is rarely longer than a few) */

static bool same_id(const char *a, const char *b)
{
    return a != NULL && b != NULL && a[0] != '\0' && strcmp(a, b) == 0;
}

/* Whether the last member waits on the first: a cycle (one member: it waits on itself). */
static bool is_cycle(const struct tl_render_deadlock *d, void *ctx)
{
    struct tl_render_dl_member first = {0}, last = {0};
    d->member(ctx, 0, &first);
    d->member(ctx, d->n - 1, &last);
    return same_id(last.owner, first.id);
}

static void member_lines(FILE *f, const struct tl_render_deadlock *d, void *ctx)
{
    for (size_t k = 0; k < d->n; k++) {
        struct tl_render_dl_member m = {0};
        d->member(ctx, k, &m);
        if (m.absent)
            continue;
        tl_fmt_member(f, m.id, m.name, m.call, m.dur);
        d->stack(f, ctx, k);
    }
}

void tl_render_deadlock(FILE *f, const struct tl_fmt_style *s, const struct tl_render_deadlock *d,
                        void *ctx)
{
    if (d->n == 0)
        return;
    struct tl_fmt_edge e[CYCLE_TOLD];
    char what[CYCLE_TOLD][192];
    size_t n = d->n < CYCLE_TOLD ? d->n : CYCLE_TOLD;
    const char *owner = NULL;
    for (size_t k = 0; k < n; k++) {
        struct tl_render_dl_member m = {0};
        d->member(ctx, k, &m);
        snprintf(what[k], sizeof what[k], "%s", m.what ? m.what : "?");
        e[k] = (struct tl_fmt_edge){m.id, m.word ? m.word : "object", what[k], m.join};
        if (k == 0)
            owner = m.owner;
    }
    fputc('\n', f);
    if (d->pid > 0)
        fprintf(f, "%sin pid %lld:%s\n", s->verdict, d->pid, s->reset);
    bool cycle = is_cycle(d, ctx);
    if (cycle)
        tl_fmt_cycle(f, d->nr, e, n);
    else
        tl_fmt_orphan(f, d->nr, owner != NULL && owner[0] != '\0' ? owner
                                : d->gone_owner != NULL        ? d->gone_owner
                                                               : "(gone)",
                      e[0].word, e[0].what, d->n);
    member_lines(f, d, ctx);
    if (!cycle && d->owner_created && owner != NULL && owner[0] != '\0') {
        fprintf(f, "    %s was created at:\n", owner);
        d->stack(f, ctx, d->n);
    }
}

/* ---- group order --------------------------------------------------------------------------- */

int tl_render_severity(const char *verdict)
{
    static const char *const order[] = {"deadlocked", "leaked", "blocked", "unjoined"};
    if (verdict == NULL) /* a dump's unit nobody judged: shown last */
        return 5;
    for (int i = 0; i < 4; i++)
        if (strcmp(verdict, order[i]) == 0)
            return i;
    return 4;
}

/* "thread:12" against "task:3": the kind's name, then the number as a number. */
static int unit_order(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a == NULL) - (b == NULL);
    const char *ca = strchr(a, ':'), *cb = strchr(b, ':');
    size_t la = ca ? (size_t)(ca - a) : strlen(a), lb = cb ? (size_t)(cb - b) : strlen(b);
    int c = strncmp(a, b, la < lb ? la : lb);
    if (c != 0 || la != lb)
        return c != 0 ? c : (la < lb ? -1 : 1);
    unsigned long long na = ca ? strtoull(ca + 1, NULL, 10) : 0;
    unsigned long long nb = cb ? strtoull(cb + 1, NULL, 10) : 0;
    return (na > nb) - (na < nb);
}

int tl_render_group_order(const char *verdict_a, long long count_a, const char *unit_a,
                          const char *verdict_b, long long count_b, const char *unit_b)
{
    int sa = tl_render_severity(verdict_a), sb = tl_render_severity(verdict_b);
    if (sa != sb)
        return sa - sb;
    if (count_a != count_b)
        return count_a > count_b ? -1 : 1;
    return unit_order(unit_a, unit_b);
}
