/*
 * The taskleak/1 document of kind "attach" (docs/json-schema.md), built with jansson from one
 * look at a process. Units are the threads found ("thread:1" the main thread, "thread:?TID" the
 * others: the tool did not see them created, so it has no creation stack and no sequence number);
 * each thread's stack at the stop is its blocked_stack, starting with a call frame naming the
 * blocking call as the detector's stacks do (the libc frames below it are cut, and the thread's
 * start-up frames at the bottom); groups gather
 * threads of the same verdict, reason and stack; deadlocks list the cycles. A top-level "attach"
 * member says how long the process was stopped and whether every thread was asleep.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "tl_fmt.h"

struct st {                     /* one distinct stack */
    const struct tla_thread *t; /* the first thread that has it */
};

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *hex(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return json_string(b);
}

static json_t *now_iso(void)
{
    struct timespec ts;
    struct tm tm;
    char b[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(b + n, sizeof b - n, ".%03ldZ", ts.tv_nsec / 1000000);
    return json_string(b);
}

/* The first frame of t's stack the report keeps: after the blocking call's own frame. */
static int first_kept(const struct tla_thread *t)
{
    return t->wait.reason && t->wait.call_frame >= 0 ? t->wait.call_frame + 1 : 0;
}

/* One past the last frame kept: the thread's start-up below the program's first function
 * (start_thread and clone3 in libc, __libc_start_main and _start for the main thread) is cut, as
 * the detector's stacks end at the start function. A stack of libc frames only keeps them all. */
static int end_kept(const struct tla_proc *p, const struct tla_thread *t)
{
    int first = first_kept(t), end = t->nframes;
    while (end > first + 1) {
        const struct tla_frame *f = &t->frames[end - 1];
        if (!tla_in_libc(p, f) && !(f->function && tl_fmt_startup_function(f->function)))
            break;
        end--;
    }
    for (int k = first; k < end; k++) /* nothing of the program's above: keep the whole stack */
        if (!tla_in_libc(p, &t->frames[k]))
            return end;
    return t->nframes;
}

static bool same_stack(const struct tla_proc *p, const struct tla_thread *a,
                       const struct tla_thread *b)
{
    int ka = first_kept(a), kb = first_kept(b), ea = end_kept(p, a), eb = end_kept(p, b);
    if (ea - ka != eb - kb || (a->wait.reason != NULL) != (b->wait.reason != NULL))
        return false;
    if (a->wait.reason && strcmp(a->wait.call, b->wait.call) != 0)
        return false;
    for (int i = 0; i < ea - ka; i++)
        if (a->frames[ka + i].pc != b->frames[kb + i].pc)
            return false;
    return true;
}

static json_t *frame_json(const struct tla_proc *p, const struct tla_frame *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "ip", hex(f->pc));
    json_object_set_new(o, "module", f->module >= 0 ? json_integer(f->module) : json_null());
    json_object_set_new(o, "offset",
                        f->module >= 0 ? hex(f->pc - p->modules[f->module].base) : json_null());
    json_object_set_new(o, "function", str_or_null(f->function));
    return o;
}

static json_t *stack_json(const struct tla_proc *p, const struct tla_thread *t, size_t id)
{
    json_t *frames = json_array();
    if (t->wait.reason && t->wait.call_frame >= 0)
        json_array_append_new(frames, json_pack("{s:n,s:n,s:n,s:s}", "ip", "module", "offset",
                                                "function", t->wait.call));
    for (int k = first_kept(t), end = end_kept(p, t); k < end; k++)
        json_array_append_new(frames, frame_json(p, &t->frames[k]));
    return json_pack("{s:I,s:o}", "id", (json_int_t)id, "frames", frames);
}

static json_t *modules_json(const struct tla_proc *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->nmodules; i++)
        json_array_append_new(a, json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)i, "path",
                                           p->modules[i].path, "build_id",
                                           str_or_null(p->modules[i].build_id), "base",
                                           hex(p->modules[i].base)));
    return a;
}

/* stack[i]: the stack id of thread i; returns the "stacks" array. */
static json_t *stacks_json(const struct tla_proc *p, size_t *stack)
{
    json_t *a = json_array();
    size_t nst = 0;
    for (size_t i = 0; i < p->n; i++) {
        stack[i] = nst;
        for (size_t j = 0; j < i; j++)
            if (same_stack(p, &p->t[i], &p->t[j])) {
                stack[i] = stack[j];
                break;
            }
        if (stack[i] == nst)
            json_array_append_new(a, stack_json(p, &p->t[i], nst++));
    }
    return a;
}

