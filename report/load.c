/*
 * Loading a report: the file, the top level, and the small sections.
 *
 * Pass 1 walks the top-level object with jscan, validating everything, parsing the small
 * sections (process, summary, deadlocks, suppressions, schema, kind) with jansson on their
 * exact byte spans, and remembering where the bulk sections start. Pass 2 reads the bulk
 * sections in dependency order (modules, stacks, groups, units) from those offsets, so the
 * file's key order does not matter. Every failure becomes one line "FILE: PROBLEM".
 */
#include "load.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_impl.h"
#include "tl_input.h"

enum { SEC_MODULES, SEC_STACKS, SEC_GROUPS, SEC_UNITS, NSEC };
static const char *const bulk_names[NSEC] = {"modules", "stacks", "groups", "units"};

struct top {
    json_t *small;         /* the small sections by key, parsed by jansson */
    size_t bulk_off[NSEC]; /* where each bulk section's value starts */
    bool bulk_seen[NSEC];
};

/* A copy with control characters (which would reach terminals) replaced by '?'. */
static char *clean_dup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    for (char *c = d; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return d;
}

char *tlr_ld_clean_dup(const char *s)
{
    return clean_dup(s);
}

static char *dup_str(json_t *o, const char *key)
{
    return clean_dup(json_string_value(json_object_get(o, key)));
}

/* What a JSON value is, for messages: its value when it is an integer, else its type. */
static const char *json_what(json_t *v, char *buf, size_t n)
{
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return json_is_string(v)   ? "a string"
           : json_is_real(v)   ? "a fraction"
           : json_is_object(v) ? "an object"
           : json_is_array(v)  ? "an array"
                               : "true or false";
}

/* A count or id the schema says is a non-negative integer: absent or null gives dflt, anything
 * else but a non-negative integer is refused naming the section and the member. */
static int get_count(struct tlr_ld *ld, json_t *o, const char *sec, const char *key,
                     long long dflt, long long *out)
{
    json_t *v = json_object_get(o, key);
    char buf[32];
    *out = dflt;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return tlr_ld_problem(ld, "in %s: \"%s\" is %s; expected a non-negative integer", sec, key,
                              json_what(v, buf, sizeof buf));
    *out = json_integer_value(v);
    return 0;
}

static int small_section(struct tlr_ld *ld, struct top *t, const char *key)
{
    const char *start = ld->js.p;
    if (tlr_js_skip(&ld->js) < 0)
        return -1;
    json_error_t je;
    json_t *v = json_loadb(start, (size_t)(ld->js.p - start), JSON_DECODE_ANY, &je);
    if (!v)
        return tlr_ld_problem(ld, "in %s: %s", key, je.text);
    json_object_set_new(t->small, key, v);
    return 0;
}

/* Validates the units array (syntax, and the shape of every unit's ids and counts) and counts
 * its elements, so that pass 2 may stop reading units as soon as it has the ones it wants. */
static int count_units(struct tlr_ld *ld)
{
    int r;
    if (tlr_js_arr_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_arr_next(&ld->js)) == 1) {
        ld->p->units_total++;
        if (tlr_ld_unit_shape(ld) < 0)
            return -1;
    }
    return r;
}

static int pass1(struct tlr_ld *ld, struct top *t)
{
    char key[32];
    int r;
    if (tlr_js_peek(&ld->js) != '{')
        return tlr_js_fail(&ld->js, tlr_js_peek(&ld->js) < 0 ? "empty file" : "not a JSON object");
    if (tlr_js_obj_begin(&ld->js) < 0)
        return -1;
    while ((r = tlr_js_obj_next(&ld->js, key, sizeof key)) == 1) {
        int sec = -1;
        for (int i = 0; i < NSEC; i++)
            if (!strcmp(key, bulk_names[i]))
                sec = i;
        tlr_js_peek(&ld->js);
        snprintf(ld->section_buf, sizeof ld->section_buf, "%s", key);
        ld->section = sec >= 0 ? bulk_names[sec] : ld->section_buf;
        if (sec >= 0 && !t->bulk_seen[sec]) {
            t->bulk_seen[sec] = true;
            t->bulk_off[sec] = (size_t)(ld->js.p - ld->js.base);
            r = sec == SEC_UNITS ? count_units(ld) : tlr_js_skip(&ld->js);
        } else if (sec < 0 && key[0] && !json_object_get(t->small, key)) {
            r = small_section(ld, t, key);
        } else {
            r = tlr_js_skip(&ld->js);
        }
        if (r < 0)
            return -1;
    }
    ld->section = "the top level";
    return r < 0 ? -1 : tlr_js_finish(&ld->js);
}

