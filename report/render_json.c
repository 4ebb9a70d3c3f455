/*
 * JSON rendering: the merged, symbolized result as one document, schema "taskleak-report/1",
 * written through the streaming writer every taskleak program uses (common/tl_json.h); a unit's
 * wait is the same object as in a taskleak/1 report and is written by the same function
 * (common/tl_jrep.h). Every group carries its "identity" (verdict, kind, reason, blocked and
 * created function names), which is what --baseline reads back, so a previous output is a
 * baseline as it stands.
 *
 *   { schema, summary{leaked,deadlocked,blocked,groups,suppressed,new,failing,unjoined},
 *     groups[{identity, verdict, kind, reason, count, proven, wait_ms, growth, known,
 *             suppressed_by, failing, blocked_stack[frame], created_stack[frame],
 *             occurrences[{pid,exe,file,count,units}]}],
 *     processes[{file,pid,ppid,exe,argv,kind,started,written,summary,units_total}],
 *     deadlocks[{pid,units,objects}], inversions[...], suppressions[{pattern,matched}],
 *     units[...] (every loaded unit with its pid; last) }
 *   frame = {function, module, offset, file, line, inlined[{function,file,line}], note}
 *
 * The text is handed to the output after every unit, so a million units never sit in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inversion.h"
#include "render.h"
#include "symbolize.h"
#include "tl_jrep.h"
#include "tl_json.h"

/* Writes what the writer holds so far to out; -1 when it ran out of memory or out failed. */
static int drain(struct tl_json *j, FILE *out)
{
    size_t len;
    const char *text = tl_json_pending(j, &len);
    if (j->oom)
        return -1;
    if (len > 0 && fwrite(text, 1, len, out) != len)
        return -1;
    tl_json_drop(j);
    return 0;
}

/* A frame's source position is its last location; the ones before it were inlined into it. */
static void locations(struct tl_json *j, const struct tlr_frame *f)
{
    const struct tlr_loc *last = f->locs != NULL && f->nlocs > 0 ? &f->locs[f->nlocs - 1] : NULL;
    tl_json_str(j, "file", last ? last->file : NULL);
    if (last && last->line)
        tl_json_int(j, "line", last->line);
    else
        tl_json_null(j, "line");
    tl_json_arr_begin(j, "inlined");
    for (size_t i = 0; last != NULL && i + 1 < f->nlocs; i++) {
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "function", f->locs[i].function);
        tl_json_str(j, "file", f->locs[i].file);
        tl_json_int(j, "line", f->locs[i].line);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

static void frame(struct tl_json *j, const struct tlr_proc *p, const struct tlr_frame *f)
{
    char buf[256];
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "function", tlr_frame_display(p, f, buf, sizeof buf));
    tl_json_str(j, "module", tlr_frame_module(p, f));
    if (f->module >= 0)
        tl_json_hex(j, "offset", f->offset);
    else
        tl_json_null(j, "offset");
    locations(j, f);
    if (f->module >= 0 && p->modules[f->module].state != TLR_MOD_OK &&
        p->modules[f->module].state != TLR_MOD_UNTRIED)
        tl_json_str(j, "note", tlr_module_note(p->modules[f->module].state));
    tl_json_obj_end(j);
}

static void stack(struct tl_json *j, const char *key, const struct tlr_proc *p,
                  const struct tlr_stack *s)
{
    tl_json_arr_begin(j, key);
    for (size_t i = 0; s && i < s->nframes; i++)
        frame(j, p, &s->frames[i]);
    tl_json_arr_end(j);
}

static void names(struct tl_json *j, const char *key, const struct tlr_proc *p,
                  const struct tlr_stack *s)
{
    char buf[256];
    tl_json_arr_begin(j, key);
    for (size_t i = 0; s && i < s->nframes; i++)
        tl_json_str(j, NULL, tlr_frame_name(p, &s->frames[i], buf, sizeof buf));
    tl_json_arr_end(j);
}

