/* tl_exits: a ring of the last thread exits (seq, tid, creation stack), so a report can name a
 * thread that exited while holding a mutex its waiters still wait for (tl_deadlock) and say where
 * it was created. The registry records every exit; the ring holds one stack reference per entry,
 * so its memory is bounded whatever the thread churn.
 */
#ifndef TL_EXITS_H
#define TL_EXITS_H

#include <stdint.h>
#include <sys/types.h>

#include "tl_stack.h"

/* Records that thread unit `seq` (kernel tid `tid`) is exiting, with its creation stack (the ring
 * takes its own reference). Keeps the last TL_EXITS_MAX exits: bounded memory. No malloc, errno
 * preserved; safe on any thread's exit path. */
#define TL_EXITS_MAX 256
void tl_exits_note(uint64_t seq, pid_t tid, tl_stack_id created_stack);

/* The most recent exit recorded for tid: its seq (0 when none) and creation stack (a new reference
 * for the caller, 0 when none). */
uint64_t tl_exits_find(pid_t tid, tl_stack_id *stack);

/* Resets the ring's lock in a fork child (the exits it lists stay valid history). */
void tl_exits_atfork_child(void);

#endif /* TL_EXITS_H */