static int check_schema(struct tlr_ld *ld, json_t *small)
{
    json_t *schema = json_object_get(small, "schema");
    if (!schema)
        return tlr_ld_problem(ld, "not a taskleak report (no \"schema\" member)");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), "taskleak/1"))
        return tlr_ld_problem(ld, "unsupported schema %s%s%s (expected \"taskleak/1\")",
                              json_is_string(schema) ? "\"" : "",
                              json_is_string(schema) ? json_string_value(schema) : "(not a string)",
                              json_is_string(schema) ? "\"" : "");
    return 0;
}

static int read_process(struct tlr_ld *ld, json_t *small)
{
    struct tlr_proc *p = ld->p;
    json_t *proc = json_object_get(small, "process");
    if (!json_is_object(proc))
        return tlr_ld_problem(ld, "no \"process\" object");
    if (get_count(ld, proc, "process", "pid", -1, &p->pid) < 0 ||
        get_count(ld, proc, "process", "ppid", -1, &p->ppid) < 0)
        return -1;
    p->exe = dup_str(proc, "exe");
    p->started = dup_str(proc, "started");
    p->written = dup_str(proc, "written");
    p->kind = dup_str(small, "kind");
    p->signal = dup_str(small, "signal");
    json_t *o = json_object_get(small, "options"), *a = json_object_get(small, "attach");
    p->options = json_is_object(o) ? json_incref(o) : NULL;
    p->attach = json_is_object(a) ? json_incref(a) : NULL;
    json_t *argv = json_object_get(proc, "argv");
    size_t n = json_is_array(argv) ? json_array_size(argv) : 0;
    p->argv = calloc(n + 1, sizeof *p->argv);
    if (!p->argv)
        return tlr_ld_problem(ld, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(argv, i)))
            p->argv[p->nargv++] = clean_dup(json_string_value(json_array_get(argv, i)));
    return 0;
}

/* The summary's counts; each must be a non-negative integer when present. */
static int read_summary(struct tlr_ld *ld, json_t *small)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"threads_created", offsetof(struct tlr_summary, threads_created)},
        {"tasks_created", offsetof(struct tlr_summary, tasks_created)},
        {"alive", offsetof(struct tlr_summary, alive)},
        {"leaked", offsetof(struct tlr_summary, leaked)},
        {"deadlocked", offsetof(struct tlr_summary, deadlocked)},
        {"blocked", offsetof(struct tlr_summary, blocked)},
        {"unjoined", offsetof(struct tlr_summary, unjoined)},
        {"inversions", offsetof(struct tlr_summary, inversions)},
        {"proven", offsetof(struct tlr_summary, proven)},
        {"suppressed", offsetof(struct tlr_summary, suppressed)},
    };
    json_t *s = json_object_get(small, "summary");
    if (s && !json_is_object(s))
        return tlr_ld_problem(ld, "\"summary\" is not an object");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        long long *field = (long long *)(void *)((char *)&ld->p->summary + keys[i].off);
        if (get_count(ld, s, "summary", keys[i].key, 0, field) < 0)
            return -1;
    }
    return 0;
}

static char **strings_of(json_t *arr, size_t *n)
{
    size_t len = json_is_array(arr) ? json_array_size(arr) : 0;
    char **v = calloc(len + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < len; i++)
        if (json_is_string(json_array_get(arr, i)))
            v[(*n)++] = clean_dup(json_string_value(json_array_get(arr, i)));
    return v;
}

/* options.fail_on, when the report has it (older reports do not): an array of verdicts, or
 * the option's own text ("leaked,deadlocked"). */
static int read_fail_on(struct tlr_ld *ld, json_t *small)
{
    json_t *f = json_object_get(json_object_get(small, "options"), "fail_on"), *split = NULL;
    if (json_is_string(f)) {
        split = json_array();
        for (const char *s = json_string_value(f); split && *s; s += *s == ',') {
            size_t n = strcspn(s, ",");
            if (n > 0)
                json_array_append_new(split, json_stringn(s, n));
            s += n;
        }
        f = split;
    }
    if (!json_is_array(f))
        return 0;
    ld->p->fail_on = strings_of(f, &ld->p->nfail_on);
    json_decref(split);
    return ld->p->fail_on ? 0 : tlr_ld_problem(ld, "out of memory");
}

static int read_deadlocks(struct tlr_ld *ld, json_t *small)
{
    json_t *d = json_object_get(small, "deadlocks");
    size_t n = json_is_array(d) ? json_array_size(d) : 0;
    ld->p->deadlocks = calloc(n + 1, sizeof *ld->p->deadlocks);
    if (!ld->p->deadlocks)
        return tlr_ld_problem(ld, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct tlr_deadlock *dl = &ld->p->deadlocks[ld->p->ndeadlocks++];
        json_t *units = json_object_get(json_array_get(d, i), "units");
        for (size_t k = 0; k < json_array_size(units); k++) /* unit ids: strings, never skipped */
            if (!json_is_string(json_array_get(units, k)))
                return tlr_ld_problem(ld, "in deadlocks: a unit id is not a string");
        dl->units = strings_of(units, &dl->nunits);
        dl->objects = strings_of(json_object_get(json_array_get(d, i), "objects"), &dl->nobjects);
    }
    return 0;
}

