/* tl_block: the one bracket every blocking wrapper goes through (docs/internals.md: From
 * pthread_cond_wait to a line in a report).
 *
 *     struct tl_unit *u = tl_block_begin("cond wait", "pthread_cond_wait", cond, true);
 *     int rc = tl_real.pthread_cond_wait(cond, mutex);
 *     tl_block_end(u);
 *     return rc;
 *
 * A wrapper opens the bracket only once it knows the call will really block (its try-lock or
 * zero-timeout probe failed), so the fast path never reaches this file.
 *
 * Publication protocol (wstate of struct tl_unit):
 *   begin: the owner fills u->wait, saves its unwind context, then stores TL_WS_BLOCKED (release).
 *   snapshot: under the registry lock, CAS BLOCKED -> UNWINDING pins the unit; the snapshot
 *     unwinds u->uctx outside the lock and stores BLOCKED again.
 *   end: the owner CASes BLOCKED -> RUNNING, yielding while the unit is pinned, so its frames (the
 *     wrapper's and every caller's) stay exactly as saved while someone unwinds them.
 *
 * Both functions are always_inline on purpose: unw_getcontext must run in the WRAPPER's frame,
 * which stays live during the real call; a context saved in a helper that returns before the call
 * would describe a frame the real call overwrites. A bracket opened inside another (a signal
 * handler that blocks while its thread is already blocked) is not recorded: begin returns NULL and
 * end(NULL) does nothing. Both preserve errno; neither allocates, locks or logs (AS-safe).
 *
 * Cancellation. pthread_cancel (and pthread_exit from a signal handler) acts inside the real call
 * and unwinds the wrapper without returning through it, so a plain tl_block_end never runs: the
 * unit would stay "blocked" in a wait it has left while its cleanup handlers run (a cleanup that
 * blocks again would not be recorded, and a snapshot would unwind frames that no longer exist)
 * until its exit settles it. TL_BLOCK_CALL closes the bracket on that path too, by registering a
 * cancellation cleanup in the wrapper's frame exactly as C's pthread_cleanup_push does (the
 * interposers are C without -fexceptions; a -fexceptions cleanup would not do: glibc's forced
 * unwind jumps straight to the caller's C cleanup buffer, skipping landing pads in the frame that
 * the caller's buffer encloses directly, which is where a wrapper sits):
 *
 *     int rc;
 *     TL_BLOCK_CALL(rc, "cond wait", "pthread_cond_wait", cond, true,
 *                   tl_real.pthread_cond_wait(cond, mutex));
 *     return rc;
 *
 * The registration (a setjmp without the signal mask) costs a few nanoseconds and is only paid on
 * the slow path. It belongs to the calling thread: never hold it across a gor task switch (a task
 * parks inside gor_* calls; open those brackets with begin and end only).
 */
#ifndef TL_BLOCK_H
#define TL_BLOCK_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tl_registry.h"

#if defined(__EXCEPTIONS) || defined(__cplusplus)
/* pthread_cleanup_push would then be a landing pad, which the forced unwind skips (above). */
#error "tl_block.h is for C compiled without -fexceptions"
#endif

/* CLOCK_MONOTONIC in nanoseconds (vDSO; only on the slow path). */
static inline int64_t tl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The gor task running on this thread, 0 when none; defined in tl_block.c (calls tl_gor). */
int64_t tl_block_current_task(void);

static inline __attribute__((always_inline)) struct tl_unit *
tl_block_begin(const char *reason, const char *call, const void *object, bool durable)
{
    struct tl_unit *u = tl_registry_self();
    if (u == NULL || u->in_block)
        return NULL;
    int saved = errno;
    u->in_block = true;
    u->wait.reason = reason;
    u->wait.call = call;
    u->wait.object = (uintptr_t)object;
    u->wait.durable = durable;
    u->wait.since_ns = tl_now_ns();
    u->wait.task = tl_block_current_task();
    unw_getcontext(&u->uctx);
    atomic_fetch_add_explicit(&u->progress, 1, memory_order_relaxed);
    atomic_store_explicit(&u->wstate, TL_WS_BLOCKED, memory_order_release);
    errno = saved;
    return u;
}

static inline __attribute__((always_inline)) void tl_block_end(struct tl_unit *u)
{
    if (u == NULL)
        return;
    int saved = errno;
    int expect = TL_WS_BLOCKED;
    while (!atomic_compare_exchange_weak_explicit(&u->wstate, &expect, TL_WS_RUNNING,
                                                  memory_order_acq_rel, memory_order_relaxed)) {
        if (expect == TL_WS_UNWINDING)
            sched_yield(); /* a snapshot is unwinding our frames: they must not change yet */
        expect = TL_WS_BLOCKED;
    }
    atomic_fetch_add_explicit(&u->progress, 1, memory_order_relaxed);
    u->in_block = false;
    errno = saved;
}

/* The cancellation cleanup of TL_BLOCK_CALL: closes the bracket u (a struct tl_unit *, NULL: none).
 * Runs on the cancelled thread, inside glibc's unwind; AS-safe like tl_block_end. */
void tl_block_cancelled(void *u);

/* RC = EXPR inside the bracket (REASON, CALL, OBJ, DURABLE), closed on return and on
 * cancellation. A statement; EXPR is evaluated once. The unit is volatile because it is read again
 * after the setjmp of pthread_cleanup_push (-Wclobbered). */
#define TL_BLOCK_CALL(rc, reason, call, obj, durable, expr)                                        \
    do {                                                                                           \
        struct tl_unit *volatile tl_u_ = tl_block_begin(reason, call, obj, durable);               \
        pthread_cleanup_push(tl_block_cancelled, tl_u_);                                           \
        (rc) = (expr);                                                                             \
        pthread_cleanup_pop(0);                                                                    \
        tl_block_end(tl_u_);                                                                       \
    } while (0)

#endif /* TL_BLOCK_H */