static void identity(struct tl_json *j, const struct tlr_mgroup *g)
{
    const struct tlr_group *f = g->first;
    tl_json_obj_begin(j, "identity");
    tl_json_str(j, "verdict", f->verdict);
    tl_json_str(j, "kind", f->kind);
    tl_json_str(j, "reason", f->reason);
    names(j, "blocked", g->proc, f->blocked);
    names(j, "created", g->proc, f->created);
    tl_json_obj_end(j);
}

static void occurrences(struct tl_json *j, const struct tlr_mgroup *g)
{
    tl_json_arr_begin(j, "occurrences");
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        tl_json_obj_begin(j, NULL);
        tl_json_int(j, "pid", g->occ[o].proc->pid);
        tl_json_str(j, "exe", g->occ[o].proc->exe);
        tl_json_str(j, "file", g->occ[o].proc->file);
        tl_json_int(j, "count", grp->count);
        tl_json_arr_begin(j, "units");
        for (size_t i = 0; i < grp->nunits; i++)
            tl_json_str(j, NULL, grp->units[i]);
        tl_json_arr_end(j);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

static void growth(struct tl_json *j, const struct tlr_group *f)
{
    double rate = f->growth_window_ms > 0 ? (double)(f->growth_count - f->growth_before) * 1000.0 /
                                                (double)f->growth_window_ms
                                          : 0;
    struct tl_jv_growth g = {f->growth_site, rate, (uint64_t)f->growth_count,
                             (uint64_t)f->growth_before, f->growth_window_ms};
    tl_jrep_growth(j, &g);
}

static void group(struct tl_json *j, const struct tlr_mgroup *g, const struct tlr_render_opts *o)
{
    const struct tlr_group *f = g->first;
    long long proven = 0;
    for (size_t i = 0; i < g->nocc; i++)
        proven += g->occ[i].group->proven;
    tl_json_obj_begin(j, NULL);
    identity(j, g);
    tl_json_str(j, "verdict", f->verdict);
    tl_json_str(j, "kind", f->kind);
    tl_json_str(j, "reason", f->reason);
    tl_json_int(j, "count", g->count);
    tl_json_int(j, "proven", proven);
    tl_json_obj_begin(j, "wait_ms");
    tl_json_int(j, "min", g->wait_min);
    tl_json_int(j, "max", g->wait_max);
    tl_json_obj_end(j);
    if (f->growth_site)
        growth(j, f);
    tl_json_bool(j, "known", g->known);
    tl_json_str(j, "suppressed_by", g->suppressed_by);
    tl_json_bool(j, "failing", tlr_gate_fails(g, o->fail_on));
    stack(j, "blocked_stack", g->proc, f->blocked);
    stack(j, "created_stack", g->proc, f->created);
    occurrences(j, g);
    tl_json_obj_end(j);
}

static void proc_summary(struct tl_json *j, const struct tlr_summary *s)
{
    tl_json_obj_begin(j, "summary");
    tl_json_int(j, "threads_created", s->threads_created);
    tl_json_int(j, "tasks_created", s->tasks_created);
    tl_json_int(j, "alive", s->alive);
    tl_json_int(j, "leaked", s->leaked);
    tl_json_int(j, "deadlocked", s->deadlocked);
    tl_json_int(j, "blocked", s->blocked);
    tl_json_int(j, "unjoined", s->unjoined);
    tl_json_obj_end(j);
}

static void process(struct tl_json *j, const struct tlr_proc *p)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "file", p->file);
    tl_json_int(j, "pid", p->pid);
    tl_json_int(j, "ppid", p->ppid);
    tl_json_str(j, "exe", p->exe);
    tl_json_arr_begin(j, "argv");
    for (size_t i = 0; i < p->nargv; i++)
        tl_json_str(j, NULL, p->argv[i]);
    tl_json_arr_end(j);
    tl_json_str(j, "kind", p->kind);
    tl_json_str(j, "started", p->started);
    tl_json_str(j, "written", p->written);
    proc_summary(j, &p->summary);
    tl_json_int(j, "units_total", (int64_t)p->units_total);
    tl_json_obj_end(j);
}