/* Reads the bulk section sec at its remembered offset (absent sections are empty). */
static int bulk(struct tlr_ld *ld, const struct top *t, int sec)
{
    static int (*const readers[NSEC])(struct tlr_ld *) = {tlr_ld_modules, tlr_ld_stacks,
                                                          tlr_ld_groups, tlr_ld_units};
    if (!t->bulk_seen[sec])
        return 0;
    ld->js.p = ld->js.base + t->bulk_off[sec];
    ld->js.depth = 0;
    ld->section = bulk_names[sec];
    return readers[sec](ld);
}

static int pass2(struct tlr_ld *ld, struct top *t)
{
    if (check_schema(ld, t->small) < 0 || read_process(ld, t->small) < 0)
        return -1;
    if (read_summary(ld, t->small) < 0 || read_fail_on(ld, t->small) < 0)
        return -1;
    if (read_deadlocks(ld, t->small) < 0) /* before units: their units are wanted */
        return -1;
    if (tlr_inv_read(ld->p, json_object_get(t->small, "inversions")) < 0)
        return tlr_ld_problem(ld, "out of memory");
    for (int sec = 0; sec < NSEC; sec++)
        if (bulk(ld, t, sec) < 0)
            return -1;
    json_t *supp = json_object_get(t->small, "suppressions");
    if (json_is_array(supp))
        ld->p->suppressions = json_incref(supp);
    return 0;
}

static void format_error(const struct tlr_ld *ld, const char *name, char *err, size_t errlen)
{
    if (ld->js.err && !ld->field_problem)
        snprintf(err, errlen, "%s: invalid JSON: %s at byte %zu (in %s)", name, ld->js.err,
                 ld->js.err_off, ld->section ? ld->section : "the top level");
    else
        snprintf(err, errlen, "%s: %s", name, ld->problem[0] ? ld->problem : "unreadable report");
}

int tlr_load_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                    struct tlr_proc *out, char *err, size_t errlen)
{
    struct tlr_ld ld = {.p = out, .flags = flags, .section = "the top level"};
    struct top t = {.small = json_object()};
    memset(out, 0, sizeof *out);
    tlr_js_init(&ld.js, buf, len);
    tlr_hash_oom = 0;
    int r = t.small ? 0 : tlr_ld_problem(&ld, "out of memory");
    if (r == 0)
        r = pass1(&ld, &t);
    if (r == 0)
        r = pass2(&ld, &t);
    if (r == 0 && !(out->file = strdup(name)))
        r = tlr_ld_problem(&ld, "out of memory");
    json_decref(t.small);
    if (r < 0) {
        format_error(&ld, name, err, errlen);
        tlr_proc_free(out);
    }
    return r;
}

int tlr_load_read(const char *path, const char *what, char **buf, size_t *len, char *err,
                  size_t errlen)
{
    struct tl_input_error ie;
    char why[128];
    if (tl_input_read(path, TLR_LOAD_MAX_BYTES, buf, len, &ie) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s%s", path, what, tl_input_describe(&ie, why, sizeof why));
    return -1;
}

/* A /proc file says size 0 (and cannot be mapped): such files are read with read(2) instead,
 * within the same limit. */
static int load_read(const char *path, unsigned flags, struct tlr_proc *out, char *err,
                     size_t errlen)
{
    char *buf;
    size_t len;
    if (tlr_load_read(path, "", &buf, &len, err, errlen) < 0)
        return -1;
    int r = len == 0 ? (snprintf(err, errlen, "%s: empty file", path), -1)
                     : tlr_load_buffer(buf, len, path, flags, out, err, errlen);
    free(buf);
    return r;
}

int tlr_load_file(const char *path, unsigned flags, struct tlr_proc *out, char *err, size_t errlen)
{
    struct tl_input_error ie = {.problem = TL_INPUT_TOO_BIG, .max = TLR_LOAD_MAX_BYTES};
    struct stat st;
    char why[128];
    memset(out, 0, sizeof *out);
    int fd = tl_input_open(path, 0, &st, &ie);
    if (fd >= 0 && (size_t)st.st_size > TLR_LOAD_MAX_BYTES) {
        close(fd);
        fd = -1;
        ie = (struct tl_input_error){.problem = TL_INPUT_TOO_BIG, .max = TLR_LOAD_MAX_BYTES};
    }
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, tl_input_describe(&ie, why, sizeof why));
        return -1;
    }
    /* Mapped, not read: a 350 MB report costs no copy and no anonymous memory. Only the size
     * fstat saw is mapped, so a file that grows meanwhile is read as it was. */
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED)
        return load_read(path, flags, out, err, errlen);
    madvise(map, len, MADV_SEQUENTIAL);
    int r = tlr_load_buffer(map, len, path, flags, out, err, errlen);
    munmap(map, len);
    return r;
}
