/*
 * JSON rendering: the merged, symbolized result as one document, schema "taskleak-report/1".
 * Built with jansson and dumped once. Every group carries its "identity" (verdict, kind,
 * reason, blocked and created function names), which is what --baseline reads back, so a
 * previous output is a baseline as it stands.
 *
 *   { schema, processes[{file,pid,ppid,exe,argv,kind,started,written,summary,units_total}],
 *     summary{leaked,deadlocked,blocked,groups,suppressed,new,failing,unjoined},
 *     groups[{identity, verdict, kind, reason, count, wait_ms, known, suppressed_by, failing,
 *             blocked_stack[frame], created_stack[frame],
 * occurrences[{pid,exe,file,count,units}]}], deadlocks[{pid,units,objects}],
 * suppressions[{pattern,matched}], units[...] (every loaded unit with its pid; last, streamed one
 * at a time) } frame = {function, module, offset, file, line, inlined[{function,file,line}], note}
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inversion.h"
#include "render.h"
#include "symbolize.h"

static json_t *str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

static json_t *hex(unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "0x%llx", v);
    return json_string(buf);
}

/* A frame's source position is its last location; the ones before it were inlined into it. */
static void set_locations(json_t *o, const struct tlr_frame *f)
{
    const char *file = NULL;
    int line = 0;
    json_t *inl = json_array();
    for (size_t i = 0; i < f->nlocs; i++) {
        const struct tlr_loc *l = &f->locs[i];
        if (i + 1 == f->nlocs) {
            file = l->file;
            line = l->line;
        } else {
            json_array_append_new(inl,
                                  json_pack("{s:o,s:o,s:i}", "function", str_or_null(l->function),
                                            "file", str_or_null(l->file), "line", l->line));
        }
    }
    json_object_set_new(o, "file", str_or_null(file));
    json_object_set_new(o, "line", line ? json_integer(line) : json_null());
    json_object_set_new(o, "inlined", inl);
}

static json_t *frame_json(const struct tlr_proc *p, const struct tlr_frame *f)
{
    char buf[256];
    json_t *o = json_object();
    json_object_set_new(o, "function", str_or_null(tlr_frame_display(p, f, buf, sizeof buf)));
    json_object_set_new(o, "module", str_or_null(tlr_frame_module(p, f)));
    json_object_set_new(o, "offset", f->module >= 0 ? hex(f->offset) : json_null());
    set_locations(o, f);
    if (f->module >= 0 && p->modules[f->module].state != TLR_MOD_OK &&
        p->modules[f->module].state != TLR_MOD_UNTRIED)
        json_object_set_new(o, "note", json_string(tlr_module_note(p->modules[f->module].state)));
    return o;
}

static json_t *stack_json(const struct tlr_proc *p, const struct tlr_stack *s)
{
    json_t *a = json_array();
    for (size_t i = 0; s && i < s->nframes; i++)
        json_array_append_new(a, frame_json(p, &s->frames[i]));
    return a;
}

static json_t *names_json(const struct tlr_proc *p, const struct tlr_stack *s)
{
    char buf[256];
    json_t *a = json_array();
    for (size_t i = 0; s && i < s->nframes; i++)
        json_array_append_new(a, json_string(tlr_frame_name(p, &s->frames[i], buf, sizeof buf)));
    return a;
}

static json_t *identity_json(const struct tlr_mgroup *g)
{
    const struct tlr_group *f = g->first;
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "verdict", str_or_null(f->verdict), "kind",
                     str_or_null(f->kind), "reason", str_or_null(f->reason), "blocked",
                     names_json(g->proc, f->blocked), "created", names_json(g->proc, f->created));
}

