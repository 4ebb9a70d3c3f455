/* tl_inversion: the lock-order inversions of a report model — collected from the recorder
 * (tl_lockorder) and matched against inversion: suppressions; the writers (tl_report, tl_text)
 * render them as the JSON member "inversions" and the text sections "lock-order inversion".
 *
 * An inversion is a cycle of the lock-order graph: per edge, the unit that took `acquired` while
 * holding `held`, the stack where `held` was taken and the stack where `acquired` was. Locks are
 * named "<kind> 0x<address>" (mutex, rwlock, mtx, gor_mutex). Report time only (mallocs).
 */
#ifndef TL_INVERSION_H
#define TL_INVERSION_H

#include <stdio.h>

#include "tl_model.h"
#include "tl_lockgraph.h"

struct tl_rep_inv_edge {
    char unit[40];                          /* "thread:3", "task:7", "thread:?" */
    char held[160], acquired[160];          /* lock names: "mutex cache_lock (0x…)", "mutex 0x… (heap)" */
    tl_stack_id held_stack, acquired_stack; /* one reference each, owned by the model */
};

struct tl_rep_inversion {
    size_t n; /* edges, in cycle order */
    struct tl_rep_inv_edge edge[TL_LG_CYCLE_MAX];
    const char *suppressed; /* the matching inversion: pattern, NULL when none */
};

/* Fills r->inversions, r->ninversions and r->inverted (the unsuppressed ones) from the inversions
 * found so far, each matched against the inversion: patterns of s (NULL: none; a match counts in
 * r->suppressed). Out of memory: none listed, never a crash. */
struct tl_supp;
void tl_inversion_collect(struct tl_report *r, struct tl_supp *s);
void tl_inversion_free(struct tl_report *r);

/* Appends the stack ids the inversions use to ids (room for 2 * TL_LG_CYCLE_MAX per inversion);
 * returns the new count. */
size_t tl_inversion_stack_ids(const struct tl_report *r, tl_stack_id *ids, size_t n);

#endif /* TL_INVERSION_H */