static json_t *wait_json(const struct tla_proc *p, const struct tla_thread *t)
{
    if (!t->wait.reason)
        return json_null();
    char owner[32] = "";
    if (t->next >= 0)
        tla_unit_id(p, (size_t)t->next, owner, sizeof owner);
    else if (t->wait.owner_tid > 0 && strcmp(t->wait.reason, "mutex lock") == 0)
        snprintf(owner, sizeof owner, "thread:?%d", (int)t->wait.owner_tid);
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:b,s:o}", "reason", t->wait.reason, "call",
                     t->wait.call, "object", hex(t->wait.object), "object_name",
                     str_or_null(t->object_name), "since_ms",
                     t->since_ms >= 0 ? json_integer(t->since_ms) : json_null(), "durable",
                     t->wait.durable, "owner", str_or_null(owner));
}

static const char *state_of(const struct tla_thread *t)
{
    return t->wait.reason ? "blocked" : "running";
}

/* A thread's kernel name when the program gave it one: not the main thread's (inherited). */
static const char *own_name(const struct tla_proc *p, const struct tla_thread *t)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i].tid == p->pid)
            return t == &p->t[i] || !strcmp(t->comm, p->t[i].comm) ? NULL : t->comm;
    return t->comm;
}

static json_t *units_json(const struct tla_proc *p, const size_t *stack)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n; i++) {
        const struct tla_thread *t = &p->t[i];
        char id[32];
        tla_unit_id(p, i, id, sizeof id);
        json_t *u = json_pack("{s:s,s:s,s:i,s:n,s:o,s:o,s:s,s:o,s:b,s:b,s:n,s:o,s:n,s:n,s:I,s:n}",
                              "id", id, "kind", "thread", "tid", (int)t->tid, "task", "name",
                              str_or_null(own_name(p, t)), "start", str_or_null(t->start), "state",
                              state_of(t), "verdict", str_or_null(t->verdict), "detached", 0,
                              "unknown_origin", t->tid != p->pid, "suppressed", "wait",
                              wait_json(p, t), "created_by", "created_stack", "blocked_stack",
                              (json_int_t)stack[i], "label");
        json_array_append_new(a, u);
    }
    return a;
}

static int severity(const char *v)
{
    return !v ? 2 : !strcmp(v, "deadlocked") ? 0 : 1;
}

static int by_severity(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int sx = severity(json_string_value(json_object_get(x, "verdict")));
    int sy = severity(json_string_value(json_object_get(y, "verdict")));
    if (sx != sy)
        return sx - sy;
    json_int_t cx = json_integer_value(json_object_get(x, "count"));
    json_int_t cy = json_integer_value(json_object_get(y, "count"));
    return (cy > cx) - (cy < cx);
}

static bool same_group(const struct tla_thread *a, size_t sa, const struct tla_thread *b, size_t sb)
{
    return sa == sb && (a->verdict == b->verdict) && !strcmp(state_of(a), state_of(b)) &&
           ((!a->wait.reason && !b->wait.reason) ||
            (a->wait.reason && b->wait.reason && !strcmp(a->wait.reason, b->wait.reason)));
}

