/*
 * Lifetime and lookups of the report model (model.h). The loader builds a struct tlr_proc and
 * this file is the only place that knows how to take one apart again.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int tlr_hash_oom;
void *(*tlr_hash_malloc)(size_t size) = malloc;

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_stack(struct tlr_stack *s)
{
    for (size_t i = 0; i < s->nframes; i++) {
        struct tlr_frame *f = &s->frames[i];
        free(f->function);
        for (size_t j = 0; j < f->nlocs; j++) {
            free(f->locs[j].function);
            free(f->locs[j].file);
        }
        free(f->locs);
    }
    free(s->frames);
}

void tlr_unit_free(struct tlr_unit *u)
{
    free(u->id);
    free(u->kind);
    free(u->name);
    free(u->start);
    free(u->state);
    free(u->verdict);
    free(u->created_by);
    free(u->label);
    free(u->proof);
    free(u->suppressed);
    free(u->wait.reason);
    free(u->wait.call);
    free(u->wait.object);
    free(u->wait.owner);
    free(u->wait.object_name);
    free(u);
}

static void free_units(struct tlr_proc *p)
{
    struct tlr_unit *u = p->units, *next;
    HASH_CLEAR(hh, p->units); /* uthash's own memory only; hh.next still chains every unit */
    for (; u; u = next) {
        next = u->hh.next;
        tlr_unit_free(u);
    }
}

void tlr_proc_free(struct tlr_proc *p)
{
    free(p->file);
    free(p->kind);
    free(p->signal);
    free(p->exe);
    free_strv(p->argv, p->nargv);
    free(p->started);
    free(p->written);
    free_strv(p->fail_on, p->nfail_on);
    for (size_t i = 0; i < p->nmodules; i++) {
        free(p->modules[i].path);
        free(p->modules[i].build_id);
    }
    free(p->modules);
    HASH_CLEAR(hh, p->stack_index);
    for (size_t i = 0; i < p->nstacks; i++)
        free_stack(&p->stacks[i]);
    free(p->stacks);
    free_units(p);
    for (size_t i = 0; i < p->ngroups; i++) {
        free(p->groups[i].verdict);
        free(p->groups[i].kind);
        free(p->groups[i].reason);
        free(p->groups[i].hint);
        free(p->groups[i].growth_site);
        free_strv(p->groups[i].units, p->groups[i].nunits);
    }
    free(p->groups);
    for (size_t i = 0; i < p->ndeadlocks; i++) {
        free_strv(p->deadlocks[i].units, p->deadlocks[i].nunits);
        free_strv(p->deadlocks[i].objects, p->deadlocks[i].nobjects);
    }
    free(p->deadlocks);
    tlr_inv_free(p);
    json_decref(p->suppressions); /* NULL is fine */
    json_decref(p->options);
    json_decref(p->attach);
    memset(p, 0, sizeof *p);
}

struct tlr_stack *tlr_proc_stack(const struct tlr_proc *p, long long id)
{
    struct tlr_stack *s = NULL;
    HASH_FIND(hh, p->stack_index, &id, sizeof id, s);
    return s;
}

struct tlr_unit *tlr_proc_unit(const struct tlr_proc *p, const char *id)
{
    struct tlr_unit *u = NULL;
    HASH_FIND_STR(p->units, id, u);
    return u;
}

const char *tlr_frame_name(const struct tlr_proc *p, const struct tlr_frame *f, char *buf,
                           size_t len)
{
    if (f->function)
        return f->function;
    const char *mod = "?";
    if (f->module >= 0 && (size_t)f->module < p->nmodules && p->modules[f->module].path) {
        mod = strrchr(p->modules[f->module].path, '/');
        mod = mod ? mod + 1 : p->modules[f->module].path;
    }
    snprintf(buf, len, "%s+0x%llx", mod, (unsigned long long)f->offset);
    return buf;
}

bool tlr_unit_is_main(const struct tlr_unit *u)
{
    return u && u->id && !strcmp(u->id, "thread:1") && (!u->kind || !strcmp(u->kind, "thread"));
}
