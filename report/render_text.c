/*
 * Text rendering, modelled on Go's goroutine dumps grouped like `pprof debug=1` (taskleak(7),
 * REPORT FORMAT): a greppable first line, one block per merged group (count, kind, [reason, how
 * long], verdict, numbered blocked frames, "created by" and the creation frames, unit ids, the
 * processes it occurred in), deadlock cycles as sentences, notes about modules that could not
 * be symbolized, and a last line starting "SUMMARY: taskleak:". Colour only when asked for. Which
 * lines a group gets and in what order, the first line and the SUMMARY line are the detector's
 * own (common/tl_render.c, over tl_fmt.c's lines): this file fills their view from the merged
 * model and writes the stacks and unit ids, so both text reports read alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "inversion.h"
#include "symbolize.h"
#include "tl_fmt.h"
#include "tl_render.h"
#include "tl_reason.h"

#define SHOW_UNITS 5
#define SHOW_PROCS 3

struct tx {
    FILE *out;
    const struct tlr_render_opts *o;
    size_t nprocs; /* processes in the view: deadlocks say which one when there are several */
};

static bool many_procs(const struct tx *t)
{
    return t->nprocs > 1;
}

static const char *col(const struct tx *t, const char *code)
{
    return t->o->color ? code : "";
}
#define BOLD   "\033[1m"
#define RED    "\033[31m"
#define YELLOW "\033[33m"
#define DIM    "\033[2m"
#define RESET  "\033[0m"

static const char *verdict_colour(const struct tx *t, int severity)
{
    return col(t, severity <= 1 ? RED : YELLOW);
}

static void proc_label(const struct tlr_proc *p, char *buf, size_t len)
{
    snprintf(buf, len, "pid %lld %s", p->pid, p->exe ? p->exe : "(unknown program)");
}

/* Go's words first, as the detector writes them, for a process its watchdog found all asleep: a
 * deadlock report in which every live unit is deadlocked. */
static void asleep_lines(const struct tx *t, const struct tlr_merged *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct tlr_proc *p = &m->procs[i];
        if (!p->kind || strcmp(p->kind, "deadlock") || p->summary.alive <= 0 ||
            p->summary.deadlocked != p->summary.alive)
            continue;
        fprintf(t->out, "%staskleak: all threads are asleep - deadlock!%s", col(t, RED),
                col(t, RESET));
        if (m->nprocs > 1)
            fprintf(t->out, " (pid %lld)", p->pid);
        fputc('\n', t->out);
    }
}

/* The kind every process's report has in common, "merged" when they differ. */
static const char *common_kind(const struct tlr_merged *m)
{
    const char *k = m->nprocs ? m->procs[0].kind : NULL;
    for (size_t i = 1; i < m->nprocs && k; i++)
        if (!m->procs[i].kind || strcmp(m->procs[i].kind, k))
            k = NULL;
    return k ? k : "merged";
}

/* The first and SUMMARY lines' figures (tl_render's), from the merged view's counts. */
static struct tl_render_counts counts(const struct tx *t, const struct tlr_merged *m,
                                      const struct tlr_counts *c)
{
    long long suppressed = 0; /* units, as the detector counts them */
    for (size_t i = 0; i < m->ngroups; i++)
        if (m->groups[i]->suppressed_by)
            suppressed += m->groups[i]->count;
    return (struct tl_render_counts){.kind = common_kind(m),
                                     .leaked = c->leaked,
                                     .deadlocked = c->deadlocked,
                                     .blocked = c->blocked,
                                     .unjoined = c->unjoined,
                                     .suppressed = suppressed,
                                     .alive = m->total.alive,
                                     .groups = c->groups - c->suppressed,
                                     .inversions = c->inversions,
                                     .failing = c->failing,
                                     .fresh = t->o->have_baseline ? (long long)c->fresh : -1,
                                     .nprocs = m->nprocs,
                                     .pid = m->nprocs ? m->procs[0].pid : 0,
                                     .exe = m->nprocs && m->procs[0].exe ? m->procs[0].exe
                                                                         : "unknown program",
                                     .argv0 = m->nprocs && m->procs[0].nargv ? m->procs[0].argv[0]
                                                                             : NULL};
}

