/*
 * The loader's bulk sections: modules, stacks, groups and units, read with jscan (see jscan.h
 * for why not jansson). Each reader walks one array, decodes the members it knows, skips the
 * ones it does not (forward compatibility) and checks cross references: a frame's module, a
 * group's stacks. Units are the bulk of a big report, so unless every unit is wanted only the
 * first unit of each group is decoded and the others are skipped after their "id".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "load_impl.h"
#include "tl_vec.h"

#define KEYLEN 32

int tlr_ld_problem(struct tlr_ld *ld, const char *fmt, ...)
{
    if (!ld->problem[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->problem, sizeof ld->problem, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int tlr_ld_count(struct tlr_ld *ld, const char *field, long long *out, long long nullval)
{
    int c = tlr_js_peek(&ld->js);
    *out = nullval;
    if (c == 'n')
        return tlr_js_int(&ld->js, out, nullval);
    if (c != '-' && !(c >= '0' && c <= '9')) {
        ld->field_problem = true;
        return tlr_ld_problem(ld, "in %s: \"%s\" is not an integer", ld->section, field);
    }
    if (tlr_js_int(&ld->js, out, nullval) < 0) {
        ld->field_problem = true;
        return tlr_ld_problem(ld, "in %s: \"%s\": %s at byte %zu", ld->section, field,
                              ld->js.err ? ld->js.err : "not an integer", ld->js.err_off);
    }
    if (*out < 0) {
        ld->field_problem = true;
        return tlr_ld_problem(ld, "in %s: \"%s\" is %lld; expected a non-negative integer",
                              ld->section, field, *out);
    }
    return 0;
}

/* Grows *v (elements of size sz) so that index n fits, the new elements zeroed; 0 or -1. */
static int grow(struct tlr_ld *ld, void **v, size_t *cap, size_t n, size_t sz)
{
    size_t old = *cap;
    if (tl_vec_reserve_(v, cap, n + 1, sz) < 0) {
        tlr_ld_problem(ld, "out of memory"); /* returns -1, but clang's analyzer cannot see */
        return -1;                           /* into a variadic function: say it here */
    }
    if (*cap > old)
        memset((char *)*v + old * sz, 0, (*cap - old) * sz);
    return 0;
}

/* Reads a JSON array into the growing array *v of *n elements of size sz, each element parsed by
 * read_elem (which gets a zeroed element). Returns 0 at the end of the array, -1 on a problem. */
static int read_array(struct tlr_ld *ld, void **v, size_t *n, size_t sz,
                      int (*read_elem)(struct tlr_ld *, void *))
{
    size_t cap = *n;
    int r;
    if (tlr_js_arr_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_arr_next(&ld->js)) == 1) {
        if (grow(ld, v, &cap, *n, sz) < 0 || read_elem(ld, (char *)*v + (*n)++ * sz) < 0)
            return -1;
    }
    return r;
}

/* An address: "0x..." string (as written) or a plain integer. */
static int read_addr(struct tlr_ld *ld, uint64_t *out)
{
    *out = 0;
    if (tlr_js_peek(&ld->js) != '"') {
        long long v;
        if (tlr_ld_count(ld, "address", &v, 0) < 0)
            return -1;
        *out = (uint64_t)v;
        return 0;
    }
    char *str, *end;
    if (tlr_js_string(&ld->js, &str) < 0)
        return -1;
    bool hex = str[0] == '0' && (str[1] == 'x' || str[1] == 'X');
    unsigned long long v = hex ? strtoull(str + 2, &end, 16) : 0;
    int bad = !hex || *end || end == str + 2 || !isxdigit((unsigned char)str[2]) ||
              strlen(str) > 2 + 16; /* 64 bits; strtoull would saturate silently */
    free(str);
    if (bad)
        return tlr_ld_problem(ld, "in %s: an address is not a \"0x...\" hex string", ld->section);
    *out = v;
    return 0;
}

static int read_module(struct tlr_ld *ld, void *elem)
{
    struct tlr_module *m = elem;
    char key[KEYLEN];
    int r;
    m->id = -1;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "id"))
            r = tlr_ld_count(ld, "id", &m->id, -1);
        else if (!strcmp(key, "path") && !m->path)
            r = tlr_js_string(&ld->js, &m->path);
        else if (!strcmp(key, "build_id") && !m->build_id)
            r = tlr_js_string(&ld->js, &m->build_id);
        else if (!strcmp(key, "base"))
            r = read_addr(ld, &m->base);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    return r;
}

int tlr_ld_modules(struct tlr_ld *ld)
{
    struct tlr_proc *p = ld->p;
    return read_array(ld, (void **)&p->modules, &p->nmodules, sizeof *p->modules, read_module);
}

/* Index of the module with this report id; -1 for null, -2 when unknown. Module ids are
 * normally their index, so that is tried first; the fallback scan is bounded by nmodules. */
