/*
 * Helpers every renderer shares, so the formats agree on names, durations and counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inversion.h"
#include "render.h"
#include "tl_fmt.h"
#include "tl_reason.h"

void tlr_fmt_duration(long long ms, char *buf, size_t len)
{
    if (ms < 0)
        snprintf(buf, len, "?");
    else if (ms < 1000)
        snprintf(buf, len, "%lldms", ms);
    else if (ms < 60000)
        snprintf(buf, len, "%llds", ms / 1000);
    else if (ms < 3600000)
        snprintf(buf, len, "%lldm%llds", ms / 60000, ms / 1000 % 60);
    else
        snprintf(buf, len, "%lldh%lldm", ms / 3600000, ms / 60000 % 60);
}

const char *tlr_frame_display(const struct tlr_proc *p, const struct tlr_frame *f, char *buf,
                              size_t len)
{
    if (!f->function && f->nlocs && f->locs[f->nlocs - 1].function)
        return f->locs[f->nlocs - 1].function;
    return tlr_frame_name(p, f, buf, len);
}

const char *tlr_frame_module(const struct tlr_proc *p, const struct tlr_frame *f)
{
    if (f->module < 0 || (size_t)f->module >= p->nmodules)
        return NULL;
    return p->modules[f->module].path;
}

const char *tlr_kind_word(const char *kind, long long count)
{
    bool one = count == 1;
    if (kind && !strcmp(kind, "thread"))
        return one ? "thread" : "threads";
    if (kind && !strcmp(kind, "task"))
        return one ? "task" : "tasks";
    return one ? "unit" : "units";
}

static long long sat_add(long long a, long long b)
{
    return a > __LONG_LONG_MAX__ - b ? __LONG_LONG_MAX__ : a + b;
}

void tlr_count(const struct tlr_merged *m, const struct tlr_render_opts *o, struct tlr_counts *c)
{
    memset(c, 0, sizeof *c);
    c->groups = m->ngroups;
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct tlr_mgroup *g = m->groups[i];
        if (g->suppressed_by) {
            c->suppressed++;
            continue;
        }
        long long *slot = g->severity == 0   ? &c->deadlocked
                          : g->severity == 1 ? &c->leaked
                          : g->severity == 2 ? &c->blocked
                          : g->severity == 3 ? &c->unjoined
                                             : &c->other;
        *slot = sat_add(*slot, g->count);
        c->fresh += !g->known;
        c->failing += (size_t)tlr_gate_fails(g, o->fail_on);
    }
    c->inversions = tlr_inv_count(m);
    if (o->fail_on != TLR_FAIL_NONE)
        c->failing += c->inversions;
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

void tlr_object_what(const struct tlr_proc *p, const char *name, const char *obj, char *buf,
                     size_t n)
{
    char place[160];
    bool symbol = name && strcmp(name, "heap") && strncmp(name, "stack of ", 9);
    if (symbol)
        place_of(p, strtoull(obj, NULL, 16), place, sizeof place);
    else
        snprintf(place, sizeof place, "%s", obj);
    tl_fmt_object(buf, n, name, place);
}

/* "  waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn" */
void tlr_wait_line(FILE *out, const struct tlr_mgroup *g)
{
    const struct tlr_unit *u = g->first->nunits ? tlr_proc_unit(g->proc, g->first->units[0]) : NULL;
    const char *word = u && u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    if (!word || !u->wait.object)
        return;
    char what[256];
    tlr_object_what(g->proc, u->wait.object_name, u->wait.object, what, sizeof what);
    const struct tlr_unit *o = u->wait.owner ? tlr_proc_unit(g->proc, u->wait.owner) : NULL;
    tl_fmt_wait(out, word, NULL, what, u->wait.owner, o ? o->start : NULL,
                u->wait.reason && !strcmp(u->wait.reason, "join"));
}
