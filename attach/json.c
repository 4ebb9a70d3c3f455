/*
 * The taskleak/1 document of kind "attach" (docs/json-schema.md), from one look at a process,
 * written through the report objects every taskleak program shares (common/tl_jrep.h). Units are
 * the threads found ("thread:1" the main thread, "thread:?TID" the others: the tool did not see
 * them created, so it has no creation stack and no sequence number); each thread's stack at the
 * stop is its blocked_stack, starting with a call frame naming the blocking call as the detector's
 * stacks do (the libc frames below it are cut, and the thread's start-up frames at the bottom);
 * groups gather threads of the same verdict, reason and stack; deadlocks list the cycles. A
 * top-level "attach" member says how long the process was stopped and whether every thread was
 * asleep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "tl_fmt.h"
#include "tl_jrep.h"

static void now_iso(char *b, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(b, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(b + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
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

static void write_stack(struct tl_json *j, const struct tla_proc *p, const struct tla_thread *t,
                        size_t id)
{
    tl_jrep_stack_begin(j, (int64_t)id);
    if (t->wait.reason && t->wait.call_frame >= 0) {
        struct tl_jv_frame call = {.has_ip = false, .module = -1, .function = t->wait.call};
        tl_jrep_frame(j, &call);
    }
    for (int k = first_kept(t), end = end_kept(p, t); k < end; k++) {
        const struct tla_frame *f = &t->frames[k];
        struct tl_jv_frame fr = {.has_ip = true,
                                 .ip = f->pc,
                                 .module = f->module,
                                 .offset = f->module >= 0 ? f->pc - p->modules[f->module].base : 0,
                                 .function = f->function && f->function[0] ? f->function : NULL};
        tl_jrep_frame(j, &fr);
    }
    tl_jrep_stack_end(j);
}

static void write_modules(struct tl_json *j, const struct tla_proc *p)
{
    tl_json_arr_begin(j, "modules");
    for (size_t i = 0; i < p->nmodules; i++) {
        struct tl_jv_module m = {(int64_t)i, p->modules[i].path, p->modules[i].build_id,
                                 p->modules[i].base};
        tl_jrep_module(j, &m);
    }
    tl_json_arr_end(j);
}

/* stack[i]: the stack id of thread i; writes the "stacks" array. */
static void write_stacks(struct tl_json *j, const struct tla_proc *p, size_t *stack)
{
    size_t nst = 0;
    tl_json_arr_begin(j, "stacks");
    for (size_t i = 0; i < p->n; i++) {
        stack[i] = nst;
        for (size_t k = 0; k < i; k++)
            if (same_stack(p, &p->t[i], &p->t[k])) {
                stack[i] = stack[k];
                break;
            }
        if (stack[i] == nst)
            write_stack(j, p, &p->t[i], nst++);
    }
    tl_json_arr_end(j);
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

static void write_unit(struct tl_json *j, const struct tla_proc *p, size_t i, size_t stack)
{
    const struct tla_thread *t = &p->t[i];
    char id[32], owner[32] = "", object[24];
    tla_unit_id(p, i, id, sizeof id);
    if (t->next >= 0)
        tla_unit_id(p, (size_t)t->next, owner, sizeof owner);
    else if (t->wait.owner_tid > 0 && t->wait.reason && strcmp(t->wait.reason, "mutex lock") == 0)
        snprintf(owner, sizeof owner, "thread:?%d", (int)t->wait.owner_tid);
    struct tl_jv_wait w = {.reason = t->wait.reason,
                           .call = t->wait.call,
                           .object = tl_jrep_hex(t->wait.object, object, sizeof object),
                           .object_name = t->object_name,
                           .since_ms = t->since_ms >= 0 ? t->since_ms : -1,
                           .durable = t->wait.durable,
                           .owner = owner};
    struct tl_jv_unit u = {.id = id,
                           .kind = "thread",
                           .tid = t->tid,
                           .task = -1,
                           .name = own_name(p, t),
                           .start = t->start[0] ? t->start : NULL,
                           .state = state_of(t),
                           .exited_ms = -1,
                           .verdict = t->verdict,
                           .unknown_origin = t->tid != p->pid,
                           .wait = t->wait.reason ? &w : NULL,
                           .created_stack = -1,
                           .blocked_stack = (int64_t)stack};
    tl_jrep_unit(j, &u);
}

struct agroup {         /* threads of one verdict, state, reason and stack */
    size_t first;       /* the first thread in it */
    size_t count;       /* threads in it */
    size_t at;          /* where its members start in the members array */
    long long min, max; /* wait_ms */
};

struct agroups {
    const struct tla_proc *p;
    struct agroup *g;
    size_t n;
    size_t *members; /* thread indices, group after group */
};

static bool same_group(const struct tla_thread *a, size_t sa, const struct tla_thread *b, size_t sb)
{
    return sa == sb && (a->verdict == b->verdict) && !strcmp(state_of(a), state_of(b)) &&
           ((!a->wait.reason && !b->wait.reason) ||
            (a->wait.reason && b->wait.reason && !strcmp(a->wait.reason, b->wait.reason)));
}

static int severity(const char *v)
{
    return !v ? 2 : !strcmp(v, "deadlocked") ? 0 : 1;
}

static const struct tla_proc *sort_proc; /* for by_severity: qsort passes no context */

/* Deadlocked first, then blocked, then the rest; larger groups first; then as found. */
static int by_severity(const void *a, const void *b)
{
    const struct agroup *x = a, *y = b;
    int sx = severity(sort_proc->t[x->first].verdict),
        sy = severity(sort_proc->t[y->first].verdict);
    if (sx != sy)
        return sx - sy;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->first > y->first) - (x->first < y->first);
}

