/*
 * Suppression rules (syntax in supp.h). Parsing is strict, as the detector's is: an unknown
 * type or an empty pattern is an error naming the line, because a typo that silently suppresses
 * nothing (or everything) is worse than a failed run. Matching walks the representative stacks
 * of a merged group (all occurrences share function names by construction) and the units the
 * loader kept.
 */
#include "supp.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_rule(struct tlr_supp *s, enum tlr_supp_type t, const char *glob, size_t glen,
                    const char *line, size_t llen)
{
    struct tlr_supp_rule *n = realloc(s->rules, (s->n + 1) * sizeof *n);
    if (!n)
        return -1;
    s->rules = n;
    n[s->n] =
        (struct tlr_supp_rule){.type = t, .glob = strndup(glob, glen), .text = strndup(line, llen)};
    if (!n[s->n].glob || !n[s->n].text) {
        free(n[s->n].glob);
        free(n[s->n].text);
        return -1;
    }
    s->n++;
    return 0;
}

/* One line without its newline; trims blanks. 0 or -1 with err set. */
static int parse_line(struct tlr_supp *s, const char *l, size_t n, const char *name, int lineno,
                      char *err, size_t errlen)
{
    static const struct {
        const char *prefix;
        enum tlr_supp_type type;
    } types[] = {
        {"leak:", TLR_SUPP_LEAK}, {"block:", TLR_SUPP_BLOCK}, {"thread:", TLR_SUPP_THREAD}};
    while (n && (*l == ' ' || *l == '\t'))
        l++, n--;
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
        n--;
    if (n == 0 || *l == '#')
        return 0;
    if (memchr(l, 0, n)) {
        snprintf(err, errlen, "%s:%d: NUL byte in a suppression", name, lineno);
        return -1;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t pl = strlen(types[i].prefix);
        if (n >= pl && !strncmp(l, types[i].prefix, pl)) {
            if (n == pl) {
                snprintf(err, errlen, "%s:%d: empty pattern after \"%s\"", name, lineno,
                         types[i].prefix);
                return -1;
            }
            if (add_rule(s, types[i].type, l + pl, n - pl, l, n) < 0) {
                snprintf(err, errlen, "%s: out of memory", name);
                return -1;
            }
            return 0;
        }
    }
    snprintf(err, errlen, "%s:%d: unknown suppression \"%.*s\" (expected leak:, block: or thread:)",
             name, lineno, (int)(n > 60 ? 60 : n), l);
    return -1;
}

int tlr_supp_parse(const char *text, size_t len, const char *name, struct tlr_supp *s, char *err,
                   size_t errlen)
{
    int lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (parse_line(s, p, n, name, ++lineno, err, errlen) < 0) {
            tlr_supp_free(s);
            return -1;
        }
        p += n + 1;
    }
    return 0;
}

int tlr_supp_load(const char *path, struct tlr_supp *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > cap) {
            char *nb = realloc(buf, cap = (len + got) * 2);
            if (!nb || cap > (64u << 20)) {
                free(nb ? nb : buf);
                fclose(f);
                snprintf(err, errlen, "%s: %s", path, nb ? "file too large" : "out of memory");
                return -1;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    int bad = ferror(f);
    fclose(f);
    int r = bad ? -1 : tlr_supp_parse(buf ? buf : "", len, path, s, err, errlen);
    if (bad)
        snprintf(err, errlen, "%s: read error", path);
    free(buf);
    return r;
}

void tlr_supp_free(struct tlr_supp *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rules[i].glob);
        free(s->rules[i].text);
    }
    free(s->rules);
    s->rules = NULL;
    s->n = 0;
}

int tlr_supp_needs_units(const struct tlr_supp *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->rules[i].type == TLR_SUPP_THREAD)
            return 1;
    return 0;
}

static bool stack_matches(const struct tlr_proc *p, const struct tlr_stack *st, const char *glob)
{
    char buf[256];
    for (size_t i = 0; st && i < st->nframes; i++) {
        const struct tlr_frame *f = &st->frames[i];
        if (!fnmatch(glob, tlr_frame_name(p, f, buf, sizeof buf), 0))
            return true;
        for (size_t j = 0; j < f->nlocs; j++)
            if (f->locs[j].function && !fnmatch(glob, f->locs[j].function, 0))
                return true;
    }
    return false;
}

/* Applies fn to every loaded unit of the merged group; stops early when fn says so. */
static bool any_unit(const struct tlr_mgroup *g, const char *glob, bool want_start, bool *seen)
{
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        for (size_t i = 0; i < grp->nunits; i++) {
            const struct tlr_unit *u = tlr_proc_unit(g->occ[o].proc, grp->units[i]);
            if (!u)
                continue;
            if (want_start) {
                if (u->start && !fnmatch(glob, u->start, 0))
                    return true;
                continue;
            }
            *seen = true;
            if (!u->name || fnmatch(glob, u->name, 0))
                return true; /* a unit that does not match: the group is not suppressed */
        }
    }
    return false;
}

static bool rule_matches(const struct tlr_supp_rule *r, const struct tlr_mgroup *g)
{
    const struct tlr_group *first = g->first;
    bool seen = false;
    switch (r->type) {
    case TLR_SUPP_LEAK:
        if (g->severity != 1)
            return false;
        break;
    case TLR_SUPP_BLOCK:
        if (g->severity != 0 && g->severity != 2)
            return false;
        break;
    case TLR_SUPP_THREAD:
        return !any_unit(g, r->glob, false, &seen) && seen;
    }
    return stack_matches(g->proc, first->created, r->glob) ||
           stack_matches(g->proc, first->blocked, r->glob) || any_unit(g, r->glob, true, &seen);
}

const struct tlr_supp_rule *tlr_supp_match(struct tlr_supp *s, const struct tlr_mgroup *g)
{
    for (size_t i = 0; i < s->n; i++) {
        if (rule_matches(&s->rules[i], g)) {
            s->rules[i].matched++;
            return &s->rules[i];
        }
    }
    return NULL;
}
