/* tl_hint: safe suppression hints (see tl_hint.h).
 *
 * DESIGN. A hint is only worth printing if pasting it does what the reader expects: silence this
 * group, and nothing else. So candidates come from the program's own code only (a libc frame such
 * as start_thread or clone3 is in every thread's stack), and each candidate is tried, as a
 * one-line suppressions text, by the same matcher the gate uses, against the first unit of every
 * other group of the report and against the units not judged yet (a watchdog report judges a
 * unit only once it is blocked past the threshold: a hint must still be right when it is).
 * Reports are rare and groups few, so trying costs little: names
 * come from the report's cached symbol tables, the first candidate usually stands, and the work is
 * bounded (MAX_CANDIDATES candidates against the MAX_TRIED largest other groups; the model lists
 * groups largest first), a few milliseconds per group at worst.
 */
#include "tl_hint.h"

#include <stdio.h>
#include <string.h>

#include "tl_fmt.h"
#include "tl_stack.h"
#include "tl_supp.h"
#include "tl_symbols.h"

#define MAX_CANDIDATES 16 /* the most specific frames: outer ones make worse hints anyway */
#define MAX_TRIED      64 /* other groups a candidate is tried against */

/* The name of ip when it is a frame of the program's own code, else NULL. */
static const char *program_name(struct tl_report *r, uintptr_t ip, bool ret)
{
    if (ip == 0 || tl_stack_frame_call(ip) != NULL || r->modmap == NULL)
        return NULL;
    const char *fn = tl_report_function(r, ip, ret);
    int m = tl_modmap_find(r->modmap, ret ? ip - 1 : ip, NULL);
    if (fn == NULL || m < 0 || tl_fmt_system_module(tl_modmap_path(r->modmap, m)))
        return NULL;
    if (tl_fmt_startup_function(fn) || strpbrk(fn, "*?['\\ \t") != NULL)
        return NULL; /* the runtime's or the C start-up's, or not pasteable as a literal glob */
    return fn;
}

static size_t add_stack(struct tl_report *r, tl_stack_id id, const char **out, size_t n)
{
    int nf = 0;
    const uintptr_t *f = tl_stack_frames(id, &nf);
    for (int k = 0; k < nf && n < MAX_CANDIDATES; k++) {
        const char *fn = program_name(r, f[k], k > 0);
        if (fn != NULL)
            out[n++] = fn;
    }
    return n;
}

static enum tl_supp_kind kind_of(const char *verdict)
{
    return strcmp(verdict, "blocked") == 0 || strcmp(verdict, "deadlocked") == 0 ? TL_SUPP_BLOCK
                                                                                 : TL_SUPP_LEAK;
}

/* Whether the one-pattern set s, read as kind k, suppresses unit u. */
static bool silences(struct tl_report *r, struct tl_supp *s, enum tl_supp_kind k,
                     const struct tl_rep_unit *u)
{
    const char *fns[2 * TL_STACK_MAX_FRAMES + 1];
    size_t n = tl_report_unit_functions(r, u, fns, sizeof fns / sizeof fns[0]);
    return tl_supp_pattern_matches(s, 0, k, fns, n, u->name[0] ? u->name : NULL);
}

static bool same_identity(const struct tl_rep_unit *a, const struct tl_rep_unit *b)
{
    return a->created_stack == b->created_stack && a->blocked_stack == b->blocked_stack &&
           a->start == b->start && strcmp(a->name, b->name) == 0;
}

/* Whether s, read as kind k, silences a unit nobody judged yet (one blocked for less than the
 * threshold, say): a hint printed now must not silence it once it is judged too. Units are tried
 * once per identity, at most MAX_TRIED identities. */
static bool silences_unjudged(struct tl_report *r, struct tl_supp *s, enum tl_supp_kind k)
{
    const struct tl_rep_unit *seen[MAX_TRIED];
    size_t nseen = 0;
    for (size_t i = 0; i < r->n && nseen < MAX_TRIED; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        bool dup = u->verdict != NULL || u->suppressed != NULL;
        for (size_t j = 0; !dup && j < nseen; j++)
            dup = same_identity(seen[j], u);
        if (dup)
            continue;
        if (silences(r, s, k, u))
            return true;
        seen[nseen++] = u;
    }
    return false;
}

/* Whether line silences g and nothing else in r: no other judged group, and no unit not judged
 * yet. */
static bool only_this(struct tl_report *r, const struct tl_rep_group *g, const char *line)
{
    struct tl_supp_error e;
    struct tl_supp *s = tl_supp_new();
    enum tl_supp_kind k = kind_of(g->verdict);
    bool ok = s != NULL && tl_supp_read_text(s, "hint", line, strlen(line), &e) == 0 &&
              tl_supp_count(s) == 1 && silences(r, s, k, &r->units[g->members[0]]);
    for (size_t i = 0; ok && i < r->ngroups && i < MAX_TRIED; i++) {
        const struct tl_rep_group *h = &r->groups[i];
        if (h != g && h->verdict != NULL && h->growth == NULL) /* a site: no suppression */
            ok = !silences(r, s, kind_of(h->verdict), &r->units[h->members[0]]);
    }
    ok = ok && !silences_unjudged(r, s, k);
    tl_supp_free(s);
    return ok;
}

bool tl_hint(struct tl_report *r, const struct tl_rep_group *g, char *buf, size_t n)
{
    const char *cand[MAX_CANDIDATES], *type = NULL;
    const struct tl_rep_unit *u = &r->units[g->members[0]];
    size_t nc = 0;
    buf[0] = '\0';
    if (g->verdict == NULL)
        return false;
    type = kind_of(g->verdict) == TL_SUPP_BLOCK ? "block" : "leak";
    nc = add_stack(r, g->blocked_stack, cand, nc);
    const char *start = u->start ? program_name(r, u->start, false) : NULL;
    if (start != NULL && nc < MAX_CANDIDATES)
        cand[nc++] = start;
    nc = add_stack(r, g->created_stack, cand, nc);
    char line[256];
    for (size_t i = 0; i < nc; i++) {
        snprintf(line, sizeof line, "%s:%s", type, cand[i]);
        if (only_this(r, g, line))
            return snprintf(buf, n, "%s", line) > 0;
    }
    if (u->name[0] != '\0' && strpbrk(u->name, "*?['\\") == NULL) {
        snprintf(line, sizeof line, "thread:%s", u->name);
        if (only_this(r, g, line))
            return snprintf(buf, n, "%s", line) > 0;
    }
    return false; /* no line silences this group alone: none is suggested */
}
