/* tl_reason: what the fixed wait reasons ("mutex lock", "chan receive", ...) wait on, in words.
 *
 * Libc only and free of state, so that the report tool links this same file and both tools word
 * a wait object alike ("waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn").
 */
#ifndef TL_REASON_H
#define TL_REASON_H

/* The word for what a wait of this reason waits on ("mutex", "rwlock", "condition variable",
 * "semaphore", "barrier", "futex", "channel", "WaitGroup"); NULL when the reason names no single
 * object (sleep, IO wait, join, select, signal wait) or is unknown, or reason is NULL. */
const char *tl_reason_object_word(const char *reason);

#endif /* TL_REASON_H */
