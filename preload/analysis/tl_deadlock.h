/* tl_deadlock: the wait-for graph of a report model, its cycles, and their story.
 *
 * Edges come from what a blocked unit waits for and who holds it: for a mutex, the owner tid glibc
 * keeps in the mutex (read by the registry snapshot while the waiter is pinned, never on a fast
 * path); for an rwlock, its writer when glibc records one. Every blocked unit has at most one
 * out-edge, so the graph is a functional graph and its cycles are found in O(units). A cycle is a
 * deadlock: its members get the verdict "deadlocked". A mutex whose owner thread has exited while
 * holding it is a deadlock too (its waiters can never wake): the owner is named from the ring of
 * recently exited threads (tl_exits), with its creation stack.
 *
 * Report time only (mallocs).
 */
#ifndef TL_DEADLOCK_H
#define TL_DEADLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tl_model.h"
#include "tl_stack.h"

/* Finds the cycles of r's wait-for graph and the waiters of mutexes whose owner exited; appends one
 * r->deadlocks entry per cycle (members in wait-for order: members[k] waits for
 * units[members[k]].wait.object, held by members[k + 1], the last by members[0]) and one per
 * orphaned mutex (members: its waiters); sets their verdict "deadlocked", and that of every unit
 * whose waits lead to one of them (a join on a deadlocked thread, a lock one holds), and fills
 * u->owner of every mutex or rwlock waiter whose owner is known. Out of memory: fewer entries,
 * never a crash. Not thread-safe on r; takes no detector lock except the exit ring's. */
void tl_deadlock_analyze(struct tl_report *r);

/* True when u waits to join a thread (its wait object is the joined pthread_t). */
bool tl_deadlock_join_wait(const struct tl_rep_unit *u);

/* The unit sequence of the exited thread whose tid was `tid`: an exited record of the model (a
 * finished thread never joined), else the ring of recent exits (tl_exits). 0 when unknown. */
uint64_t tl_deadlock_exited_owner(const struct tl_report *r, pid_t tid);

#endif /* TL_DEADLOCK_H */
