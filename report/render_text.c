/*
 * Text rendering, modelled on Go's goroutine dumps grouped like `pprof debug=1` (taskleak(7),
 * REPORT FORMAT): a greppable first line, one block per merged group (count, kind, [reason, how
 * long], verdict, numbered blocked frames, "created by" and the creation frames, unit ids, the
 * processes it occurred in), deadlock cycles as sentences, notes about modules that could not
 * be symbolized, and a last line starting "SUMMARY: taskleak:". Colour only when asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "inversion.h"
#include "symbolize.h"
#include "tl_reason.h"

#define SHOW_UNITS 5
#define SHOW_PROCS 3

struct tx {
    FILE *out;
    const struct tlr_render_opts *o;
};

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

/* ", 4 unjoined" when there are any ("" otherwise, so the lines read as before). */
static const char *unjoined_part(const struct tlr_counts *c, char *buf, size_t n)
{
    buf[0] = '\0';
    if (c->unjoined > 0)
        snprintf(buf, n, ", %lld unjoined", c->unjoined);
    return buf;
}

static void first_line(const struct tx *t, const struct tlr_merged *m, const struct tlr_counts *c)
{
    char who[512] = "";
    if (m->nprocs == 1)
        proc_label(&m->procs[0], who, sizeof who);
    else
        snprintf(who, sizeof who, "%zu processes", m->nprocs);
    char unjoined[48];
    fprintf(t->out,
            "%staskleak: %lld leaked, %lld deadlocked, %lld blocked%s in %zu group%s (%s)%s\n",
            col(t, BOLD), c->leaked, c->deadlocked, c->blocked,
            unjoined_part(c, unjoined, sizeof unjoined), c->groups - c->suppressed,
            c->groups - c->suppressed == 1 ? "" : "s", who, col(t, RESET));
}

static void frame_lines(const struct tx *t, const struct tlr_proc *p, const struct tlr_frame *f,
                        size_t n)
{
    char buf[256];
    for (size_t i = 0; i + 1 < f->nlocs; i++)
        fprintf(t->out, "    #%-2zu %s %sat %s:%d (inlined)%s\n", n,
                f->locs[i].function ? f->locs[i].function : "??", col(t, DIM),
                f->locs[i].file ? f->locs[i].file : "??", f->locs[i].line, col(t, RESET));
    const char *name = f->function || f->nlocs ? tlr_frame_display(p, f, buf, sizeof buf) : "??";
    const struct tlr_loc *l = f->nlocs ? &f->locs[f->nlocs - 1] : NULL;
    if (l && l->file) {
        fprintf(t->out, "    #%-2zu %s %sat %s:%d%s\n", n, name, col(t, DIM), l->file, l->line,
                col(t, RESET));
        return;
    }
    const char *mod = tlr_frame_module(p, f);
    if (!mod && f->function) { /* a call frame: the blocking call the program made, by name */
        fprintf(t->out, "    #%-2zu %s\n", n, name);
        return;
    }
    const char *base = mod && strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;
    fprintf(t->out, "    #%-2zu %s %s(%s+0x%llx)%s\n", n, name, col(t, DIM), base ? base : "?",
            (unsigned long long)f->offset, col(t, RESET));
}

static void stack_lines(const struct tx *t, const struct tlr_proc *p, const struct tlr_stack *s)
{
    if (!s || !s->nframes) {
        fprintf(t->out, "    (no stack)\n");
        return;
    }
    for (size_t i = 0; i < s->nframes; i++)
        frame_lines(t, p, &s->frames[i], i);
}

static void header(const struct tx *t, const struct tlr_mgroup *g)
{
    const struct tlr_group *f = g->first;
    char dur[32] = "";
    if (g->wait_max >= 0) {
        dur[0] = ',';
        dur[1] = ' ';
        tlr_fmt_duration(g->wait_max, dur + 2, sizeof dur - 2);
    }
    if (g->severity == 3) /* threads that finished: no wait to show */
        fprintf(t->out, "\n%s%lld %s %sunjoined%s: finished, never joined or detached",
                col(t, BOLD), g->count, tlr_kind_word(f->kind, g->count),
                verdict_colour(t, g->severity), col(t, RESET));
    else
        fprintf(t->out, "\n%s%lld %s [%s%s]%s%s%s%s", col(t, BOLD), g->count,
                tlr_kind_word(f->kind, g->count), f->reason ? f->reason : "running", dur,
                f->verdict ? ": " : "", verdict_colour(t, g->severity),
                f->verdict ? f->verdict : "", col(t, RESET));
    long long proven = 0; /* over occurrences: leaks proven by reachability */
    for (size_t i = 0; i < g->nocc; i++)
        proven += g->occ[i].group->proven;
    if (proven > 0 && proven >= g->count)
        fprintf(t->out, " (proven: nothing can reach what %s on)",
                g->count == 1 ? "it waits" : "they wait");
    else if (proven > 0)
        fprintf(t->out, " (%lld proven: nothing can reach what they wait on)", proven);
    if (g->suppressed_by)
        fprintf(t->out, " (suppressed by %s)", g->suppressed_by);
    else if (t->o->have_baseline)
        fprintf(t->out, " (%s)", g->known ? "known" : "new");
    fputc('\n', t->out);
}