static json_t *occurrences_json(const struct tlr_mgroup *g)
{
    json_t *a = json_array();
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        json_t *units = json_array();
        for (size_t i = 0; i < grp->nunits; i++)
            json_array_append_new(units, json_string(grp->units[i]));
        json_array_append_new(a, json_pack("{s:I,s:o,s:o,s:I,s:o}", "pid",
                                           (json_int_t)g->occ[o].proc->pid, "exe",
                                           str_or_null(g->occ[o].proc->exe), "file",
                                           str_or_null(g->occ[o].proc->file), "count",
                                           (json_int_t)grp->count, "units", units));
    }
    return a;
}

static json_t *group_json(const struct tlr_mgroup *g, const struct tlr_render_opts *o)
{
    const struct tlr_group *f = g->first;
    json_t *j = json_object();
    json_object_set_new(j, "identity", identity_json(g));
    json_object_set_new(j, "verdict", str_or_null(f->verdict));
    json_object_set_new(j, "kind", str_or_null(f->kind));
    json_object_set_new(j, "reason", str_or_null(f->reason));
    json_object_set_new(j, "count", json_integer(g->count));
    long long proven = 0;
    for (size_t i = 0; i < g->nocc; i++)
        proven += g->occ[i].group->proven;
    json_object_set_new(j, "proven", json_integer(proven));
    json_object_set_new(
        j, "wait_ms",
        json_pack("{s:I,s:I}", "min", (json_int_t)g->wait_min, "max", (json_int_t)g->wait_max));
    if (f->growth_site) {
        double rate = f->growth_window_ms > 0 ? (double)(f->growth_count - f->growth_before) *
                                                    1000.0 / (double)f->growth_window_ms
                                              : 0;
        json_object_set_new(j, "growth",
                            json_pack("{s:s,s:f,s:I,s:I,s:I}", "site", f->growth_site,
                                      "rate_per_s", rate, "count", (json_int_t)f->growth_count,
                                      "count_before", (json_int_t)f->growth_before, "window_ms",
                                      (json_int_t)f->growth_window_ms));
    }
    json_object_set_new(j, "known", json_boolean(g->known));
    json_object_set_new(j, "suppressed_by", str_or_null(g->suppressed_by));
    json_object_set_new(j, "failing", json_boolean(tlr_gate_fails(g, o->fail_on)));
    json_object_set_new(j, "blocked_stack", stack_json(g->proc, f->blocked));
    json_object_set_new(j, "created_stack", stack_json(g->proc, f->created));
    json_object_set_new(j, "occurrences", occurrences_json(g));
    return j;
}

static json_t *summary_json(const struct tlr_summary *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "threads_created",
                     (json_int_t)s->threads_created, "tasks_created", (json_int_t)s->tasks_created,
                     "alive", (json_int_t)s->alive, "leaked", (json_int_t)s->leaked, "deadlocked",
                     (json_int_t)s->deadlocked, "blocked", (json_int_t)s->blocked, "unjoined",
                     (json_int_t)s->unjoined);
}

static json_t *process_json(const struct tlr_proc *p)
{
    json_t *argv = json_array();
    for (size_t i = 0; i < p->nargv; i++)
        json_array_append_new(argv, json_string(p->argv[i]));
    return json_pack("{s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "file", str_or_null(p->file),
                     "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid, "exe",
                     str_or_null(p->exe), "argv", argv, "kind", str_or_null(p->kind), "started",
                     str_or_null(p->started), "written", str_or_null(p->written), "summary",
                     summary_json(&p->summary), "units_total", (json_int_t)p->units_total);
}

static json_t *unit_json(const struct tlr_proc *p, const struct tlr_unit *u)
{
    json_t *w = json_null();
    if (u->has_wait)
        w = json_pack("{s:o,s:o,s:o,s:o,s:I,s:b,s:o}", "reason", str_or_null(u->wait.reason),
                      "call", str_or_null(u->wait.call), "object", str_or_null(u->wait.object),
                      "object_name", str_or_null(u->wait.object_name), "since_ms",
                      (json_int_t)u->wait.since_ms, "durable", u->wait.durable, "owner",
                      str_or_null(u->wait.owner));
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "pid", (json_int_t)p->pid,
                     "id", str_or_null(u->id), "kind", str_or_null(u->kind), "name",
                     str_or_null(u->name), "start", str_or_null(u->start), "state",
                     str_or_null(u->state), "verdict", str_or_null(u->verdict), "proof",
                     str_or_null(u->proof), "created_by", str_or_null(u->created_by), "label",
                     str_or_null(u->label), "wait", w);
}