static int module_index(const struct tlr_proc *p, long long id)
{
    if (id < 0)
        return -1;
    if ((size_t)id < p->nmodules && p->modules[id].id == id)
        return (int)id;
    for (size_t i = 0; i < p->nmodules && i < 1u << 20; i++)
        if (p->modules[i].id == id)
            return (int)i;
    return -2;
}

static int read_frame(struct tlr_ld *ld, void *elem)
{
    struct tlr_frame *f = elem;
    char key[KEYLEN];
    long long mod = -1;
    int r;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "ip")) {
            f->has_ip = tlr_js_peek(&ld->js) != 'n';
            r = read_addr(ld, &f->ip);
        }
        else if (!strcmp(key, "offset"))
            r = read_addr(ld, &f->offset);
        else if (!strcmp(key, "module"))
            r = tlr_ld_count(ld, "module", &mod, -1);
        else if (!strcmp(key, "function") && !f->function)
            r = tlr_js_string(&ld->js, &f->function);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    if (r < 0)
        return -1;
    f->module = module_index(ld->p, mod);
    if (f->module == -2)
        return tlr_ld_problem(ld,
                              "in stacks: a frame refers to module %lld, which is not in "
                              "modules",
                              mod);
    return 0;
}

static int read_frames(struct tlr_ld *ld, struct tlr_stack *st)
{
    return read_array(ld, (void **)&st->frames, &st->nframes, sizeof *st->frames, read_frame);
}

/* Whether module m is the detector itself (libtaskleak.so, any version suffix). */
static bool detector_module(const struct tlr_proc *p, int m)
{
    if (m < 0 || !p->modules[m].path)
        return false;
    const char *base = strrchr(p->modules[m].path, '/');
    return !strncmp(base ? base + 1 : p->modules[m].path, "libtaskleak.so", 14);
}

/* Reports from detectors that did not cut their own frames at capture still hold them: the top
 * one (the wrapper, named like the call the program made) becomes a call frame, by name only,
 * and the others go, so no output shows the detector's internals. */
static void cut_detector_frames(const struct tlr_proc *p, struct tlr_stack *st)
{
    size_t out = 0;
    for (size_t i = 0; i < st->nframes; i++) {
        struct tlr_frame *f = &st->frames[i];
        if (!detector_module(p, f->module)) {
            st->frames[out++] = *f;
        } else if (i == 0 && f->function) {
            f->module = -1;
            f->offset = 0;
            f->has_ip = false; /* a call frame: no address of the program's */
            st->frames[out++] = *f;
        } else {
            free(f->function);
        }
    }
    st->nframes = out;
}

static int read_stack(struct tlr_ld *ld, void *elem)
{
    struct tlr_stack *st = elem;
    char key[KEYLEN];
    int r;
    bool has_id = false, has_frames = false;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "id")) {
            has_id = true;
            r = tlr_ld_count(ld, "id", &st->id, -1);
        } else if (!strcmp(key, "frames") && !has_frames) {
            has_frames = true;
            r = read_frames(ld, st);
            if (r == 0)
                cut_detector_frames(ld->p, st);
        } else {
            r = tlr_js_skip(&ld->js);
        }
        if (r < 0)
            return -1;
    }
    if (r == 0 && (!has_id || st->id < 0))
        return tlr_ld_problem(ld, "in stacks: a stack has no id");
    return r;
}

int tlr_ld_stacks(struct tlr_ld *ld)
{
    struct tlr_proc *p = ld->p;
    int r = read_array(ld, (void **)&p->stacks, &p->nstacks, sizeof *p->stacks, read_stack);
    /* Index only once the array stops moving. */
    for (size_t i = 0; r == 0 && i < p->nstacks; i++) {
        if (tlr_proc_stack(p, p->stacks[i].id))
            return tlr_ld_problem(ld, "in stacks: stack id %lld appears twice", p->stacks[i].id);
        HASH_ADD(hh, p->stack_index, id, sizeof p->stacks[i].id, &p->stacks[i]);
        if (tlr_hash_oom)
            return tlr_ld_problem(ld, "out of memory");
    }
    return r;
}

/* A stack reference: an id that must exist, or null. */
static int read_stack_ref(struct tlr_ld *ld, struct tlr_stack **out, const char *what)
{
    long long id;
    *out = NULL;
    if (tlr_ld_count(ld, what, &id, -1) < 0)
        return -1;
    if (id >= 0 && !(*out = tlr_proc_stack(ld->p, id)))
        return tlr_ld_problem(ld, "in %s: %s refers to stack %lld, which is not in stacks",
                              ld->section, what, id);
    return 0;
}

/* Reads an array of strings, keeping at most max of them (the rest is validated and skipped). */
static int read_strv(struct tlr_ld *ld, char ***v, size_t *n, size_t max)
{
    size_t cap = *n;
    int r;
    if (tlr_js_arr_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_arr_next(&ld->js)) == 1) {
        if (*n >= max) {
            if (tlr_js_skip(&ld->js) < 0)
                return -1;
            continue;
        }
        if (grow(ld, (void **)v, &cap, *n, sizeof **v) < 0 || tlr_js_string(&ld->js, &(*v)[*n]) < 0)
            return -1;
        if ((*v)[*n])
            (*n)++;
    }
    return r;
}

