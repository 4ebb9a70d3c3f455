/*
 * The loader's units section, usually the bulk of a report (one object per thread or task).
 *
 * With TLR_LOAD_ALL_UNITS every unit is decoded into proc->units. Otherwise only the units some
 * group names first, and those of deadlocks, are decoded (grouped text shows their creator; a
 * report with deadlocks has all of its units decoded); for every other unit the
 * reader stops decoding once it has the "id" and skips the rest of the object, which keeps a
 * 1M-unit report within the time bar. Either way the whole array is validated.
 */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "load_impl.h"

#define KEYLEN 32

struct wanted {
    const char *id; /* borrowed from a group's units[] */
    UT_hash_handle hh;
};

static int read_wait(struct tlr_ld *ld, struct tlr_unit *u)
{
    char key[KEYLEN];
    int r;
    if (tlr_js_peek(&ld->js) == 'n')
        return tlr_js_skip(&ld->js);
    u->has_wait = true;
    u->wait.since_ms = -1;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        struct tlr_wait *w = &u->wait;
        if (!strcmp(key, "reason") && !w->reason)
            r = tlr_js_string(&ld->js, &w->reason);
        else if (!strcmp(key, "call") && !w->call)
            r = tlr_js_string(&ld->js, &w->call);
        else if (!strcmp(key, "object") && !w->object)
            r = tlr_js_string(&ld->js, &w->object);
        else if (!strcmp(key, "object_name") && !w->object_name)
            r = tlr_js_string(&ld->js, &w->object_name);
        else if (!strcmp(key, "owner") && !w->owner)
            r = tlr_js_peek(&ld->js) == '"' || tlr_js_peek(&ld->js) == 'n'
                    ? tlr_js_string(&ld->js, &w->owner)
                    : tlr_js_skip(&ld->js);
        else if (!strcmp(key, "since_ms"))
            r = tlr_ld_count(ld, "wait.since_ms", &w->since_ms, -1);
        else if (!strcmp(key, "durable"))
            r = tlr_js_bool(&ld->js, &w->durable);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    return r;
}

/* Decodes one member of a unit object; unknown keys are skipped. */
static int unit_member(struct tlr_ld *ld, struct tlr_unit *u, const char *key)
{
    struct tlr_js *s = &ld->js;
    char **str = !strcmp(key, "id")           ? &u->id
                 : !strcmp(key, "kind")       ? &u->kind
                 : !strcmp(key, "name")       ? &u->name
                 : !strcmp(key, "start")      ? &u->start
                 : !strcmp(key, "state")      ? &u->state
                 : !strcmp(key, "verdict")    ? &u->verdict
                 : !strcmp(key, "created_by") ? &u->created_by
                 : !strcmp(key, "label")      ? &u->label
                 : !strcmp(key, "proof")      ? &u->proof
                 : !strcmp(key, "suppressed") ? &u->suppressed
                                              : NULL;
    if (str)
        return *str ? tlr_js_skip(s) : tlr_js_string(s, str);
    if (!strcmp(key, "tid"))
        return tlr_ld_count(ld, "tid", &u->tid, -1);
    if (!strcmp(key, "task"))
        return tlr_ld_count(ld, "task", &u->task, -1);
    if (!strcmp(key, "detached"))
        return tlr_js_bool(s, &u->detached);
    if (!strcmp(key, "unknown_origin"))
        return tlr_js_bool(s, &u->unknown_origin);
    if (!strcmp(key, "exited_ms"))
        return tlr_ld_count(ld, "exited_ms", &u->exited_ms, -1);
    if (!strcmp(key, "created_stack"))
        return tlr_ld_count(ld, "created_stack", &u->created_stack, -1);
    if (!strcmp(key, "blocked_stack"))
        return tlr_ld_count(ld, "blocked_stack", &u->blocked_stack, -1);
    if (!strcmp(key, "wait") && !u->has_wait)
        return read_wait(ld, u);
    return tlr_js_skip(s);
}

/* Checks the members named in counts[0..n) of the object at the cursor (null or a non-negative
 * integer), skipping the others; a "wait" member is looked into for its since_ms. */
static int shape(struct tlr_ld *ld, const char *const *counts, size_t n)
{
    static const char *const wait_counts[] = {"since_ms"};
    char key[KEYLEN];
    int r;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        int c = tlr_js_peek(&ld->js);
        bool number = c == 'n' || (c >= '0' && c <= '9');
        for (size_t i = 0; !number && i < n; i++) {
            long long v;
            if (!strcmp(key, counts[i]))
                return tlr_ld_count(ld, counts[i], &v, -1);
        }
        if (c == '{' && !strcmp(key, "wait") ? shape(ld, wait_counts, 1) < 0
                                              : tlr_js_skip(&ld->js) < 0)
            return -1;
    }
    return r;
}

int tlr_ld_unit_shape(struct tlr_ld *ld)
{
    static const char *const counts[] = {"tid", "task", "created_stack", "blocked_stack"};
    return shape(ld, counts, sizeof counts / sizeof counts[0]);
}

