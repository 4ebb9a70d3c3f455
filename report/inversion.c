/*
 * Lock-order inversions in the report tool (see inversion.h).
 *
 * Stacks are referenced by id into the proc's stack table, which the symbolizer fills like every
 * other stack (reading and freeing the member is the loader's part, load_inversions.c). A
 * tool-side inversion: pattern matches any frame's function (symbol or an inlined function the
 * symbolizer found) in any stack of any edge, the detector's own rule.
 */
#include "inversion.h"

#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "render.h"
#include "tl_fmt.h"
#include "tl_json.h"
#include "tl_render.h"

/* Whether pattern i matches a function of stack s. */
static bool stack_matches(const struct tlr_supp *s, size_t i, const struct tlr_stack *st)
{
    for (size_t f = 0; st && f < st->nframes; f++) {
        const struct tlr_frame *fr = &st->frames[f];
        const char *names[1 + 8];
        size_t n = 0;
        names[n++] = fr->function;
        for (size_t l = 0; l < fr->nlocs && n < 9; l++)
            names[n++] = fr->locs[l].function;
        if (tl_supp_pattern_matches(s->set, i, TL_SUPP_INVERSION, names, n, NULL))
            return true;
    }
    return false;
}

static bool inversion_matches(const struct tlr_supp *s, size_t i, const struct tlr_proc *p,
                              const struct tlr_inversion *x)
{
    for (size_t e = 0; e < x->nedges; e++)
        if (stack_matches(s, i, tlr_proc_stack(p, x->edges[e].held_stack)) ||
            stack_matches(s, i, tlr_proc_stack(p, x->edges[e].acquired_stack)))
            return true;
    return false;
}

void tlr_inv_mark(struct tlr_merged *m, struct tlr_supp *s)
{
    for (size_t pi = 0; s && s->set && pi < m->nprocs; pi++) {
        struct tlr_proc *p = &m->procs[pi];
        for (size_t k = 0; k < p->ninversions; k++) {
            struct tlr_inversion *x = &p->inversions[k];
            for (size_t i = 0; !x->suppressed && i < s->n; i++) {
                if (tl_supp_type(s->set, i) != TL_SUPP_INVERSION || !inversion_matches(s, i, p, x))
                    continue;
                tl_supp_hit(s->set, i);
                x->suppressed = strdup(tl_supp_pattern(s->set, i));
            }
        }
    }
}

size_t tlr_inv_count(const struct tlr_merged *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nprocs; i++) /* a run that was not failed on them is not now */
        for (size_t k = 0; tlr_fails_on(&m->procs[i], "inversion") && k < m->procs[i].ninversions;
             k++)
            n += m->procs[i].inversions[k].suppressed == NULL;
    return n;
}

/* The innermost named function of the first edge's acquiring stack: the line that would silence
 * the inversion, as the detector picks it. */
static const char *silencer(const struct tlr_proc *p, const struct tlr_inversion *x)
{
    const struct tlr_stack *s = x->nedges ? tlr_proc_stack(p, x->edges[0].acquired_stack) : NULL;
    for (size_t f = 0; s && f < s->nframes; f++)
        if (s->frames[f].function)
            return s->frames[f].function;
    return NULL;
}

struct inv_ctx {
    const struct tlr_proc *p;
    const struct tlr_inversion *x;
};

static void inv_stack(FILE *out, void *ctx, size_t e, bool acquired)
{
    const struct inv_ctx *c = ctx;
    const struct tlr_inv_edge *d = &c->x->edges[e];
    tlr_text_stack(out, c->p, tlr_proc_stack(c->p, acquired ? d->acquired_stack : d->held_stack),
                   "    ");
}

#define EDGES_TOLD 64

/* One inversion in the detector's words (tl_render), numbered within its process. */
static void text_one(FILE *out, const struct tlr_merged *m, const struct tlr_proc *p,
                     const struct tlr_inversion *x, size_t nr)
{
    struct tl_render_inv_edge edges[EDGES_TOLD];
    size_t n = x->nedges < EDGES_TOLD ? x->nedges : EDGES_TOLD;
    for (size_t e = 0; e < n; e++)
        edges[e] =
            (struct tl_render_inv_edge){x->edges[e].unit, x->edges[e].held, x->edges[e].acquired};
    char pid[48], supp[512];
    struct tl_render_inversion v = {.nr = nr, .edges = edges, .n = n};
    if (m->nprocs > 1) {
        snprintf(pid, sizeof pid, "pid %lld", p->pid);
        v.notes[0] = pid;
    }
    if (x->suppressed) {
        snprintf(supp, sizeof supp, "suppressed by %s", x->suppressed);
        v.notes[1] = supp;
    } else
        v.silencer = silencer(p, x);
    struct inv_ctx c = {p, x};
    tl_render_inversion(out, &v, inv_stack, &c);
}

void tlr_inv_text(FILE *out, const struct tlr_merged *m, bool verbose)
{
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t k = 0, nr = 0; k < m->procs[i].ninversions; k++)
            if (!m->procs[i].inversions[k].suppressed || verbose)
                text_one(out, m, &m->procs[i], &m->procs[i].inversions[k], ++nr);
}

static void names_of(struct tl_json *j, const char *key, const struct tlr_proc *p, long long id)
{
    const struct tlr_stack *s = tlr_proc_stack(p, id);
    char buf[256];
    tl_json_arr_begin(j, key);
    for (size_t f = 0; s && f < s->nframes; f++)
        tl_json_str(j, NULL, tlr_frame_display(p, &s->frames[f], buf, sizeof buf));
    tl_json_arr_end(j);
}

static void json_one(struct tl_json *j, const struct tlr_proc *p, const struct tlr_inversion *x)
{
    tl_json_obj_begin(j, NULL);
    tl_json_int(j, "pid", p->pid);
    tl_json_arr_begin(j, "objects");
    for (size_t k = 0; k < x->nobjects; k++)
        tl_json_str(j, NULL, x->objects[k]);
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "edges");
    for (size_t e = 0; e < x->nedges; e++) {
        const struct tlr_inv_edge *d = &x->edges[e];
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "unit", d->unit);
        tl_json_str(j, "held", d->held);
        tl_json_str(j, "acquired", d->acquired);
        names_of(j, "held_stack", p, d->held_stack);
        names_of(j, "acquired_stack", p, d->acquired_stack);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_str(j, "suppressed", x->suppressed);
    tl_json_obj_end(j);
}

void tlr_inv_json(struct tl_json *j, const struct tlr_merged *m)
{
    tl_json_arr_begin(j, "inversions");
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t k = 0; k < m->procs[i].ninversions; k++)
            json_one(j, &m->procs[i], &m->procs[i].inversions[k]);
    tl_json_arr_end(j);
}
