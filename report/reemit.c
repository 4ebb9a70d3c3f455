/*
 * A loaded report written back as taskleak/1 (reemit.h), through the objects the detector and
 * taskleak-attach write theirs with (common/tl_jrep.h): the same data gives the same bytes, which
 * is how the tests hold the three writers and the loader to one schema. The options and attach
 * objects are kept by the loader as parsed and written back member by member.
 */
#include "reemit.h"

#include <stdlib.h>

#include "merge.h"

#include "tl_jrep.h"
#include "tl_json.h"

/* A JSON value as parsed (options, attach): objects keep their members' order. */
static void value(struct tl_json *j, const char *key, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        tl_json_obj_begin(j, key);
        for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
            value(j, json_object_iter_key(it), json_object_iter_value(it));
        tl_json_obj_end(j);
        break;
    case JSON_ARRAY:
        tl_json_arr_begin(j, key);
        for (size_t i = 0; i < json_array_size(v); i++)
            value(j, NULL, json_array_get(v, i));
        tl_json_arr_end(j);
        break;
    case JSON_STRING:
        tl_json_str(j, key, json_string_value(v));
        break;
    case JSON_INTEGER:
        tl_json_int(j, key, json_integer_value(v));
        break;
    case JSON_REAL:
        tl_json_double(j, key, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        tl_json_bool(j, key, json_is_true(v));
        break;
    default:
        tl_json_null(j, key);
    }
}

static void process(struct tl_json *j, const struct tlr_proc *p)
{
    struct tl_jv_process v = {.pid = p->pid,
                              .ppid = p->ppid,
                              .exe = p->exe,
                              .argv = (const char *const *)p->argv,
                              .nargv = p->nargv,
                              .started = p->started,
                              .written = p->written};
    tl_jrep_process(j, &v);
}

static void summary(struct tl_json *j, const struct tlr_summary *s)
{
    struct tl_jv_summary v = {.threads_created = (uint64_t)s->threads_created,
                              .tasks_created = (uint64_t)s->tasks_created,
                              .alive = (uint64_t)s->alive,
                              .leaked = (uint64_t)s->leaked,
                              .unjoined = (uint64_t)s->unjoined,
                              .deadlocked = (uint64_t)s->deadlocked,
                              .blocked = (uint64_t)s->blocked,
                              .suppressed = (uint64_t)s->suppressed,
                              .inversions = (uint64_t)s->inversions,
                              .proven = (uint64_t)s->proven};
    tl_jrep_summary(j, &v);
}

static void modules_and_stacks(struct tl_json *j, const struct tlr_proc *p)
{
    tl_json_arr_begin(j, "modules");
    for (size_t i = 0; i < p->nmodules; i++) {
        const struct tlr_module *m = &p->modules[i];
        struct tl_jv_module v = {m->id, m->path, m->build_id, m->base};
        tl_jrep_module(j, &v);
    }
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "stacks");
    for (size_t i = 0; i < p->nstacks; i++) {
        const struct tlr_stack *s = &p->stacks[i];
        tl_jrep_stack_begin(j, s->id);
        for (size_t k = 0; k < s->nframes; k++) {
            const struct tlr_frame *f = &s->frames[k];
            struct tl_jv_frame v = {f->has_ip, f->ip,
                                    f->module >= 0 ? p->modules[f->module].id : -1, f->offset,
                                    f->function};
            tl_jrep_frame(j, &v);
        }
        tl_jrep_stack_end(j);
    }
    tl_json_arr_end(j);
}

static void unit(struct tl_json *j, const struct tlr_unit *u)
{
    const struct tlr_wait *w = &u->wait;
    struct tl_jv_wait wv = {w->reason,   w->call,    w->object, w->object_name,
                            w->since_ms, w->durable, w->owner};
    struct tl_jv_unit v = {.id = u->id,
                           .kind = u->kind,
                           .tid = u->tid,
                           .task = u->task,
                           .name = u->name,
                           .start = u->start,
                           .state = u->state,
                           .exited_ms = u->exited_ms,
                           .verdict = u->verdict,
                           .proof = u->proof,
                           .detached = u->detached,
                           .unknown_origin = u->unknown_origin,
                           .suppressed = u->suppressed,
                           .wait = u->has_wait ? &wv : NULL,
                           .created_by = u->created_by,
                           .created_stack = u->created_stack,
                           .blocked_stack = u->blocked_stack,
                           .label = u->label};
    tl_jrep_unit(j, &v);
}