/* Where a named variable lies: "prog+0x4040" from the module loaded nearest below it. */
static void place_of(const struct tlr_proc *p, uint64_t addr, char *buf, size_t n)
{
    const struct tlr_module *best = NULL;
    for (size_t i = 0; i < p->nmodules; i++)
        if (p->modules[i].base <= addr && (!best || p->modules[i].base > best->base))
            best = &p->modules[i];
    const char *path = best && best->path ? best->path : NULL;
    const char *base = path && strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (base)
        snprintf(buf, n, "%s+0x%llx", base, (unsigned long long)(addr - best->base));
    else
        snprintf(buf, n, "0x%llx", (unsigned long long)addr);
}

/* "  waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn" */
static void wait_line(const struct tx *t, const struct tlr_mgroup *g)
{
    const struct tlr_unit *u = g->first->nunits ? tlr_proc_unit(g->proc, g->first->units[0]) : NULL;
    const char *word = u && u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    if (!word || !u->wait.object)
        return;
    const char *name = u->wait.object_name;
    char place[160];
    bool symbol = name && strcmp(name, "heap") && strncmp(name, "stack of ", 9);
    if (symbol)
        place_of(g->proc, strtoull(u->wait.object, NULL, 16), place, sizeof place);
    else
        snprintf(place, sizeof place, "%s", u->wait.object);
    fprintf(t->out, "  waits for %s %s%s%s%s", word, name ? name : "", name ? " (" : "", place,
            name ? ")" : "");
    const struct tlr_unit *o = u->wait.owner ? tlr_proc_unit(g->proc, u->wait.owner) : NULL;
    if (u->wait.owner && strcmp(u->wait.reason, "join"))
        fprintf(t->out, ", held by %s%s%s", u->wait.owner, o && o->start ? " " : "",
                o && o->start ? o->start : "");
    fputc('\n', t->out);
}

static void created_by(const struct tx *t, const struct tlr_mgroup *g)
{
    const struct tlr_unit *u = g->first->nunits ? tlr_proc_unit(g->proc, g->first->units[0]) : NULL;
    if (u && u->created_by) {
        fprintf(t->out, "  created by %s:\n", u->created_by);
    } else if (tlr_unit_is_main(u) && !g->first->created) {
        fprintf(t->out, "  created by: main thread\n"); /* the process's first thread */
        return;
    } else
        fprintf(t->out, "  created by:\n");
    stack_lines(t, g->proc, g->first->created);
}

static void unit_ids(const struct tx *t, const struct tlr_mgroup *g)
{
    size_t shown = 0;
    fprintf(t->out, "  units:");
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
    fputc('\n', t->out);
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

static void group_block(const struct tx *t, const struct tlr_mgroup *g)
{
    header(t, g);
    wait_line(t, g);
    stack_lines(t, g->proc, g->first->blocked);
    created_by(t, g);
    unit_ids(t, g);
    processes(t, g);
    if (t->o->verbose)
        verbose_units(t, g);
}

static void deadlock_lines(const struct tx *t, const struct tlr_proc *p,
                           const struct tlr_deadlock *d)
{
    fprintf(t->out, "\n%sdeadlock%s in pid %lld: a cycle of %zu units\n", col(t, RED),
            col(t, RESET), p->pid, d->nunits);
    for (size_t i = 0; i < d->nunits; i++) {
        const struct tlr_unit *u = tlr_proc_unit(p, d->units[i]);
        const char *obj =
            i < d->nobjects ? d->objects[i] : (u && u->wait.object ? u->wait.object : "?");
        const char *next = d->units[(i + 1) % d->nunits];
        const char *why = u && u->wait.reason ? u->wait.reason : "a wait";
        const char *holder = u && u->wait.owner ? u->wait.owner : next;
        const char *name =
            u && u->wait.object_name && u->wait.object && !strcmp(u->wait.object, obj)
                ? u->wait.object_name
                : NULL;
        if (strcmp(why, "join") == 0) /* the object is the joined thread itself */
            fprintf(t->out, "  %s waits (join) for %s to end\n", d->units[i], holder);
        else
            fprintf(t->out, "  %s waits (%s) for %s%s%s%s held by %s\n", d->units[i], why,
                    name ? name : "", name ? " (" : "", obj, name ? ")" : "", holder);
    }
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

static void last_line(const struct tx *t, const struct tlr_counts *c)
{
    char unjoined[48];
    fprintf(t->out,
            "\nSUMMARY: taskleak: %lld leaked, %lld deadlocked, %lld blocked%s in %zu group%s",
            c->leaked, c->deadlocked, c->blocked, unjoined_part(c, unjoined, sizeof unjoined),
            c->groups - c->suppressed, c->groups - c->suppressed == 1 ? "" : "s");
    if (t->o->have_baseline)
        fprintf(t->out, " (%zu new)", c->fresh);
    if (c->suppressed)
        fprintf(t->out, ", %zu suppressed", c->suppressed);
    if (c->inversions)
        fprintf(t->out, ", %zu lock-order inversion%s", c->inversions,
                c->inversions == 1 ? "" : "s");
    fprintf(t->out, "; %zu failing\n", c->failing);
}

int tlr_render_text(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tx t = {out, o};
    struct tlr_counts c;
    tlr_count(m, o, &c);
    first_line(&t, m, &c);
    for (size_t i = 0; i < m->ngroups; i++)
        if (!m->groups[i]->suppressed_by || o->verbose)
            group_block(&t, m->groups[i]);
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t j = 0; j < m->procs[i].ndeadlocks; j++)
            deadlock_lines(&t, &m->procs[i], &m->procs[i].deadlocks[j]);
    tlr_inv_text(out, m, o->verbose);
    module_notes(&t, m);
    last_line(&t, &c);
    return ferror(out) ? -1 : 0;
}