static json_t *groups_json(const struct tla_proc *p, const size_t *stack)
{
    json_t **g = calloc(p->n ? p->n : 1, sizeof *g);
    size_t ng = 0;
    for (size_t i = 0; g && i < p->n; i++) {
        const struct tla_thread *t = &p->t[i];
        char id[32];
        tla_unit_id(p, i, id, sizeof id);
        long long since = t->wait.reason && t->since_ms >= 0 ? t->since_ms : 0;
        size_t k = 0;
        for (; k < i; k++)
            if (same_group(t, stack[i], &p->t[k], stack[k]))
                break;
        json_t *grp = NULL;
        for (size_t j = 0; k < i && j < ng && !grp; j++)
            if (json_integer_value(json_object_get(g[j], "first")) == (json_int_t)k)
                grp = g[j];
        if (!grp) {
            grp = json_pack("{s:o,s:s,s:o,s:n,s:I,s:I,s:[],s:{s:I,s:I},s:I}", "verdict",
                            str_or_null(t->verdict), "kind", "thread", "reason",
                            str_or_null(t->wait.reason), "created_stack", "blocked_stack",
                            (json_int_t)stack[i], "count", (json_int_t)0, "units", "wait_ms", "min",
                            (json_int_t)since, "max", (json_int_t)since, "first", (json_int_t)i);
            g[ng++] = grp;
        }
        json_object_set_new(grp, "count",
                            json_integer(json_integer_value(json_object_get(grp, "count")) + 1));
        json_array_append_new(json_object_get(grp, "units"), json_string(id));
        json_t *wm = json_object_get(grp, "wait_ms");
        if (since < json_integer_value(json_object_get(wm, "min")))
            json_object_set_new(wm, "min", json_integer(since));
        if (since > json_integer_value(json_object_get(wm, "max")))
            json_object_set_new(wm, "max", json_integer(since));
    }
    if (g != NULL)
        qsort(g, ng, sizeof *g, by_severity);
    json_t *a = json_array();
    for (size_t j = 0; j < ng; j++) {
        json_object_del(g[j], "first");
        json_array_append_new(a, g[j]);
    }
    free(g);
    return a;
}

static json_t *deadlocks_json(const struct tla_proc *p)
{
    json_t *a = json_array();
    for (size_t d = 0; d < p->ndl; d++) {
        json_t *units = json_array(), *objects = json_array();
        for (size_t k = 0; k < p->dl[d].n; k++) {
            char id[32];
            tla_unit_id(p, p->dl[d].members[k], id, sizeof id);
            json_array_append_new(units, json_string(id));
            json_array_append_new(objects, hex(p->t[p->dl[d].members[k]].wait.object));
        }
        json_array_append_new(a, json_pack("{s:o,s:o}", "units", units, "objects", objects));
    }
    return a;
}

static json_t *summary_json(const struct tla_proc *p)
{
    json_int_t dead = 0, blocked = 0;
    for (size_t i = 0; i < p->n; i++) {
        dead += p->t[i].verdict && !strcmp(p->t[i].verdict, "deadlocked");
        blocked += p->t[i].verdict && !strcmp(p->t[i].verdict, "blocked");
    }
    return json_pack("{s:i,s:i,s:I,s:i,s:i,s:I,s:I,s:i,s:i}", "threads_created", 0, "tasks_created",
                     0, "alive", (json_int_t)p->n, "leaked", 0, "unjoined", 0, "deadlocked", dead,
                     "blocked", blocked, "inversions", 0, "suppressed", 0);
}

static json_t *process_json(const struct tla_proc *p)
{
    json_t *argv = json_array();
    for (size_t i = 0; i < p->nargv; i++)
        json_array_append_new(argv, json_string(p->argv[i] ? p->argv[i] : ""));
    return json_pack("{s:i,s:i,s:o,s:o,s:n,s:o}", "pid", (int)p->pid, "ppid", (int)p->ppid, "exe",
                     str_or_null(p->exe), "argv", argv, "started", "written", now_iso());
}

char *tla_json(const struct tla_proc *p)
{
    size_t *stack = calloc(p->n ? p->n : 1, sizeof *stack);
    if (stack == NULL)
        return NULL;
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string("taskleak/1"));
    json_object_set_new(doc, "kind", json_string("attach"));
    json_object_set_new(doc, "process", process_json(p));
    json_object_set_new(doc, "options",
                        json_pack("{s:I,s:[s]}", "threshold_ms", (json_int_t)p->threshold_ms,
                                  "fail_on", "deadlocked"));
    json_object_set_new(doc, "attach",
                        json_pack("{s:f,s:i,s:b}", "stop_ms", p->stop_ms, "threads", (int)p->n,
                                  "all_asleep", p->all_asleep));
    json_object_set_new(doc, "summary", summary_json(p));
    json_object_set_new(doc, "modules", modules_json(p));
    json_object_set_new(doc, "stacks", stacks_json(p, stack));
    json_object_set_new(doc, "units", units_json(p, stack));
    json_object_set_new(doc, "groups", groups_json(p, stack));
    json_object_set_new(doc, "deadlocks", deadlocks_json(p));
    json_object_set_new(doc, "inversions", json_array());
    json_object_set_new(doc, "suppressions", json_array());
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    free(stack);
    return s;
}
