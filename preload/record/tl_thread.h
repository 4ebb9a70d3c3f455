/* tl_thread: thread life cycle behind the pthread_create/thrd_create interposers.
 *
 * A new thread's unit is created and published by the creating thread (so a thread that has not
 * run yet is already visible, with its creation stack), then bound to the thread by a trampoline
 * that runs the user's start routine. The unit is finished (tl_registry_finish) when the start
 * routine returns, or, for pthread_exit, thrd_exit and cancellation, by the destructor of a
 * thread-specific key; a joinable thread's record then waits for its join or detach.
 */
#ifndef TL_THREAD_H
#define TL_THREAD_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <threads.h>

/* pthread_create through `real` (the table's, or a versioned one): same return value and errno
 * behaviour as the real call. With the detector off or out of memory it simply forwards. */
int tl_thread_create(int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *),
                     pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

/* thrd_create through the table's thrd_create. */
int tl_thread_create_c11(thrd_t *t, thrd_start_t fn, void *arg);

/* Destructor of tl_ctx.exit_key: finishes the exiting thread's unit. */
void tl_thread_key_exit(void *unit);

/* Lists the tids of /proc/self/task into out (at most max; out may be NULL) and returns how many
 * threads there are, the caller excluded. Report time only (opendir mallocs). */
size_t tl_thread_scan_unknown(pid_t *out, size_t max);

/* Reads thread tid's kernel name (comm, without the newline) into buf; "" on failure. Returns
 * the state letter of /proc/self/task/<tid>/stat ('S', 'R', 'D', 'Z', ... or '?'). */
char tl_thread_proc_info(pid_t tid, char *buf, size_t n);

/* The number of threads of the process as the kernel counts them (num_threads of /proc/self/stat),
 * 0 when unknown. open, read and close only: AS-safe. */
int tl_thread_count(void);

#endif /* TL_THREAD_H */
