/*
 * Lock-order inversions in the report tool: the "inversions" member of a taskleak/1 report
 * (a cycle of locks per entry; per edge the unit, the lock held, the lock acquired and the two
 * stacks), read into the proc, matched against inversion: suppressions, counted for the gate, and
 * rendered (text section "lock-order inversion (potential deadlock)", and an "inversions" array in
 * --format json). Inversions are per process: two processes of one program that found the same
 * cycle list it twice, each with its pid.
 */
#ifndef TLR_INVERSION_H
#define TLR_INVERSION_H

#include <stdio.h>

#include "merge.h"
#include "supp.h"

/* Applies the tool's inversion: patterns to every inversion not suppressed yet (s may be NULL). */
void tlr_inv_mark(struct tlr_merged *m, struct tlr_supp *s);

/* Unsuppressed inversions over every process whose run fails on them (its options.fail_on, or
 * the default, holds "inversion"). */
size_t tlr_inv_count(const struct tlr_merged *m);

/* One section per unsuppressed inversion (every one with verbose). */
void tlr_inv_text(FILE *out, const struct tlr_merged *m, bool verbose);

/* Member "inversions": [{pid, objects[], edges[{unit, held, acquired, held_stack[],
 * acquired_stack[]}], suppressed}], stacks as function names innermost first. */
struct tl_json;
void tlr_inv_json(struct tl_json *j, const struct tlr_merged *m);

#endif