static struct tl_fmt_style style(const struct tx *t, int severity)
{
    return (struct tl_fmt_style){col(t, BOLD), col(t, DIM), verdict_colour(t, severity),
                                 col(t, RESET)};
}

static void frame_lines(const struct tx *t, const struct tlr_proc *p, const struct tlr_frame *f,
                        size_t n, const char *indent)
{
    char buf[256];
    struct tl_fmt_style s = style(t, 0);
    for (size_t i = 0; i + 1 < f->nlocs; i++)
        tl_fmt_frame(t->out, &s,
                     &(struct tl_fmt_frame){.n = n,
                                            .function = f->locs[i].function,
                                            .file = f->locs[i].file ? f->locs[i].file : "??",
                                            .line = f->locs[i].line,
                                            .inlined = true,
                                            .indent = indent});
    const struct tlr_loc *l = f->nlocs ? &f->locs[f->nlocs - 1] : NULL;
    const char *mod = tlr_frame_module(p, f);
    struct tl_fmt_frame fr = {
        .n = n,
        .function = f->function || f->nlocs ? tlr_frame_display(p, f, buf, sizeof buf) : NULL,
        .file = l ? l->file : NULL,
        .line = l ? l->line : 0,
        .call = !mod && f->function, /* the blocking call the program made, by name */
        .module = mod && strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod,
        .offset = mod ? f->offset : f->ip,
        .indent = indent};
    tl_fmt_frame(t->out, &s, &fr);
}

static void stack_lines_at(const struct tx *t, const struct tlr_proc *p, const struct tlr_stack *s,
                           const char *indent)
{
    if (!s || !s->nframes) {
        fprintf(t->out, "%s(no stack)\n", indent);
        return;
    }
    for (size_t i = 0; i < s->nframes; i++)
        frame_lines(t, p, &s->frames[i], i, indent);
}

static void stack_lines(const struct tx *t, const struct tlr_proc *p, const struct tlr_stack *s)
{
    stack_lines_at(t, p, s, "    ");
}

void tlr_text_stack(FILE *out, const struct tlr_proc *p, const struct tlr_stack *s,
                    const char *indent)
{
    const struct tlr_render_opts o = {0};
    struct tx t = {out, &o, 1};
    stack_lines_at(&t, p, s, indent);
}

/* The headline's notes: proofs, and suppression or baseline state. */
static void notes(const struct tx *t, const struct tlr_mgroup *g, struct tl_render_group *v,
                  char *proof, char *supp, size_t n)
{
    long long proven = 0; /* over occurrences: leaks proven by reachability */
    for (size_t i = 0; i < g->nocc; i++)
        proven += g->occ[i].group->proven;
    if (proven > 0 && proven >= g->count)
        v->notes[0] = g->count == 1 ? "proven: nothing can reach what it waits on"
                                    : "proven: nothing can reach what they wait on";
    else if (proven > 0) {
        snprintf(proof, n, "%lld proven: nothing can reach what they wait on", proven);
        v->notes[0] = proof;
    }
    if (g->suppressed_by) {
        snprintf(supp, n, "suppressed by %s", g->suppressed_by);
        v->notes[1] = supp;
    } else if (t->o->have_baseline)
        v->notes[1] = g->known ? "known" : "new";
}

/* "1200 live, +1100 in 60s (18.3/s), site 0123456789abcdef" */
static const char *growth(const struct tlr_mgroup *g, char *buf, size_t n)
{
    const struct tlr_group *f = g->first;
    if (!f->growth_site)
        return NULL;
    char win[32];
    tlr_fmt_duration(f->growth_window_ms, win, sizeof win);
    double rate = f->growth_window_ms > 0 ? (double)(f->growth_count - f->growth_before) * 1000.0 /
                                                (double)f->growth_window_ms
                                          : 0;
    snprintf(buf, n, "%lld live, +%lld in %s (%.1f/s), site %s", f->growth_count,
             f->growth_count - f->growth_before, win, rate, f->growth_site);
    return buf;
}