static const char *nth_string(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    return ((char *const *)arg)[k];
}

static void group(struct tl_json *j, const struct tlr_group *g)
{
    struct tl_jv_growth gw = {g->growth_site, g->growth_rate, (uint64_t)g->growth_count,
                              (uint64_t)g->growth_before, g->growth_window_ms};
    struct tl_jv_group v = {.verdict = g->verdict,
                            .kind = g->kind,
                            .reason = g->reason,
                            .created_stack = g->created ? g->created->id : -1,
                            .blocked_stack = g->blocked ? g->blocked->id : -1,
                            .count = (uint64_t)g->count,
                            .proven = (uint64_t)g->proven,
                            .nunits = g->nunits,
                            .unit = nth_string,
                            .arg = g->units,
                            .wait_min = g->wait_min,
                            .wait_max = g->wait_max,
                            .hint = g->hint,
                            .growth = g->growth_site ? &gw : NULL};
    tl_jrep_group(j, &v);
}

static const char *deadlock_object(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    return ((const struct tlr_deadlock *)arg)->objects[k];
}

static const char *deadlock_unit(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    return ((const struct tlr_deadlock *)arg)->units[k];
}

static void inv_edge(const void *arg, size_t k, struct tl_jv_inv_edge *out)
{
    const struct tlr_inv_edge *d = &((const struct tlr_inversion *)arg)->edges[k];
    *out = (struct tl_jv_inv_edge){d->unit, d->held, d->acquired, d->held_stack, d->acquired_stack};
}

static const char *inv_object(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    return ((const struct tlr_inversion *)arg)->objects[k];
}

static void findings(struct tl_json *j, const struct tlr_proc *p)
{
    tl_json_arr_begin(j, "groups");
    for (size_t i = 0; i < p->ngroups; i++)
        group(j, &p->groups[i]);
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "deadlocks");
    for (size_t i = 0; i < p->ndeadlocks; i++) {
        const struct tlr_deadlock *d = &p->deadlocks[i];
        struct tl_jv_deadlock v = {d->nunits, d->nobjects, deadlock_unit, deadlock_object, d};
        tl_jrep_deadlock(j, &v);
    }
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "inversions");
    for (size_t i = 0; i < p->ninversions; i++) {
        const struct tlr_inversion *x = &p->inversions[i];
        struct tl_jv_inversion v = {x->nobjects, x->nedges, inv_object, inv_edge, x, x->suppressed};
        tl_jrep_inversion(j, &v);
    }
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "suppressions");
    for (size_t i = 0; i < json_array_size(p->suppressions); i++) {
        json_t *s = json_array_get(p->suppressions, i);
        json_int_t matched = json_integer_value(json_object_get(s, "matched"));
        tl_jrep_suppression(j, json_string_value(json_object_get(s, "pattern")),
                            matched > 0 ? (uint64_t)matched : 0,
                            json_string_value(json_object_get(s, "source")));
    }
    tl_json_arr_end(j);
}

char *tlr_reemit(const struct tlr_proc *p, size_t *len)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_jrep_begin(&j, p->kind, p->signal);
    process(&j, p);
    if (p->options)
        value(&j, "options", p->options);
    if (p->attach)
        value(&j, "attach", p->attach);
    summary(&j, &p->summary);
    modules_and_stacks(&j, p);
    tl_json_arr_begin(&j, "units");
    for (const struct tlr_unit *u = p->units; u; u = u->hh.next)
        unit(&j, u);
    tl_json_arr_end(&j);
    findings(&j, p);
    tl_json_obj_end(&j);
    return tl_json_finish(&j, len);
}

int tlr_render_taskleak(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    (void)o;
    size_t len = 0;
    char *doc = m->nprocs == 1 ? tlr_reemit(&m->procs[0], &len) : NULL;
    if (doc == NULL)
        return -1;
    size_t put = fwrite(doc, 1, len, out);
    free(doc);
    return put == len && !ferror(out) ? 0 : -1;
}
