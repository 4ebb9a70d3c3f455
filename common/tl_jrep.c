/* tl_jrep: one writer per object of a taskleak/1 report (see tl_jrep.h).
 *
 * DESIGN. Each function writes its object's members in the order docs/json-schema.md lists them;
 * the three programs that write reports only fill views, so the schema lives here and in the
 * loader that reads it. Optional values follow the view's null rules (tl_jrep.h) in small helpers,
 * so a null rule is decided once per kind of value, not once per member.
 */
#include "tl_jrep.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A string the schema writes null when empty (names, ids of owners and creators). */
static void opt_str(struct tl_json *j, const char *key, const char *v)
{
    tl_json_str(j, key, v != NULL && v[0] != '\0' ? v : NULL);
}

/* A non-negative integer, or null when the view has -1 (unknown, or no reference). */
static void opt_int(struct tl_json *j, const char *key, int64_t v)
{
    if (v < 0)
        tl_json_null(j, key);
    else
        tl_json_int(j, key, v);
}

const char *tl_jrep_hex(uint64_t v, char *buf, size_t len)
{
    snprintf(buf, len, "0x%" PRIx64, v);
    return buf;
}

void tl_jrep_begin(struct tl_json *j, const char *kind, const char *signal)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "schema", "taskleak/1");
    tl_json_str(j, "kind", kind);
    if (signal != NULL)
        tl_json_str(j, "signal", signal);
}

static void argv_array(struct tl_json *j, const struct tl_jv_process *p)
{
    tl_json_arr_begin(j, "argv");
    for (size_t i = 0; p->argv != NULL && i < p->nargv; i++)
        tl_json_str(j, NULL, p->argv[i] != NULL ? p->argv[i] : "");
    for (size_t i = 0; p->argv == NULL && p->argz != NULL && i < p->argz_len;
         i += strlen(p->argz + i) + 1)
        tl_json_str(j, NULL, p->argz + i);
    tl_json_arr_end(j);
}

void tl_jrep_process(struct tl_json *j, const struct tl_jv_process *p)
{
    tl_json_obj_begin(j, "process");
    opt_int(j, "pid", p->pid);
    opt_int(j, "ppid", p->ppid);
    tl_json_str(j, "exe", p->exe);
    argv_array(j, p);
    tl_json_str(j, "started", p->started);
    tl_json_str(j, "written", p->written);
    tl_json_obj_end(j);
}

void tl_jrep_summary(struct tl_json *j, const struct tl_jv_summary *s)
{
    tl_json_obj_begin(j, "summary");
    tl_json_uint(j, "threads_created", s->threads_created);
    tl_json_uint(j, "tasks_created", s->tasks_created);
    tl_json_uint(j, "alive", s->alive);
    tl_json_uint(j, "leaked", s->leaked);
    tl_json_uint(j, "unjoined", s->unjoined);
    tl_json_uint(j, "deadlocked", s->deadlocked);
    tl_json_uint(j, "blocked", s->blocked);
    tl_json_uint(j, "suppressed", s->suppressed);
    tl_json_uint(j, "inversions", s->inversions);
    tl_json_uint(j, "proven", s->proven);
    tl_json_obj_end(j);
}

void tl_jrep_module(struct tl_json *j, const struct tl_jv_module *m)
{
    tl_json_obj_begin(j, NULL);
    tl_json_int(j, "id", m->id);
    tl_json_str(j, "path", m->path);
    opt_str(j, "build_id", m->build_id);
    tl_json_hex(j, "base", m->base);
    tl_json_obj_end(j);
}

void tl_jrep_stack_begin(struct tl_json *j, int64_t id)
{
    tl_json_obj_begin(j, NULL);
    tl_json_int(j, "id", id);
    tl_json_arr_begin(j, "frames");
}

void tl_jrep_frame(struct tl_json *j, const struct tl_jv_frame *f)
{
    tl_json_obj_begin(j, NULL);
    if (f->has_ip)
        tl_json_hex(j, "ip", f->ip);
    else
        tl_json_null(j, "ip"); /* a call frame: the call the program made, no address */
    opt_int(j, "module", f->module);
    if (f->module >= 0)
        tl_json_hex(j, "offset", f->offset);
    else
        tl_json_null(j, "offset");
    tl_json_str(j, "function", f->function);
    tl_json_obj_end(j);
}

void tl_jrep_stack_end(struct tl_json *j)
{
    tl_json_arr_end(j);
    tl_json_obj_end(j);
}