static const struct tlr_unit *first_unit(const struct tlr_mgroup *g)
{
    return g->first->nunits ? tlr_proc_unit(g->proc, g->first->units[0]) : NULL;
}

/* The wait of the group's first unit: the object by name and who holds it. */
static void wait_view(const struct tlr_mgroup *g, struct tl_render_group *v, char *what, size_t n)
{
    const struct tlr_unit *u = first_unit(g);
    const char *word = u && u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    v->owner = u ? u->wait.owner : NULL;
    v->join = u && u->has_wait && u->wait.reason && !strcmp(u->wait.reason, "join");
    if (!word || !u->wait.object)
        return;
    tlr_object_what(g->proc, u->wait.object_name, u->wait.object, what, n);
    const struct tlr_unit *o = u->wait.owner ? tlr_proc_unit(g->proc, u->wait.owner) : NULL;
    v->wait_word = word;
    v->wait_place = what;
    v->owner_start = o ? o->start : NULL;
}

static void created_view(const struct tlr_mgroup *g, struct tl_render_group *v)
{
    const struct tlr_unit *u = first_unit(g);
    v->main_thread = !(u && u->created_by) && tlr_unit_is_main(u) && !g->first->created;
    if (!v->main_thread && !(u && u->created_by) && !g->first->created && g->proc->kind &&
        strcmp(g->proc->kind, "attach") == 0) /* one look from outside: no creation seen */
        v->not_created = "not known (taskleak attach sees threads as they are now)";
    v->created_by = u ? u->created_by : NULL;
    v->start = u ? u->start : NULL;
    v->label = u ? u->label : NULL;
    v->created = g->first->created != NULL;
}

static void unit_ids(const struct tx *t, const struct tlr_mgroup *g)
{
    size_t shown = 0;
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        if (!t->o->verbose && shown >= SHOW_UNITS)
            break;
        if (g->nocc > 1)
            fprintf(t->out, "%s pid %lld:", o ? ";" : "", g->occ[o].proc->pid);
        for (size_t i = 0; i < grp->nunits && (t->o->verbose || shown < SHOW_UNITS); i++, shown++)
            fprintf(t->out, " %s", grp->units[i]);
    }
    long long more = g->count - (long long)shown;
    if (more > 0)
        fprintf(t->out, " (+%lld more)", more);
}

static void processes(const struct tx *t, const struct tlr_mgroup *g)
{
    char buf[512];
    if (g->nocc < 2)
        return;
    fprintf(t->out, "  in %zu processes:", g->nocc);
    for (size_t o = 0; o < g->nocc && o < SHOW_PROCS; o++) {
        proc_label(g->occ[o].proc, buf, sizeof buf);
        fprintf(t->out, "%s %s (%lld)", o ? "," : "", buf, g->occ[o].group->count);
    }
    if (g->nocc > SHOW_PROCS)
        fprintf(t->out, " (+%zu more)", g->nocc - SHOW_PROCS);
    fputc('\n', t->out);
}

static void verbose_units(const struct tx *t, const struct tlr_mgroup *g)
{
    char dur[32];
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        for (size_t i = 0; i < grp->nunits; i++) {
            const struct tlr_unit *u = tlr_proc_unit(g->occ[o].proc, grp->units[i]);
            if (!u)
                continue;
            tlr_fmt_duration(u->has_wait ? u->wait.since_ms : -1, dur, sizeof dur);
            fprintf(t->out, "    %s (pid %lld)%s%s%s state %s", u->id, g->occ[o].proc->pid,
                    u->name ? " \"" : "", u->name ? u->name : "", u->name ? "\"" : "",
                    u->state ? u->state : "?");
            if (u->has_wait)
                fprintf(t->out, ", %s in %s on %s%s%s%s for %s",
                        u->wait.reason ? u->wait.reason : "?", u->wait.call ? u->wait.call : "?",
                        u->wait.object_name ? u->wait.object_name : "",
                        u->wait.object_name ? " (" : "", u->wait.object ? u->wait.object : "?",
                        u->wait.object_name ? ")" : "", dur);
            if (u->wait.owner)
                fprintf(t->out, " (held by %s)", u->wait.owner);
            if (u->label)
                fprintf(t->out, ", label %s", u->label);
            fputc('\n', t->out);
        }
    }
}

