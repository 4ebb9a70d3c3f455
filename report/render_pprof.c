/*
 * --format pprof: the merged groups as a pprof profile, the format of Go's goroutine profile
 * (sample type units/count, one sample per group, as `go tool pprof` shows goroutines), so
 * go tool pprof (-top, -traces, -http) and speedscope read a leak like a goroutine dump.
 *
 * The profile is built with the protobuf-c structures protoc-c generated from the published
 * profile.proto (report/pprof/profile.proto), packed by libprotobuf-c and gzipped with zlib
 * (pprof readers expect gzip). Building in memory first means a failure (out of memory) writes
 * nothing, and the output file keeps its previous contents.
 *
 * Labels carry what the folded format puts in a pseudo-frame and what the text report says in
 * words: verdict, kind, reason, wait (a numeric label in ms: the longest wait of the group), the
 * names of the listed units, the processes (exe[pid]) and which stack the sample shows, so
 * `-tagfocus verdict=leaked` or `-tags` work as on any labelled profile.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "pprof_table.h"
#include "render_tools.h"

#define MAX_LABEL_VALUES 8 /* unit names and processes listed per sample */

struct labels {
    Perftools__Profiles__Label **v;
    size_t n, cap;
};

static void add_label(struct tlr_pp_table *t, struct labels *l, const char *key, const char *str,
                      long long num, const char *unit)
{
    Perftools__Profiles__Label *x;
    if (l->n == l->cap || !(x = tlr_pp_alloc(t, sizeof *x)))
        return;
    *x = (Perftools__Profiles__Label)PERFTOOLS__PROFILES__LABEL__INIT;
    x->key = tlr_pp_str(t, key);
    x->str = tlr_pp_str(t, str);
    x->num = str ? 0 : num;
    x->num_unit = str ? 0 : tlr_pp_str(t, unit);
    l->v[l->n++] = x;
}

/* Whether str is already a value of key among the labels. */
static bool has_value(struct tlr_pp_table *t, const struct labels *l, const char *key,
                      const char *str)
{
    int64_t k = tlr_pp_str(t, key), s = tlr_pp_str(t, str);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i]->key == k && l->v[i]->str == s)
            return true;
    return false;
}

/* "unit_name": the distinct names of the units the group lists first in each process (the
 * loader keeps TLR_LOAD_GROUP_UNITS of them for pprof). */
static void name_labels(struct tlr_pp_table *t, struct labels *l, const struct tlr_mgroup *g)
{
    size_t added = 0;
    for (size_t o = 0; o < g->nocc && added < MAX_LABEL_VALUES; o++) {
        const struct tlr_group *gr = g->occ[o].group;
        for (size_t i = 0; i < gr->nunits && added < MAX_LABEL_VALUES; i++) {
            const struct tlr_unit *u = tlr_proc_unit(g->occ[o].proc, gr->units[i]);
            if (!u || !u->name || !*u->name || has_value(t, l, "unit_name", u->name))
                continue;
            add_label(t, l, "unit_name", u->name, 0, NULL);
            added++;
        }
    }
}

/* "process": exe[pid] of every process the group was found in (the first few). */
static void process_labels(struct tlr_pp_table *t, struct labels *l, const struct tlr_mgroup *g)
{
    char buf[512];
    for (size_t o = 0; o < g->nocc && o < MAX_LABEL_VALUES; o++) {
        const struct tlr_proc *p = g->occ[o].proc;
        const char *exe = p->exe ? strrchr(p->exe, '/') : NULL;
        exe = exe ? exe + 1 : p->exe ? p->exe : "?";
        snprintf(buf, sizeof buf, "%s[%lld]", exe, p->pid);
        add_label(t, l, "process", buf, 0, NULL);
    }
}

static Perftools__Profiles__Label **group_labels(struct tlr_pp_table *t, const struct tlr_mgroup *g,
                                                 bool created, size_t *n)
{
    struct labels l = {.cap = 6 + 2 * MAX_LABEL_VALUES};
    if (!(l.v = tlr_pp_alloc(t, l.cap * sizeof *l.v)))
        return *n = 0, NULL;
    if (g->first->verdict)
        add_label(t, &l, "verdict", g->first->verdict, 0, NULL);
    if (g->first->kind)
        add_label(t, &l, "kind", g->first->kind, 0, NULL);
    if (g->first->reason)
        add_label(t, &l, "reason", g->first->reason, 0, NULL);
    if (g->wait_max >= 0)
        add_label(t, &l, "wait", NULL, g->wait_max, "ms");
    add_label(t, &l, "stack", created ? "created" : "blocked", 0, NULL);
    name_labels(t, &l, g);
    process_labels(t, &l, g);
    *n = l.n;
    return l.v;
}

