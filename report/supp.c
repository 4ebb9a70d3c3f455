/*
 * Suppression rules for the report tool (syntax in supp.h). The parser and the per-name rule are
 * the detector's tl_supp module, so the two tools cannot drift apart; what is left here is what
 * only the report has: merged groups. A leak:/block: rule is tried against every function name of
 * the group's representative stacks (all occurrences share function names by construction, and a
 * frame's inlined functions count too) and the start function of each loaded unit; a thread: rule
 * suppresses a group only when every loaded unit of it has a matching name, so one unexpected
 * thread in a group keeps the whole group visible. Errors come back structured from tl_supp and
 * are worded here in the report tool's "FILE:LINE: PROBLEM" style.
 */
#include "supp.h"

#include <stdio.h>
#include <string.h>

static void format_error(const struct tl_supp_error *e, const char *name, char *err, size_t errlen)
{
    static const char want[] = "expected leak:, block:, thread: or inversion:";
    switch (e->problem) {
    case TL_SUPP_ERR_NOMEM:
        snprintf(err, errlen, "%s: out of memory", name);
        break;
    case TL_SUPP_ERR_OPEN:
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(e->errnum));
        break;
    case TL_SUPP_ERR_READ:
        snprintf(err, errlen, "%s: read error: %s", name, strerror(e->errnum));
        break;
    case TL_SUPP_ERR_LONG:
        snprintf(err, errlen, "%s:%u: line longer than %d bytes", name, e->line, TL_SUPP_LINE_MAX);
        break;
    case TL_SUPP_ERR_NUL:
        snprintf(err, errlen, "%s:%u: NUL byte in a suppression", name, e->line);
        break;
    case TL_SUPP_ERR_NO_TYPE:
    case TL_SUPP_ERR_BAD_TYPE:
        snprintf(err, errlen, "%s:%u: unknown suppression \"%.60s\" (%s)", name, e->line, e->text,
                 want);
        break;
    case TL_SUPP_ERR_EMPTY:
        snprintf(err, errlen, "%s:%u: empty pattern after \"%s:\"", name, e->line, e->type);
        break;
    case TL_SUPP_ERR_FILE:
        snprintf(err, errlen, "%s: %s", name, e->file);
        break;
    }
}

/* Reads text[0..len), or the file name when text is NULL, into a fresh set that replaces s's on
 * success; on failure s is left as it was and err holds the report tool's wording. */
static int load(const char *name, const char *text, size_t len, struct tlr_supp *s, char *err,
                size_t errlen)
{
    struct tl_supp_error e = {.problem = TL_SUPP_ERR_NOMEM};
    struct tl_supp *set = tl_supp_new();
    int rc = !set   ? -1
             : text ? tl_supp_read_text(set, name, text, len, &e)
                    : tl_supp_read_file(set, name, &e);
    if (rc < 0) {
        format_error(&e, name, err, errlen);
        tl_supp_free(set);
        return -1;
    }
    tlr_supp_free(s);
    s->set = set;
    s->n = tl_supp_count(set);
    return 0;
}

int tlr_supp_parse(const char *text, size_t len, const char *name, struct tlr_supp *s, char *err,
                   size_t errlen)
{
    return load(name, text ? text : "", len, s, err, errlen);
}

int tlr_supp_load(const char *path, struct tlr_supp *s, char *err, size_t errlen)
{
    return load(path, NULL, 0, s, err, errlen);
}

void tlr_supp_free(struct tlr_supp *s)
{
    tl_supp_free(s->set);
    s->set = NULL;
    s->n = 0;
}

int tlr_supp_needs_units(const struct tlr_supp *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (tl_supp_type(s->set, i) == TL_SUPP_THREAD)
            return 1;
    return 0;
}

/* Whether rule i matches one function name of the group, for verdict kind k. */
static bool name_matches(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                         const char *function)
{
    return function && tl_supp_pattern_matches(s->set, i, k, &function, 1, NULL);
}

static bool stack_matches(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                          const struct tlr_proc *p, const struct tlr_stack *st)
{
    char buf[256];
    for (size_t f = 0; st && f < st->nframes; f++) {
        const struct tlr_frame *fr = &st->frames[f];
        if (name_matches(s, i, k, tlr_frame_name(p, fr, buf, sizeof buf)))
            return true;
        for (size_t l = 0; l < fr->nlocs; l++)
            if (name_matches(s, i, k, fr->locs[l].function))
                return true;
    }
    return false;
}

/* A test of rule i against one unit, for verdict kind k. */
typedef bool unit_test_fn(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                          const struct tlr_unit *u);

/* Calls test on every loaded unit of g until it returns want; true when one did. Sets *seen when
 * g has at least one loaded unit. */
static bool any_unit(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                     const struct tlr_mgroup *g, unit_test_fn *test, bool want, bool *seen)
{
    for (size_t o = 0; o < g->nocc; o++) {
        const struct tlr_group *grp = g->occ[o].group;
        for (size_t u = 0; u < grp->nunits; u++) {
            const struct tlr_unit *unit = tlr_proc_unit(g->occ[o].proc, grp->units[u]);
            if (!unit)
                continue;
            *seen = true;
            if (test(s, i, k, unit) == want)
                return true;
        }
    }
    return false;
}

static bool start_matches(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                          const struct tlr_unit *u)
{
    return name_matches(s, i, k, u->start);
}

static bool unit_name_matches(const struct tlr_supp *s, size_t i, enum tl_supp_kind k,
                              const struct tlr_unit *u)
{
    return tl_supp_pattern_matches(s->set, i, k, NULL, 0, u->name);
}

static bool rule_matches(const struct tlr_supp *s, size_t i, const struct tlr_mgroup *g)
{
    bool seen = false;
    if (tl_supp_type(s->set, i) == TL_SUPP_THREAD)
        return !any_unit(s, i, TL_SUPP_THREAD, g, unit_name_matches, false, &seen) && seen;
    /* blocked and deadlocked are block: findings; every other verdict (leaked, unjoined, and
     * any a newer detector writes) is a leak: one; a group without a verdict is no finding. */
    if (!g->first->verdict)
        return false;
    enum tl_supp_kind k = g->severity == 0 || g->severity == 2 ? TL_SUPP_BLOCK : TL_SUPP_LEAK;
    return stack_matches(s, i, k, g->proc, g->first->created) ||
           stack_matches(s, i, k, g->proc, g->first->blocked) ||
           any_unit(s, i, k, g, start_matches, true, &seen);
}

long tlr_supp_match(struct tlr_supp *s, const struct tlr_mgroup *g)
{
    for (size_t i = 0; i < s->n; i++) {
        if (rule_matches(s, i, g)) {
            tl_supp_hit(s->set, i);
            return (long)i;
        }
    }
    return -1;
}