static void unit(struct tl_json *j, const struct tlr_proc *p, const struct tlr_unit *u)
{
    const struct tlr_wait *w = &u->wait;
    struct tl_jv_wait v = {w->reason,   w->call,    w->object, w->object_name,
                           w->since_ms, w->durable, w->owner};
    tl_json_obj_begin(j, NULL);
    tl_json_int(j, "pid", p->pid);
    tl_json_str(j, "id", u->id);
    tl_json_str(j, "kind", u->kind);
    tl_json_str(j, "name", u->name);
    tl_json_str(j, "start", u->start);
    tl_json_str(j, "state", u->state);
    tl_json_str(j, "verdict", u->verdict);
    tl_json_str(j, "proof", u->proof);
    tl_json_str(j, "created_by", u->created_by);
    tl_json_str(j, "label", u->label);
    tl_jrep_wait(j, u->has_wait ? &v : NULL);
    tl_json_obj_end(j);
}

static void counts(struct tl_json *j, const struct tlr_counts *c)
{
    tl_json_obj_begin(j, "summary");
    tl_json_int(j, "leaked", c->leaked);
    tl_json_int(j, "deadlocked", c->deadlocked);
    tl_json_int(j, "blocked", c->blocked);
    tl_json_int(j, "groups", c->groups - c->suppressed);
    tl_json_int(j, "suppressed", c->suppressed);
    tl_json_int(j, "new", c->fresh);
    tl_json_int(j, "failing", c->failing);
    tl_json_int(j, "unjoined", c->unjoined);
    tl_json_obj_end(j);
}

static void per_proc(struct tl_json *j, const struct tlr_merged *m)
{
    tl_json_arr_begin(j, "processes");
    for (size_t i = 0; i < m->nprocs; i++)
        process(j, &m->procs[i]);
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "deadlocks");
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t d = 0; d < m->procs[i].ndeadlocks; d++) {
            const struct tlr_deadlock *dl = &m->procs[i].deadlocks[d];
            tl_json_obj_begin(j, NULL);
            tl_json_int(j, "pid", m->procs[i].pid);
            tl_json_arr_begin(j, "units");
            for (size_t k = 0; k < dl->nunits; k++)
                tl_json_str(j, NULL, dl->units[k]);
            tl_json_arr_end(j);
            tl_json_arr_begin(j, "objects");
            for (size_t k = 0; k < dl->nobjects; k++)
                tl_json_str(j, NULL, dl->objects[k]);
            tl_json_arr_end(j);
            tl_json_obj_end(j);
        }
    tl_json_arr_end(j);
    tlr_inv_json(j, m);
}

static void suppressions(struct tl_json *j, const struct tlr_supp *s)
{
    tl_json_arr_begin(j, "suppressions");
    for (size_t i = 0; s && i < s->n; i++) {
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "pattern", tl_supp_pattern(s->set, i));
        tl_json_uint(j, "matched", tl_supp_matched(s->set, i));
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

int tlr_render_json(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tlr_counts c;
    struct tl_json j;
    tlr_count(m, o, &c);
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_json_str(&j, "schema", "taskleak-report/1");
    counts(&j, &c);
    tl_json_arr_begin(&j, "groups");
    for (size_t i = 0; i < m->ngroups; i++)
        group(&j, m->groups[i], o);
    tl_json_arr_end(&j);
    per_proc(&j, m);
    suppressions(&j, o->supp);
    tl_json_arr_begin(&j, "units");
    int r = drain(&j, out);
    for (size_t i = 0; r == 0 && i < m->nprocs; i++)
        for (const struct tlr_unit *u = m->procs[i].units; r == 0 && u; u = u->hh.next) {
            unit(&j, &m->procs[i], u);
            r = drain(&j, out);
        }
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    size_t len;
    char *tail = r == 0 ? tl_json_finish(&j, &len) : NULL;
    if (tail == NULL) {
        tl_json_free(&j);
        return -1;
    }
    fwrite(tail, 1, len, out);
    free(tail);
    return ferror(out) ? -1 : 0;
}
