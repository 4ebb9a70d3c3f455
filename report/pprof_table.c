/*
 * pprof profile tables (see pprof_table.h).
 *
 * One uthash index holds the keys of all four tables, each key a malloc'ed string whose first
 * byte says the table: 's' + the string, 'f' + function name + US + file, 'm' + process + module,
 * 'l' + process + address + name (the blocking call the program made is a frame of its own with
no address, so the name tells those apart). Process pointers stand for processes in keys because two
processes
 * of one merged report may have mapped different files at one address.
 *
 * A mapping covers its module from the load base the report gave to the highest address one of
 * its frames had; the report does not record module sizes, and pprof needs only that every
 * location of the mapping falls inside it. Every mapping says has_functions: each frame has a
 * name (the report's symbol, the symbolizer's, or module+0xoff), so pprof must not try to
 * symbolize it again from files that may not be the ones the process ran.
 */
#include "pprof_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tl_vec.h"
#include "tlr_hash.h"

struct tlr_pp_key {
    char *key;
    uint64_t id;
    UT_hash_handle hh;
};

/* Room for one element more in arr (n in use, cap allocated): 0, or -1 with t->oom set. */
#define GROW(t, arr, n, cap) (TL_VEC_PUSH_SLOT(arr, cap, n) == 0 ? 0 : ((t)->oom = true, -1))

void *tlr_pp_alloc(struct tlr_pp_table *t, size_t size)
{
    if (GROW(t, t->arena, t->narena, t->cap_arena) < 0)
        return NULL;
    t->arena[t->narena] = calloc(1, size ? size : 1);
    if (!t->arena[t->narena])
        return t->oom = true, NULL;
    return t->arena[t->narena++];
}

void tlr_pp_init(struct tlr_pp_table *t)
{
    memset(t, 0, sizeof *t);
    t->prof = (Perftools__Profiles__Profile)PERFTOOLS__PROFILES__PROFILE__INIT;
    char **table = malloc(64 * sizeof *table), *empty = strdup(""); /* string 0 */
    if (!table || !empty) {
        free(table);
        free(empty);
        t->oom = true;
        return;
    }
    table[0] = empty;
    t->prof.string_table = table;
    t->prof.n_string_table = 1;
    t->cap_str = 64;
}

/* The id stored under key, or 0 when absent. */
static uint64_t find(const struct tlr_pp_table *t, const char *key)
{
    struct tlr_pp_key *k = NULL;
    HASH_FIND_STR(t->index, key, k);
    return k ? k->id : 0;
}

/* Records key -> id; on failure sets oom (the entry is then only not deduplicated). */
static void remember(struct tlr_pp_table *t, const char *key, uint64_t id)
{
    struct tlr_pp_key *k = malloc(sizeof *k);
    if (!k || !(k->key = strdup(key))) {
        free(k);
        t->oom = true;
        return;
    }
    k->id = id;
    tlr_hash_oom = 0;
    HASH_ADD_KEYPTR(hh, t->index, k->key, strlen(k->key), k);
    if (tlr_hash_oom) {
        free(k->key);
        free(k);
        t->oom = true;
    }
}

int64_t tlr_pp_str(struct tlr_pp_table *t, const char *s)
{
    Perftools__Profiles__Profile *p = &t->prof;
    char *key = NULL, *copy = NULL;
    if (!s || !*s)
        return 0;
    if (asprintf(&key, "s%s", s) < 0)
        return t->oom = true, 0;
    uint64_t id = find(t, key);
    if (id == 0 && GROW(t, p->string_table, p->n_string_table, t->cap_str) == 0 &&
        (copy = strdup(s))) {
        id = p->n_string_table;
        p->string_table[p->n_string_table++] = copy;
        remember(t, key, id);
    } else if (id == 0) {
        t->oom = true;
    }
    free(key);
    return (int64_t)id;
}

int tlr_pp_add_sample(struct tlr_pp_table *t, Perftools__Profiles__Sample *s)
{
    Perftools__Profiles__Profile *p = &t->prof;
    if (GROW(t, p->sample, p->n_sample, t->cap_sample) < 0)
        return -1;
    p->sample[p->n_sample++] = s;
    return 0;
}

static uint64_t function_id(struct tlr_pp_table *t, const char *name, const char *file)
{
    Perftools__Profiles__Profile *p = &t->prof;
    char *key = NULL;
    if (asprintf(&key, "f%s\x1f%s", name, file ? file : "") < 0)
        return t->oom = true, 0;
    uint64_t id = find(t, key);
    Perftools__Profiles__Function *f = NULL;
    if (id == 0 && GROW(t, p->function, p->n_function, t->cap_fn) == 0 &&
        (f = tlr_pp_alloc(t, sizeof *f))) {
        *f = (Perftools__Profiles__Function)PERFTOOLS__PROFILES__FUNCTION__INIT;
        f->id = id = p->n_function + 1;
        f->name = f->system_name = tlr_pp_str(t, name);
        f->filename = tlr_pp_str(t, file);
        p->function[p->n_function++] = f;
        remember(t, key, id);
    }
    free(key);
    return id;
}

