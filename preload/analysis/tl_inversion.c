/* tl_inversion: inversions in the report model (see tl_inversion.h).
 *
 * DESIGN. The recorder keeps raw instruction pointers; here, at report time, they are stripped of
 * our own frames and interned into the stack table like every other stack of the report, so the
 * JSON writer lists them once in "stacks" and the text writer prints them with the same frame
 * format. An inversion is suppressed when an inversion: pattern matches a function of any stack
 * of any of its edges: whichever of the two code paths the user owns can silence it. The text
 * section tells the story lockdep tells: which unit holds which lock and takes which, and where
 * each of the two locks was taken, for every edge of the cycle.
 */
#include "tl_inversion.h"

#include <stdlib.h>
#include <string.h>

#include "tl_fmt.h"
#include "tl_input.h"
#include "tl_lockorder.h"
#include "tl_object.h"
#include "tl_supp.h"

/* "mutex cache_lock (0x55…)" for a variable, "mutex 0x55… (heap)" or "(stack of thread:3)" for a
 * place, "mutex 0x55…" when nothing names it: the address stays, so two heap locks stay two. */
static void lock_name(struct tl_report *r, char *buf, size_t n, uintptr_t addr, unsigned kind)
{
    static const char *const kinds[] = {"mutex", "rwlock", "mtx", "gor_mutex"};
    char name[128], shown[128]; /* a symbol is the program's text: escaped, one line stays one */
    tl_object_name(r, addr, name, sizeof name);
    tl_input_escape(name, shown, sizeof shown);
    bool place = strcmp(name, "heap") == 0 || strncmp(name, "stack of ", 9) == 0;
    if (name[0] == '\0')
        snprintf(buf, n, "%s 0x%lx", kinds[kind & 3], (unsigned long)addr);
    else if (place)
        snprintf(buf, n, "%s 0x%lx (%s)", kinds[kind & 3], (unsigned long)addr, shown);
    else
        snprintf(buf, n, "%s %s (0x%lx)", kinds[kind & 3], shown, (unsigned long)addr);
}

static tl_stack_id intern(const struct tl_lg_stack *s)
{
    uintptr_t ips[TL_LG_FRAMES];
    memcpy(ips, s->ip, s->n * sizeof *ips);
    return tl_stack_intern(ips, (int)s->n);
}

static void fill_edge(struct tl_report *r, struct tl_rep_inv_edge *o, const struct tl_lg_edge *e)
{
    if (e->task != 0)
        snprintf(o->unit, sizeof o->unit, "task:%lld", (long long)e->task);
    else if (e->unit != 0)
        snprintf(o->unit, sizeof o->unit, "thread:%llu", (unsigned long long)e->unit);
    else
        snprintf(o->unit, sizeof o->unit, "thread:?");
    lock_name(r, o->held, sizeof o->held, e->from, e->from_kind);
    lock_name(r, o->acquired, sizeof o->acquired, e->to, e->to_kind);
    o->held_stack = intern(&e->held);
    o->acquired_stack = intern(&e->acquired);
}

/* Collects the function names of every stack of x into fns; returns the count. */
static size_t functions(struct tl_report *r, const struct tl_rep_inversion *x, const char **fns,
                        size_t max)
{
    size_t k = 0;
    for (size_t e = 0; e < x->n; e++) {
        tl_stack_id ids[2] = {x->edge[e].held_stack, x->edge[e].acquired_stack};
        for (int s = 0; s < 2; s++) {
            int n = 0;
            const uintptr_t *ips = tl_stack_frames(ids[s], &n);
            for (int f = 0; f < n && k < max; f++)
                fns[k++] = tl_report_function(r, ips[f], f > 0);
        }
    }
    return k;
}

void tl_inversion_collect(struct tl_report *r, struct tl_supp *s)
{
    struct tl_lo_inversion *raw = NULL;
    size_t dropped = 0, n = tl_lo_inversions(&raw, &dropped);
    size_t maxf = 2 * TL_LG_CYCLE_MAX * TL_LG_FRAMES;
    const char **fns = n > 0 ? malloc(maxf * sizeof *fns) : NULL;
    r->inversions = fns != NULL ? calloc(n, sizeof *r->inversions) : NULL;
    for (size_t i = 0; r->inversions != NULL && i < n; i++) {
        struct tl_rep_inversion *x = &r->inversions[r->ninversions++];
        x->n = raw[i].n;
        for (size_t e = 0; e < x->n; e++)
            fill_edge(r, &x->edge[e], &raw[i].edge[e]);
        size_t nf = functions(r, x, fns, maxf);
        x->suppressed = tl_supp_match(s, TL_SUPP_INVERSION, fns, nf, NULL);
        if (x->suppressed != NULL)
            r->suppressed++;
        else
            r->inverted++;
    }
    free(fns);
    free(raw);
}

void tl_inversion_free(struct tl_report *r)
{
    for (size_t i = 0; i < r->ninversions; i++)
        for (size_t e = 0; e < r->inversions[i].n; e++) {
            tl_stack_unref(r->inversions[i].edge[e].held_stack);
            tl_stack_unref(r->inversions[i].edge[e].acquired_stack);
        }
    free(r->inversions);
    r->inversions = NULL;
    r->ninversions = r->inverted = 0;
}

size_t tl_inversion_stack_ids(const struct tl_report *r, tl_stack_id *ids, size_t n)
{
    for (size_t i = 0; i < r->ninversions; i++)
        for (size_t e = 0; e < r->inversions[i].n; e++) {
            ids[n++] = r->inversions[i].edge[e].held_stack;
            ids[n++] = r->inversions[i].edge[e].acquired_stack;
        }
    return n;
}