/* Groups the threads (gid: scratch of p->n entries); 0, or -1 out of memory. */
static int make_groups(struct agroups *a, const size_t *stack, size_t *gid)
{
    const struct tla_proc *p = a->p;
    for (size_t i = 0; i < p->n; i++) {
        const struct tla_thread *t = &p->t[i];
        long long since = t->wait.reason && t->since_ms >= 0 ? t->since_ms : 0;
        size_t k = 0;
        while (k < i && !same_group(t, stack[i], &p->t[k], stack[k]))
            k++;
        gid[i] = k < i ? gid[k] : a->n++;
        struct agroup *g = &a->g[gid[i]];
        if (k == i)
            *g = (struct agroup){.first = i, .min = since, .max = since};
        g->count++;
        g->min = since < g->min ? since : g->min;
        g->max = since > g->max ? since : g->max;
    }
    sort_proc = p;
    qsort(a->g, a->n, sizeof *a->g, by_severity);
    size_t at = 0;
    for (size_t g = 0; g < a->n; g++) {
        a->g[g].at = at;
        for (size_t i = a->g[g].first; i < p->n; i++)
            if (gid[i] == gid[a->g[g].first])
                a->members[at++] = i;
    }
    return 0;
}

struct gmembers {
    const struct tla_proc *p;
    const size_t *idx;
};

static const char *member_id(const void *arg, size_t k, char *buf, size_t len)
{
    const struct gmembers *m = arg;
    tla_unit_id(m->p, m->idx[k], buf, len);
    return buf;
}

static const char *member_object(const void *arg, size_t k, char *buf, size_t len)
{
    const struct gmembers *m = arg;
    return tl_jrep_hex(m->p->t[m->idx[k]].wait.object, buf, len);
}