/* The mapping of module mod of proc p (created on first use), widened to cover ip. */
uint64_t tlr_pp_mapping(struct tlr_pp_table *t, const struct tlr_proc *p, int mod, uint64_t ip)
{
    Perftools__Profiles__Profile *pr = &t->prof;
    char key[64];
    snprintf(key, sizeof key, "m%p:%d", (const void *)p, mod);
    uint64_t id = find(t, key);
    Perftools__Profiles__Mapping *m = NULL;
    if (id == 0 && GROW(t, pr->mapping, pr->n_mapping, t->cap_map) == 0 &&
        (m = tlr_pp_alloc(t, sizeof *m))) {
        const struct tlr_module *md = &p->modules[mod];
        bool lines = md->state == TLR_MOD_OK;
        *m = (Perftools__Profiles__Mapping)PERFTOOLS__PROFILES__MAPPING__INIT;
        m->id = id = pr->n_mapping + 1;
        m->memory_start = m->memory_limit = md->base;
        m->filename = tlr_pp_str(t, md->path);
        m->build_id = tlr_pp_str(t, md->build_id);
        m->has_functions = true;
        m->has_filenames = m->has_line_numbers = m->has_inline_frames = lines;
        pr->mapping[pr->n_mapping++] = m;
        remember(t, key, id);
    }
    if (id == 0)
        return 0;
    m = pr->mapping[id - 1];
    if (ip < m->memory_start)
        m->memory_start = ip;
    if (ip >= m->memory_limit)
        m->memory_limit = ip + 1;
    return id;
}

/* The frame's lines: the symbolizer's locations innermost first (the real function last, named
 * as every format names it), or one line with the frame's name and no file. */
static void set_lines(struct tlr_pp_table *t, Perftools__Profiles__Location *l,
                      const struct tlr_proc *p, const struct tlr_frame *f)
{
    char buf[256];
    size_t n = f->nlocs ? f->nlocs : 1;
    Perftools__Profiles__Line **lines = tlr_pp_alloc(t, n * sizeof *lines);
    for (size_t i = 0; lines && i < n; i++) {
        Perftools__Profiles__Line *ln = tlr_pp_alloc(t, sizeof *ln);
        if (!ln)
            return;
        *ln = (Perftools__Profiles__Line)PERFTOOLS__PROFILES__LINE__INIT;
        const struct tlr_loc *loc = f->nlocs ? &f->locs[i] : NULL;
        const char *name = i + 1 == n      ? tlr_frame_display(p, f, buf, sizeof buf)
                           : loc->function ? loc->function
                                           : "??";
        ln->function_id = function_id(t, name, loc ? loc->file : NULL);
        ln->line = loc ? loc->line : 0;
        lines[l->n_line++] = ln;
    }
    l->line = lines;
}

uint64_t tlr_pp_location(struct tlr_pp_table *t, const struct tlr_proc *p,
                         const struct tlr_frame *f)
{
    Perftools__Profiles__Profile *pr = &t->prof;
    char key[320], buf[256];
    snprintf(key, sizeof key, "l%p:%llx:%s", (const void *)p, (unsigned long long)f->ip,
             tlr_frame_display(p, f, buf, sizeof buf));
    uint64_t id = find(t, key);
    Perftools__Profiles__Location *l = NULL;
    if (id != 0 || GROW(t, pr->location, pr->n_location, t->cap_loc) < 0 ||
        !(l = tlr_pp_alloc(t, sizeof *l)))
        return id;
    *l = (Perftools__Profiles__Location)PERFTOOLS__PROFILES__LOCATION__INIT;
    l->id = id = pr->n_location + 1;
    l->address = f->ip;
    if (f->module >= 0 && (size_t)f->module < p->nmodules)
        l->mapping_id = tlr_pp_mapping(t, p, f->module, f->ip);
    set_lines(t, l, p, f);
    pr->location[pr->n_location++] = l;
    remember(t, key, id);
    return id;
}

void tlr_pp_free(struct tlr_pp_table *t)
{
    struct tlr_pp_key *k = t->index, *next;
    HASH_CLEAR(hh, t->index); /* uthash's own memory only; hh.next still chains every key */
    for (; k; k = next) {
        next = k->hh.next;
        free(k->key);
        free(k);
    }
    for (size_t i = 0; i < t->prof.n_string_table; i++)
        free(t->prof.string_table[i]);
    for (size_t i = 0; i < t->narena; i++)
        free(t->arena[i]);
    free(t->prof.string_table);
    free(t->prof.function);
    free(t->prof.mapping);
    free(t->prof.location);
    free(t->prof.sample);
    free(t->arena);
    memset(t, 0, sizeof *t);
}