static int read_wait_ms(struct tlr_ld *ld, struct tlr_group *g)
{
    char key[KEYLEN];
    int r;
    if (tlr_js_peek(&ld->js) == 'n')
        return tlr_js_skip(&ld->js);
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "min"))
            r = tlr_ld_count(ld, "wait_ms.min", &g->wait_min, -1);
        else if (!strcmp(key, "max"))
            r = tlr_ld_count(ld, "wait_ms.max", &g->wait_max, -1);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    return r;
}

/* Reads a string member into *dst unless one was already read (duplicate keys: first wins). */
static int read_str_once(struct tlr_ld *ld, char **dst)
{
    if (*dst)
        return tlr_js_skip(&ld->js);
    return tlr_js_string(&ld->js, dst);
}

/* A number (rate_per_s): the token is validated by jscan's skip, then converted from a copy (the
 * buffer need not be NUL-terminated); anything but a number, or a longer one, reads as 0. */
static int read_rate(struct tlr_ld *ld, double *out)
{
    int c = tlr_js_peek(&ld->js);
    const char *start = ld->js.p;
    char num[64];
    *out = 0;
    if (tlr_js_skip(&ld->js) < 0)
        return -1;
    size_t n = (size_t)(ld->js.p - start);
    if ((c == '-' || (c >= '0' && c <= '9')) && n < sizeof num) {
        memcpy(num, start, n);
        num[n] = '\0';
        *out = strtod(num, NULL);
    }
    return 0;
}

/* groups[].growth (verdict "growing"); the merged view derives rate_per_s again from the counts
 * (over every occurrence), a re-emitted report keeps the detector's. */
static int read_growth(struct tlr_ld *ld, struct tlr_group *g)
{
    char key[KEYLEN];
    int r;
    if (tlr_js_peek(&ld->js) == 'n' || g->growth_site)
        return tlr_js_skip(&ld->js);
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "site"))
            r = read_str_once(ld, &g->growth_site);
        else if (!strcmp(key, "rate_per_s"))
            r = read_rate(ld, &g->growth_rate);
        else if (!strcmp(key, "count"))
            r = tlr_ld_count(ld, "growth.count", &g->growth_count, 0);
        else if (!strcmp(key, "count_before"))
            r = tlr_ld_count(ld, "growth.count_before", &g->growth_before, 0);
        else if (!strcmp(key, "window_ms"))
            r = tlr_ld_count(ld, "growth.window_ms", &g->growth_window_ms, 0);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    if (r == 0 && !g->growth_site)
        return tlr_ld_problem(ld, "in groups: a growth object has no site");
    return r;
}

static int read_group(struct tlr_ld *ld, void *elem)
{
    struct tlr_group *g = elem;
    char key[KEYLEN];
    int r;
    g->wait_min = g->wait_max = -1;
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        if (!strcmp(key, "verdict"))
            r = read_str_once(ld, &g->verdict);
        else if (!strcmp(key, "kind"))
            r = read_str_once(ld, &g->kind);
        else if (!strcmp(key, "reason"))
            r = read_str_once(ld, &g->reason);
        else if (!strcmp(key, "created_stack"))
            r = read_stack_ref(ld, &g->created, "created_stack");
        else if (!strcmp(key, "blocked_stack"))
            r = read_stack_ref(ld, &g->blocked, "blocked_stack");
        else if (!strcmp(key, "count"))
            r = tlr_ld_count(ld, "count", &g->count, 0);
        else if (!strcmp(key, "proven"))
            r = tlr_ld_count(ld, "proven", &g->proven, 0);
        else if (!strcmp(key, "units") && !g->units)
            r = read_strv(ld, &g->units, &g->nunits,
                          ld->flags & TLR_LOAD_ALL_UNITS ? (size_t)-1 : TLR_LOAD_GROUP_IDS);
        else if (!strcmp(key, "wait_ms"))
            r = read_wait_ms(ld, g);
        else if (!strcmp(key, "hint"))
            r = read_str_once(ld, &g->hint);
        else if (!strcmp(key, "growth"))
            r = read_growth(ld, g);
        else
            r = tlr_js_skip(&ld->js);
        if (r < 0)
            return -1;
    }
    if (r == 0 && !g->kind) /* verdict null: a dump's group the detector did not judge */
        return tlr_ld_problem(ld, "in groups: a group has no kind");
    if (r == 0 && g->count < 0)
        return tlr_ld_problem(ld, "in groups: a group has a negative count");
    return r;
}

int tlr_ld_groups(struct tlr_ld *ld)
{
    struct tlr_proc *p = ld->p;
    return read_array(ld, (void **)&p->groups, &p->ngroups, sizeof *p->groups, read_group);
}