static int write_groups(struct tl_json *j, const struct tla_proc *p, const size_t *stack)
{
    size_t n = p->n ? p->n : 1;
    struct agroups a = {p, calloc(n, sizeof *a.g), 0, calloc(n, sizeof *a.members)};
    size_t *gid = calloc(n, sizeof *gid);
    int rc = a.g && a.members && gid ? make_groups(&a, stack, gid) : -1;
    tl_json_arr_begin(j, "groups");
    for (size_t g = 0; rc == 0 && g < a.n; g++) {
        const struct agroup *ag = &a.g[g];
        const struct tla_thread *t = &p->t[ag->first];
        struct gmembers m = {p, a.members + ag->at};
        struct tl_jv_group v = {.verdict = t->verdict,
                                .kind = "thread",
                                .reason = t->wait.reason,
                                .created_stack = -1,
                                .blocked_stack = (int64_t)stack[ag->first],
                                .count = ag->count,
                                .nunits = ag->count,
                                .unit = member_id,
                                .arg = &m,
                                .wait_min = ag->min,
                                .wait_max = ag->max};
        tl_jrep_group(j, &v);
    }
    tl_json_arr_end(j);
    free(a.g);
    free(a.members);
    free(gid);
    return rc;
}

static void write_deadlocks(struct tl_json *j, const struct tla_proc *p)
{
    tl_json_arr_begin(j, "deadlocks");
    for (size_t d = 0; d < p->ndl; d++) {
        struct gmembers m = {p, p->dl[d].members};
        struct tl_jv_deadlock v = {p->dl[d].n, p->dl[d].n, member_id, member_object, &m};
        tl_jrep_deadlock(j, &v);
    }
    tl_json_arr_end(j);
}

static void write_summary(struct tl_json *j, const struct tla_proc *p)
{
    struct tl_jv_summary s = {.alive = p->n};
    for (size_t i = 0; i < p->n; i++) {
        s.deadlocked += p->t[i].verdict && !strcmp(p->t[i].verdict, "deadlocked");
        s.blocked += p->t[i].verdict && !strcmp(p->t[i].verdict, "blocked");
    }
    tl_jrep_summary(j, &s);
}

static void write_head(struct tl_json *j, const struct tla_proc *p)
{
    char written[40];
    now_iso(written, sizeof written);
    struct tl_jv_process proc = {.pid = p->pid,
                                 .ppid = p->ppid,
                                 .exe = p->exe[0] ? p->exe : NULL,
                                 .argv = (const char *const *)p->argv,
                                 .nargv = p->nargv,
                                 .written = written};
    tl_jrep_begin(j, "attach", NULL);
    tl_jrep_process(j, &proc);
    tl_json_obj_begin(j, "options");
    tl_json_int(j, "threshold_ms", p->threshold_ms);
    tl_json_arr_begin(j, "fail_on");
    tl_json_str(j, NULL, "deadlocked");
    tl_json_arr_end(j);
    tl_json_obj_end(j);
    tl_json_obj_begin(j, "attach");
    tl_json_double(j, "stop_ms", p->stop_ms);
    tl_json_uint(j, "threads", p->n);
    tl_json_bool(j, "all_asleep", p->all_asleep);
    tl_json_obj_end(j);
    write_summary(j, p);
    write_modules(j, p);
}

char *tla_json(const struct tla_proc *p)
{
    size_t *stack = calloc(p->n ? p->n : 1, sizeof *stack);
    if (stack == NULL)
        return NULL;
    struct tl_json j;
    tl_json_init(&j);
    write_head(&j, p);
    write_stacks(&j, p, stack);
    tl_json_arr_begin(&j, "units");
    for (size_t i = 0; i < p->n; i++)
        write_unit(&j, p, i, stack[i]);
    tl_json_arr_end(&j);
    int rc = write_groups(&j, p, stack);
    write_deadlocks(&j, p);
    tl_json_arr_begin(&j, "inversions");
    tl_json_arr_end(&j);
    tl_json_arr_begin(&j, "suppressions");
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    free(stack);
    char *doc = tl_json_finish(&j, NULL);
    if (rc < 0) {
        free(doc);
        return NULL;
    }
    return doc;
}