/* What tl_render asks of a merged group: its stacks, its unit ids and processes, and (verbose)
 * its units one by one. */
struct gctx {
    const struct tx *t;
    const struct tlr_mgroup *g;
};

static void g_stack(FILE *f, void *ctx, enum tl_render_stack which)
{
    const struct gctx *c = ctx;
    (void)f;
    stack_lines(c->t, c->g->proc,
                which == TL_RENDER_BLOCKED ? c->g->first->blocked : c->g->first->created);
}

static void g_units(FILE *f, void *ctx)
{
    const struct gctx *c = ctx;
    (void)f;
    unit_ids(c->t, c->g);
}

static void g_more(FILE *f, void *ctx)
{
    const struct gctx *c = ctx;
    (void)f;
    processes(c->t, c->g);
}

static void g_tail(FILE *f, void *ctx)
{
    const struct gctx *c = ctx;
    (void)f;
    verbose_units(c->t, c->g);
}

static void group_block(const struct tx *t, const struct tlr_mgroup *g)
{
    const struct tlr_group *f = g->first;
    const struct tlr_unit *u = first_unit(g);
    char dur[32], note[2][512], grow[192], what[256];
    tlr_fmt_duration(g->wait_max, dur, sizeof dur);
    struct tl_render_group v = {.count = g->count,
                                .kind = f->kind,
                                /* no wait known: the unit's state, as the detector's text */
                                .reason = f->reason ? f->reason
                                          : u       ? u->state
                                                    : NULL,
                                .dur = f->reason && g->wait_max >= 0 ? dur : NULL,
                                .verdict = f->verdict,
                                .growth = growth(g, grow, sizeof grow),
                                .blocked = f->blocked != NULL,
                                .call = u && u->has_wait ? u->wait.call : NULL,
                                .hint = f->hint};
    notes(t, g, &v, note[0], note[1], sizeof note[0]);
    wait_view(g, &v, what, sizeof what);
    created_view(g, &v);
    struct gctx c = {t, g};
    const struct tl_render_ops ops = {
        .stack = g_stack, .units = g_units, .more = g_more, .tail = t->o->verbose ? g_tail : NULL};
    struct tl_fmt_style s = style(t, g->severity);
    tl_render_group(t->out, &s, &v, &ops, &c);
}

/* What tl_render_deadlock asks of one deadlock of one process: its members as the JSON has them
 * and their stacks; the exited owner's creation stack when the JSON still has that thread. */
struct dctx {
    const struct tx *t;
    const struct tlr_proc *p;
    const struct tlr_deadlock *d;
    const struct tlr_unit *owner; /* the exited owner of an orphaned lock, NULL when not in it */
};

static void d_member(void *ctx, size_t k, struct tl_render_dl_member *m)
{
    const struct dctx *c = ctx;
    const struct tlr_unit *u = tlr_proc_unit(c->p, c->d->units[k]);
    const char *obj = k < c->d->nobjects       ? c->d->objects[k]
                      : u && u->wait.object ? u->wait.object
                                            : "?";
    const char *name = u && u->wait.object_name && u->wait.object && !strcmp(u->wait.object, obj)
                           ? u->wait.object_name
                           : NULL;
    tlr_object_what(c->p, name, obj, m->what_buf, sizeof m->what_buf);
    m->what = m->what_buf;
    m->id = c->d->units[k];
    m->absent = u == NULL;
    if (!u)
        return;
    tlr_fmt_duration(u->has_wait ? u->wait.since_ms : -1, m->dur, sizeof m->dur);
    m->owner = u->wait.owner;
    m->name = u->name;
    m->call = u->wait.call ? u->wait.call : u->wait.reason;
    m->word = u->wait.reason ? tl_reason_object_word(u->wait.reason) : NULL;
    m->join = u->wait.reason && !strcmp(u->wait.reason, "join");
}

