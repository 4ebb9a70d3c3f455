/*
 * The CI gate (see gate.h). Baselines written by --format json are read with jansson and their
 * identities rebuilt from the "identity" objects with tlr_identity_names, the same function the
 * merger's identities go through, so the two can only agree or disagree on real differences.
 */
#include "gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

int tlr_fail_on_parse(const char *s, enum tlr_fail_on *out)
{
    if (!strcmp(s, "any"))
        *out = TLR_FAIL_ANY;
    else if (!strcmp(s, "new"))
        *out = TLR_FAIL_NEW;
    else if (!strcmp(s, "none"))
        *out = TLR_FAIL_NONE;
    else
        return -1;
    return 0;
}

static int add_key(struct tlr_baseline *b, char *key)
{
    struct tlr_known *k = NULL;
    if (!key)
        return -1;
    HASH_FIND_STR(b->keys, key, k);
    if (k) {
        free(key);
        return 0;
    }
    if (!(k = calloc(1, sizeof *k))) {
        free(key);
        return -1;
    }
    k->key = key;
    tlr_hash_oom = 0; /* so that it speaks of this insertion only */
    HASH_ADD_KEYPTR(hh, b->keys, k->key, strlen(k->key), k);
    if (tlr_hash_oom) { /* uthash gave up and did not link k: it is still ours */
        free(key);
        free(k);
        return -1;
    }
    return 0;
}

/* Collects the strings of a JSON array into v (borrowed pointers). */
static size_t names_of(json_t *arr, const char **v, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(arr) && n < max; i++)
        if (json_is_string(json_array_get(arr, i)))
            v[n++] = json_string_value(json_array_get(arr, i));
    return n;
}

static int add_identity(struct tlr_baseline *b, json_t *id)
{
    enum { MAXF = 4096 };
    static const char *blocked[MAXF], *created[MAXF];
    size_t nb = names_of(json_object_get(id, "blocked"), blocked, MAXF);
    size_t nc = names_of(json_object_get(id, "created"), created, MAXF);
    return add_key(b, tlr_identity_names(json_string_value(json_object_get(id, "verdict")),
                                         json_string_value(json_object_get(id, "kind")),
                                         json_string_value(json_object_get(id, "reason")), blocked,
                                         nb, created, nc));
}

static int from_merged_json(const char *path, const char *buf, size_t len,
                            struct tlr_baseline *b, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s: invalid JSON: %s at line %d", path, je.text, je.line);
        return -1;
    }
    json_t *groups = json_object_get(root, "groups");
    int r = json_is_array(groups) ? 0 : -1;
    if (r < 0)
        snprintf(err, errlen, "%s: baseline has no \"groups\" array", path);
    for (size_t i = 0; r == 0 && i < json_array_size(groups); i++) {
        json_t *id = json_object_get(json_array_get(groups, i), "identity");
        if (!json_is_object(id)) {
            snprintf(err, errlen, "%s: baseline group %zu has no \"identity\" object", path, i);
            r = -1;
        } else if (add_identity(b, id) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            r = -1;
        }
    }
    json_decref(root);
    return r;
}

static int from_raw_report(const char *path, const char *buf, size_t len,
                           struct tlr_baseline *b, char *err, size_t errlen)
{
    struct tlr_proc p;
    if (tlr_load_buffer(buf, len, path, 0, &p, err, errlen) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < p.ngroups; i++) {
        struct tlr_group *g = &p.groups[i];
        r = add_key(b, tlr_identity(&p, g->verdict, g->kind, g->reason, g->blocked, g->created));
    }
    tlr_proc_free(&p);
    if (r < 0)
        snprintf(err, errlen, "%s: out of memory", path);
    return r;
}

/* Tells the two baseline kinds apart by the "schema" member near the start of the text. */
static bool is_raw_report(const char *buf, size_t len)
{
    char head[4096], schema[64] = "";
    size_t n = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, buf, n);
    head[n] = 0;
    const char *s = strstr(head, "\"schema\"");
    if (s && (s = strchr(s + 8, '"')))
        snprintf(schema, sizeof schema, "%.*s", (int)strcspn(s + 1, "\""), s + 1);
    return !strcmp(schema, "taskleak/1");
}

int tlr_baseline_load(const char *path, struct tlr_baseline *b, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    /* Read once, by the same rule as reports: never blocking, a regular file, capped. */
    if (tlr_load_read(path, "baseline ", &buf, &len, err, errlen) < 0)
        return -1;
    int r = is_raw_report(buf, len) ? from_raw_report(path, buf, len, b, err, errlen)
                                    : from_merged_json(path, buf, len, b, err, errlen);
    free(buf);
    if (r < 0)
        tlr_baseline_free(b);
    return r;
}

void tlr_baseline_free(struct tlr_baseline *b)
{
    struct tlr_known *k = b->keys, *next;
    HASH_CLEAR(hh, b->keys); /* uthash's own memory only; hh.next still chains every element */
    for (; k; k = next) {
        next = k->hh.next;
        free(k->key);
        free(k);
    }
}

bool tlr_fails_on(const struct tlr_proc *p, const char *verdict)
{
    if (!verdict)
        return false;
    if (!p->fail_on) {
        size_t n = strlen(verdict);
        for (const char *d = TLR_FAIL_ON_DEFAULT; *d; d += strcspn(d, ","), d += *d == ',')
            if (strcspn(d, ",") == n && !strncmp(d, verdict, n))
                return true;
        return false;
    }
    for (size_t i = 0; i < p->nfail_on; i++)
        if (!strcmp(p->fail_on[i], verdict))
            return true;
    return false;
}

static bool any_fails_on(const struct tlr_mgroup *g)
{
    for (size_t i = 0; i < g->nocc; i++)
        if (tlr_fails_on(g->occ[i].proc, g->occ[i].group->verdict))
            return true;
    return false;
}

void tlr_gate_mark(struct tlr_merged *m, const struct tlr_baseline *b, struct tlr_supp *s)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        struct tlr_mgroup *g = m->groups[i];
        struct tlr_known *k = NULL;
        if (b)
            HASH_FIND_STR(b->keys, g->key, k);
        g->known = k != NULL;
        long r = s ? tlr_supp_match(s, g) : -1;
        g->suppressed_by = r >= 0 ? tl_supp_pattern(s->set, (size_t)r) : NULL;
        g->fail_verdict = any_fails_on(g);
    }
}

int tlr_gate_fails(const struct tlr_mgroup *g, enum tlr_fail_on f)
{
    if (g->suppressed_by || f == TLR_FAIL_NONE || !g->fail_verdict)
        return 0;
    return f == TLR_FAIL_ANY || !g->known;
}

size_t tlr_gate_failing(const struct tlr_merged *m, enum tlr_fail_on f)
{
    size_t n = 0;
    for (size_t i = 0; i < m->ngroups; i++)
        n += (size_t)tlr_gate_fails(m->groups[i], f);
    return n;
}