static void add_sample(struct tlr_pp_table *t, const struct tlr_mgroup *g, enum tlr_pp_stack want)
{
    const struct tlr_group *gr = g->first;
    const struct tlr_stack *s = want == TLR_PP_CREATED ? gr->created : gr->blocked;
    if (!s) /* the main thread has no creation stack; a finished thread no blocked one */
        s = want == TLR_PP_CREATED ? gr->blocked : gr->created;
    Perftools__Profiles__Sample *x = tlr_pp_alloc(t, sizeof *x);
    int64_t *value = tlr_pp_alloc(t, sizeof *value);
    uint64_t *ids = tlr_pp_alloc(t, (s ? s->nframes : 0) * sizeof *ids);
    if (!x || !value || !ids)
        return;
    *x = (Perftools__Profiles__Sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
    for (size_t i = 0; s && i < s->nframes; i++) /* frames[0] is the leaf, as pprof wants */
        if ((ids[x->n_location_id] = tlr_pp_location(t, g->proc, &s->frames[i])) != 0)
            x->n_location_id++;
    x->location_id = ids;
    *value = g->count;
    x->value = value;
    x->n_value = 1;
    x->label = group_labels(t, g, s && s == gr->created, &x->n_label);
    tlr_pp_add_sample(t, x);
}

static Perftools__Profiles__ValueType *value_type(struct tlr_pp_table *t)
{
    Perftools__Profiles__ValueType *v = tlr_pp_alloc(t, sizeof *v);
    if (v) {
        *v = (Perftools__Profiles__ValueType)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
        v->type = tlr_pp_str(t, "units");
        v->unit = tlr_pp_str(t, "count");
    }
    return v;
}

/* The latest time a report was written ("2026-11-23T12:00:01Z"), in ns since the epoch; 0 when
 * none says. pprof shows it as the profile's time. */
static int64_t written_ns(const struct tlr_merged *m)
{
    int64_t best = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        struct tm tm = {0};
        const char *end =
            m->procs[i].written ? strptime(m->procs[i].written, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        time_t t = end ? timegm(&tm) : (time_t)-1;
        if (t > 0 && (int64_t)t * 1000000000 > best)
            best = (int64_t)t * 1000000000;
    }
    return best;
}

/* Each process's executable comes first among the mappings (pprof names the profile after the
 * first mapping's file): the module whose path is the exe, else the first module. */
static void exe_mappings(struct tlr_pp_table *t, const struct tlr_merged *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct tlr_proc *p = &m->procs[i];
        size_t k = 0;
        while (k < p->nmodules &&
               !(p->exe && p->modules[k].path && !strcmp(p->exe, p->modules[k].path)))
            k++;
        k = k < p->nmodules ? k : 0;
        if (k < p->nmodules)
            tlr_pp_mapping(t, p, (int)k, p->modules[k].base);
    }
}

/* gzip of buf[0..n) to out. 0, or -1. */
static int write_gzip(FILE *out, const uint8_t *buf, size_t n)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)n);
    uint8_t *gz = malloc(bound);
    int r = -1;
    if (gz) {
        z.next_in = (Bytef *)(uintptr_t)buf;
        z.avail_in = (uInt)n;
        z.next_out = gz;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END && fwrite(gz, 1, z.total_out, out) == z.total_out)
            r = 0;
    }
    deflateEnd(&z);
    free(gz);
    return r;
}

static int pack_and_write(FILE *out, const Perftools__Profiles__Profile *prof)
{
    size_t n = protobuf_c_message_get_packed_size(&prof->base);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    int r = protobuf_c_message_pack(&prof->base, buf) == n ? write_gzip(out, buf, n) : -1;
    free(buf);
    return r;
}

int tlr_render_pprof(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o,
                     enum tlr_pp_stack stack)
{
    struct tlr_pp_table t;
    (void)o;
    tlr_pp_init(&t);
    Perftools__Profiles__ValueType *st = value_type(&t);
    t.prof.sample_type = tlr_pp_alloc(&t, sizeof *t.prof.sample_type);
    if (st && t.prof.sample_type) {
        t.prof.sample_type[0] = st;
        t.prof.n_sample_type = 1;
    }
    t.prof.period_type = value_type(&t);
    t.prof.period = 1;
    t.prof.time_nanos = written_ns(m);
    exe_mappings(&t, m);
    for (size_t i = 0; i < m->ngroups; i++)
        if (!m->groups[i]->suppressed_by)
            add_sample(&t, m->groups[i], stack);
    int r = t.oom ? -1 : pack_and_write(out, &t.prof);
    tlr_pp_free(&t);
    return r < 0 || ferror(out) ? -1 : 0;
}