/* Whether every unit is decoded: when asked, and in a report with deadlocks (rare), whose text
 * names the thread that exited holding a lock and shows where it was created though that thread
 * is in no group. */
static bool every_unit(const struct tlr_ld *ld)
{
    return (ld->flags & TLR_LOAD_ALL_UNITS) || ld->p->ndeadlocks > 0;
}

/* Reads one unit; *keep is false when it was skipped (not wanted). */
static int read_unit(struct tlr_ld *ld, struct tlr_unit *u, struct wanted *want, bool *keep)
{
    char key[KEYLEN];
    int r;
    bool all = every_unit(ld);
    *keep = true;
    u->tid = u->task = u->created_stack = u->blocked_stack = u->exited_ms = -1;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (*keep) {
            if (unit_member(ld, u, key) < 0)
                return -1;
            if (!all && u->id) {
                struct wanted *w = NULL;
                HASH_FIND_STR(want, u->id, w);
                *keep = w != NULL;
            }
        } else if (tlr_js_skip(&ld->js) < 0) {
            return -1;
        }
    }
    if (r == 0 && *keep && !u->id)
        return tlr_ld_problem(ld, "in units: a unit has no id");
    return r;
}

static int check_unit_stacks(struct tlr_ld *ld, const struct tlr_unit *u)
{
    if ((u->created_stack >= 0 && !tlr_proc_stack(ld->p, u->created_stack)) ||
        (u->blocked_stack >= 0 && !tlr_proc_stack(ld->p, u->blocked_stack)))
        return tlr_ld_problem(ld, "in units: unit %s refers to a stack which is not in stacks",
                              u->id);
    return 0;
}

static int add_unit(struct tlr_ld *ld, struct tlr_unit *u)
{
    if (check_unit_stacks(ld, u) < 0)
        return -1;
    if (tlr_proc_unit(ld->p, u->id)) /* a duplicate id: the first one stands */
        return 1;
    HASH_ADD_KEYPTR(hh, ld->p->units, u->id, strlen(u->id), u);
    return tlr_hash_oom ? tlr_ld_problem(ld, "out of memory") : 0;
}

static void want(struct wanted **set, struct wanted *slot, const char *id)
{
    struct wanted *w = NULL;
    HASH_FIND_STR(*set, id, w);
    if (w)
        return;
    slot->id = id;
    HASH_ADD_KEYPTR(hh, *set, slot->id, strlen(slot->id), slot);
}

/* Units each group keeps: the first (grouped text's "created by"), or with TLR_LOAD_SOME_UNITS
 * the first few. */
static size_t per_group(const struct tlr_ld *ld)
{
    return ld->flags & TLR_LOAD_SOME_UNITS ? TLR_LOAD_GROUP_UNITS : 1;
}

/* The units grouped text shows: each group's first unit(s) and every unit of a deadlock cycle.
 * slots has room for per_group() per group plus one per deadlocked unit. */
static struct wanted *wanted_units(struct tlr_ld *ld, struct wanted *slots)
{
    struct wanted *set = NULL;
    size_t n = 0;
    for (size_t i = 0; i < ld->p->ngroups; i++)
        for (size_t k = 0; k < ld->p->groups[i].nunits && k < per_group(ld); k++)
            want(&set, &slots[n++], ld->p->groups[i].units[k]);
    for (size_t i = 0; i < ld->p->ndeadlocks; i++)
        for (size_t j = 0; j < ld->p->deadlocks[i].nunits; j++)
            want(&set, &slots[n++], ld->p->deadlocks[i].units[j]);
    return set;
}

/* Reads units until the array ends or, when only some are wanted, until all of those were
 * found (pass 1 of the loader has validated the whole array already). */
static int units_loop(struct tlr_ld *ld, struct wanted *want)
{
    int r = 0;
    bool all = every_unit(ld);
    size_t missing = HASH_COUNT(want);
    if (tlr_js_arr_begin(&ld->js) < 0)
        return -1;
    while ((all || missing > 0) && (r = tlr_js_arr_next(&ld->js)) == 1) {
        struct tlr_unit *u = calloc(1, sizeof *u);
        bool keep;
        if (!u)
            return tlr_ld_problem(ld, "out of memory");
        if (read_unit(ld, u, want, &keep) < 0) {
            tlr_unit_free(u);
            return -1;
        }
        int a = keep ? add_unit(ld, u) : 1;
        if (a == 0 && !all)
            missing--;
        if (a != 0)
            tlr_unit_free(u);
        if (a < 0)
            return -1;
    }
    return r;
}

int tlr_ld_units(struct tlr_ld *ld)
{
    size_t nslots = ld->p->ngroups * per_group(ld) + 1;
    for (size_t i = 0; i < ld->p->ndeadlocks; i++)
        nslots += ld->p->deadlocks[i].nunits;
    struct wanted *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return tlr_ld_problem(ld, "out of memory");
    struct wanted *set = wanted_units(ld, slots);
    int r = units_loop(ld, set);
    HASH_CLEAR(hh, set);
    free(slots);
    if (tlr_hash_oom)
        return tlr_ld_problem(ld, "out of memory");
    return r;
}