static void d_stack(FILE *f, void *ctx, size_t k)
{
    const struct dctx *c = ctx;
    (void)f;
    const struct tlr_unit *u = k < c->d->nunits ? tlr_proc_unit(c->p, c->d->units[k]) : c->owner;
    const struct tlr_stack *s =
        tlr_proc_stack(c->p, k < c->d->nunits ? u->blocked_stack : u->created_stack);
    stack_lines_at(c->t, c->p, s, "      ");
}

/* The unit that held the first member's lock when it is in the report and exited. */
static const struct tlr_unit *exited_owner(const struct tlr_proc *p, const struct tlr_deadlock *d)
{
    const struct tlr_unit *w = d->nunits ? tlr_proc_unit(p, d->units[0]) : NULL;
    const struct tlr_unit *o = w && w->wait.owner ? tlr_proc_unit(p, w->wait.owner) : NULL;
    return o && o->state && !strcmp(o->state, "exited") ? o : NULL;
}

/* A cycle as the detector tells it, or the waiters of a mutex whose owner exited (tl_render). */
static void deadlock_lines(const struct tx *t, const struct tlr_proc *p,
                           const struct tlr_deadlock *d, size_t nr)
{
    struct dctx c = {t, p, d, exited_owner(p, d)};
    struct tl_render_deadlock v = {.nr = nr,
                                   .n = d->nunits,
                                   .pid = many_procs(t) ? p->pid : 0,
                                   .owner_created = c.owner != NULL,
                                   .member = d_member,
                                   .stack = d_stack};
    struct tl_fmt_style s = style(t, 0);
    tl_render_deadlock(t->out, &s, &v, &c);
}

/* Whether an earlier process already got the same note for the same file. */
static bool noted_before(const struct tlr_merged *m, size_t proc, const struct tlr_module *mod)
{
    for (size_t i = 0; i < proc; i++)
        for (size_t j = 0; j < m->procs[i].nmodules; j++) {
            const struct tlr_module *o = &m->procs[i].modules[j];
            if (o->state == mod->state && o->path && !strcmp(o->path, mod->path))
                return true;
        }
    return false;
}

static void module_notes(const struct tx *t, const struct tlr_merged *m)
{
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t j = 0; j < m->procs[i].nmodules; j++) {
            const struct tlr_module *mod = &m->procs[i].modules[j];
            if (!mod->path || mod->path[0] != '/' ||
                (mod->state != TLR_MOD_MISMATCH && mod->state != TLR_MOD_MISSING &&
                 mod->state != TLR_MOD_NOTFILE) ||
                noted_before(m, i, mod))
                continue;
            fprintf(t->out, "note: %s: %s\n", mod->path, tlr_module_note(mod->state));
        }
}

int tlr_render_text(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tx t = {out, o, m->nprocs};
    struct tlr_counts c;
    tlr_count(m, o, &c);
    asleep_lines(&t, m);
    struct tl_render_counts rc = counts(&t, m, &c);
    struct tl_fmt_style s = style(&t, 0);
    tl_render_first_line(out, &s, &rc);
    for (size_t i = 0; i < m->ngroups; i++)
        if (!m->groups[i]->suppressed_by || o->verbose)
            group_block(&t, m->groups[i]);
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t j = 0; j < m->procs[i].ndeadlocks; j++)
            deadlock_lines(&t, &m->procs[i], &m->procs[i].deadlocks[j], j + 1);
    tlr_inv_text(out, m, o->verbose);
    module_notes(&t, m);
    tl_render_summary(out, &rc);
    return ferror(out) ? -1 : 0;
}