void tl_jrep_wait(struct tl_json *j, const struct tl_jv_wait *w)
{
    if (w == NULL) {
        tl_json_null(j, "wait");
        return;
    }
    tl_json_obj_begin(j, "wait");
    tl_json_str(j, "reason", w->reason);
    tl_json_str(j, "call", w->call);
    tl_json_str(j, "object", w->object);
    opt_str(j, "object_name", w->object_name);
    opt_int(j, "since_ms", w->since_ms);
    tl_json_bool(j, "durable", w->durable);
    opt_str(j, "owner", w->owner);
    tl_json_obj_end(j);
}

void tl_jrep_unit(struct tl_json *j, const struct tl_jv_unit *u)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "id", u->id);
    tl_json_str(j, "kind", u->kind);
    opt_int(j, "tid", u->tid);
    opt_int(j, "task", u->task);
    opt_str(j, "name", u->name);
    tl_json_str(j, "start", u->start);
    tl_json_str(j, "state", u->state);
    if (u->exited_ms >= 0) /* a finished thread's record: how long ago it finished */
        tl_json_int(j, "exited_ms", u->exited_ms);
    tl_json_str(j, "verdict", u->verdict);
    tl_json_str(j, "proof", u->proof);
    tl_json_bool(j, "detached", u->detached);
    tl_json_bool(j, "unknown_origin", u->unknown_origin);
    opt_str(j, "suppressed", u->suppressed);
    tl_jrep_wait(j, u->wait);
    opt_str(j, "created_by", u->created_by);
    opt_int(j, "created_stack", u->created_stack);
    opt_int(j, "blocked_stack", u->blocked_stack);
    opt_str(j, "label", u->label);
    tl_json_obj_end(j);
}

/* A list of strings given by a callback, as an array member. */
static void nth_array(struct tl_json *j, const char *key, size_t n, tl_jv_nth nth, const void *arg)
{
    char buf[64];
    tl_json_arr_begin(j, key);
    for (size_t k = 0; k < n; k++)
        tl_json_str(j, NULL, nth(arg, k, buf, sizeof buf));
    tl_json_arr_end(j);
}

void tl_jrep_growth(struct tl_json *j, const struct tl_jv_growth *g)
{
    tl_json_obj_begin(j, "growth");
    tl_json_str(j, "site", g->site);
    tl_json_double(j, "rate_per_s", g->rate_per_s);
    tl_json_uint(j, "count", g->count);
    tl_json_uint(j, "count_before", g->count_before);
    tl_json_int(j, "window_ms", g->window_ms);
    tl_json_obj_end(j);
}

void tl_jrep_group(struct tl_json *j, const struct tl_jv_group *g)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "verdict", g->verdict);
    tl_json_str(j, "kind", g->kind);
    tl_json_str(j, "reason", g->reason);
    opt_int(j, "created_stack", g->created_stack);
    opt_int(j, "blocked_stack", g->blocked_stack);
    tl_json_uint(j, "count", g->count);
    tl_json_uint(j, "proven", g->proven);
    nth_array(j, "units", g->nunits, g->unit, g->arg);
    tl_json_obj_begin(j, "wait_ms");
    opt_int(j, "min", g->wait_min);
    opt_int(j, "max", g->wait_max);
    tl_json_obj_end(j);
    tl_json_str(j, "hint", g->hint);
    if (g->growth != NULL)
        tl_jrep_growth(j, g->growth);
    tl_json_obj_end(j);
}

void tl_jrep_deadlock(struct tl_json *j, const struct tl_jv_deadlock *d)
{
    tl_json_obj_begin(j, NULL);
    nth_array(j, "units", d->nunits, d->unit, d->arg);
    nth_array(j, "objects", d->nobjects, d->object, d->arg);
    tl_json_obj_end(j);
}

void tl_jrep_inversion(struct tl_json *j, const struct tl_jv_inversion *x)
{
    tl_json_obj_begin(j, NULL);
    nth_array(j, "objects", x->nobjects, x->object, x->arg);
    tl_json_arr_begin(j, "edges");
    for (size_t e = 0; e < x->nedges; e++) {
        struct tl_jv_inv_edge d;
        x->edge(x->arg, e, &d);
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "unit", d.unit);
        tl_json_str(j, "held", d.held);
        tl_json_str(j, "acquired", d.acquired);
        opt_int(j, "held_stack", d.held_stack);
        opt_int(j, "acquired_stack", d.acquired_stack);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_str(j, "suppressed", x->suppressed);
    tl_json_obj_end(j);
}

void tl_jrep_suppression(struct tl_json *j, const char *pattern, uint64_t matched,
                         const char *source)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "pattern", pattern);
    tl_json_uint(j, "matched", matched);
    tl_json_str(j, "source", source);
    tl_json_obj_end(j);
}
