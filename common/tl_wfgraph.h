/* tl_wfgraph: cycles of a wait-for graph, as a pure function over an array.
 *
 * A blocked unit waits for at most one other (the owner of its mutex, the thread it joins), so a
 * wait-for graph is a functional graph: next[i] is the unit i waits for, or -1. The detector's
 * deadlock analysis (tl_deadlock.c) and `taskleak attach` (attach/) build that array from their
 * own snapshots and share this search. No allocation beyond two scratch arrays, no locks, no
 * global state.
 */
#ifndef TL_WFGRAPH_H
#define TL_WFGRAPH_H

#include <stdbool.h>
#include <stddef.h>

/* Calls found(ctx, members, len) once per cycle of next[0..n), members in wait-for order
 * (members[k] waits for members[k + 1], the last for members[0]), each cycle once. Entries of
 * next outside [0, n) end a path. Returns 0, or -1 when out of memory (no cycle reported). */
int tl_wfg_cycles(const long *next, size_t n,
                  void (*found)(void *ctx, const size_t *members, size_t len), void *ctx);

/* For every i whose path of edges reaches a unit with dead[i] set (i itself included), sets
 * reach[i]; clears it otherwise. Returns 0, or -1 when out of memory (reach untouched). */
int tl_wfg_reaches(const long *next, size_t n, const bool *dead, bool *reach);

#endif /* TL_WFGRAPH_H */