static json_t *counts_json(const struct tlr_counts *c)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "leaked", (json_int_t)c->leaked,
                     "deadlocked", (json_int_t)c->deadlocked, "blocked", (json_int_t)c->blocked,
                     "groups", (json_int_t)(c->groups - c->suppressed), "suppressed",
                     (json_int_t)c->suppressed, "new", (json_int_t)c->fresh, "failing",
                     (json_int_t)c->failing, "unjoined", (json_int_t)c->unjoined);
}

static void add_per_proc(json_t *root, const struct tlr_merged *m)
{
    json_t *procs = json_array(), *dls = json_array();
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct tlr_proc *p = &m->procs[i];
        json_array_append_new(procs, process_json(p));
        for (size_t d = 0; d < p->ndeadlocks; d++) {
            json_t *u = json_array(), *ob = json_array();
            for (size_t k = 0; k < p->deadlocks[d].nunits; k++)
                json_array_append_new(u, json_string(p->deadlocks[d].units[k]));
            for (size_t k = 0; k < p->deadlocks[d].nobjects; k++)
                json_array_append_new(ob, json_string(p->deadlocks[d].objects[k]));
            json_array_append_new(dls, json_pack("{s:I,s:o,s:o}", "pid", (json_int_t)p->pid,
                                                 "units", u, "objects", ob));
        }
    }
    json_object_set_new(root, "processes", procs);
    json_object_set_new(root, "deadlocks", dls);
    json_object_set_new(root, "inversions", tlr_inv_json(m));
}

/* The units array is written one unit at a time after the rest of the document: a tree of a
 * million units took gigabytes in jansson, one unit at a time takes nothing. */
static int dump_units(FILE *out, const struct tlr_merged *m)
{
    bool first = true;
    fputs(",\n \"units\": [", out);
    for (size_t i = 0; i < m->nprocs; i++)
        for (const struct tlr_unit *u = m->procs[i].units; u; u = u->hh.next) {
            json_t *j = unit_json(&m->procs[i], u);
            fputs(first ? "\n  " : ",\n  ", out);
            first = false;
            int r = j ? json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER) : -1;
            json_decref(j);
            if (r < 0)
                return -1;
        }
    fputs("\n ]\n}\n", out);
    return 0;
}

static json_t *supp_json(const struct tlr_supp *s)
{
    json_t *a = json_array();
    for (size_t i = 0; s && i < s->n; i++)
        json_array_append_new(a, json_pack("{s:s,s:I}", "pattern", tl_supp_pattern(s->set, i),
                                           "matched", (json_int_t)tl_supp_matched(s->set, i)));
    return a;
}

int tlr_render_json(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tlr_counts c;
    tlr_count(m, o, &c);
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string("taskleak-report/1"));
    json_object_set_new(root, "summary", counts_json(&c));
    json_t *groups = json_array();
    for (size_t i = 0; i < m->ngroups; i++)
        json_array_append_new(groups, group_json(m->groups[i], o));
    json_object_set_new(root, "groups", groups);
    add_per_proc(root, m);
    json_object_set_new(root, "suppressions", supp_json(o->supp));
    /* Everything but the units, then the closing brace replaced by the streamed units. */
    char *head = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    char *close = head ? strrchr(head, '}') : NULL;
    if (!close) {
        free(head);
        return -1;
    }
    while (close > head && (close[-1] == '\n' || close[-1] == ' '))
        close--;
    fwrite(head, 1, (size_t)(close - head), out);
    free(head);
    int r = dump_units(out, m);
    return r < 0 || ferror(out) ? -1 : 0;
}
