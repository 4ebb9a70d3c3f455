/*
 * Reading and freeing the "inversions" member of a report (inversion.h): the loader's part, kept
 * apart from rendering and matching so that the loader and its fuzzer link nothing else. The
 * member is small (a handful of cycles), so it is read with jansson from the loader's small
 * sections; strings get control characters replaced like every other string the loader keeps.
 */
#include <stdlib.h>
#include <string.h>

#include "load_impl.h"

static char *dup_clean(json_t *v)
{
    return tlr_ld_clean_dup(json_string_value(v));
}

static long long stack_id(json_t *v)
{
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int read_one(struct tlr_inversion *x, json_t *o)
{
    json_t *objs = json_object_get(o, "objects"), *edges = json_object_get(o, "edges");
    size_t no = json_is_array(objs) ? json_array_size(objs) : 0;
    size_t ne = json_is_array(edges) ? json_array_size(edges) : 0;
    x->objects = calloc(no + 1, sizeof *x->objects);
    x->edges = calloc(ne + 1, sizeof *x->edges);
    if (!x->objects || !x->edges)
        return -1;
    for (size_t i = 0; i < no; i++)
        if (json_is_string(json_array_get(objs, i)))
            x->objects[x->nobjects++] = dup_clean(json_array_get(objs, i));
    for (size_t i = 0; i < ne; i++) {
        json_t *e = json_array_get(edges, i);
        struct tlr_inv_edge *d = &x->edges[x->nedges++];
        d->unit = dup_clean(json_object_get(e, "unit"));
        d->held = dup_clean(json_object_get(e, "held"));
        d->acquired = dup_clean(json_object_get(e, "acquired"));
        d->held_stack = stack_id(json_object_get(e, "held_stack"));
        d->acquired_stack = stack_id(json_object_get(e, "acquired_stack"));
    }
    x->suppressed = dup_clean(json_object_get(o, "suppressed"));
    return 0;
}

int tlr_inv_read(struct tlr_proc *p, json_t *inversions)
{
    size_t n = json_is_array(inversions) ? json_array_size(inversions) : 0;
    if (n == 0)
        return 0;
    p->inversions = calloc(n, sizeof *p->inversions);
    if (!p->inversions)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (json_is_object(json_array_get(inversions, i)) &&
            read_one(&p->inversions[p->ninversions++], json_array_get(inversions, i)) < 0)
            return -1;
    return 0;
}

void tlr_inv_free(struct tlr_proc *p)
{
    for (size_t i = 0; i < p->ninversions; i++) {
        struct tlr_inversion *x = &p->inversions[i];
        for (size_t k = 0; k < x->nobjects; k++)
            free(x->objects[k]);
        for (size_t k = 0; k < x->nedges; k++) {
            free(x->edges[k].unit);
            free(x->edges[k].held);
            free(x->edges[k].acquired);
        }
        free(x->objects);
        free(x->edges);
        free(x->suppressed);
    }
    free(p->inversions);
    p->inversions = NULL;
    p->ninversions = 0;
}
