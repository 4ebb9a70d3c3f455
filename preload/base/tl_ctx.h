/* tl_ctx: the detector's one context: every process-wide setting lives here or in
 * a module whose init/fini pair tl_ctx drives (registry, stack table, log, gor bridge).
 *
 * Life cycle: tl_ctx_init runs once, from the constructor or, earlier, from the first wrapper a
 * library constructor calls (libraries in DT_NEEDED are initialised before the preload). Until it
 * has finished, wrappers forward to the real functions without recording anything. If a required
 * real function is missing the detector switches itself off with one message and every wrapper
 * keeps forwarding. fork: the child keeps the context, resets the locks and forgets the units of
 * the threads that did not survive, and reports under its own pid.
 *
 * Options are not here: tl_ctx.c parses TASKLEAK_OPTIONS once into a struct only it can write,
 * and hands each module what it needs at start-up (a const struct tl_options * to the output
 * modules, which pass it to every report they build; plain values to the lower layers). The
 * suppressions loaded under them travel the same way, next to the options. No module reads
 * options or suppressions from a global (scripts/check-static.sh fails on one that tries).
 */
#ifndef TL_CTX_H
#define TL_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_options.h"

enum tl_ctx_state { TL_CTX_NONE, TL_CTX_INITING, TL_CTX_ON, TL_CTX_OFF };

struct tl_ctx {
    _Atomic int state;      /* TL_CTX_*; moved by tl_ctx_init only */
    _Atomic pid_t init_tid; /* the thread running tl_ctx_init (its wrappers pass through) */
    int64_t started_ms;     /* CLOCK_REALTIME at init, in ms (report "started") */
    _Atomic int checks;     /* taskleak_check reports written ("check-<n>") */
    _Atomic int dumps;      /* taskleak_dump reports written ("dump-<n>") */
    _Atomic int gate_ran;   /* the exit gate has run in this process (once) */
    _Atomic int reporting;  /* reports being built now by tl_gate or tl_sigreport */

    /* The watchdog thread (tl_watchdog) and the exit gate (tl_gate) share these: */
    _Atomic pid_t watchdog_tid;   /* its kernel tid, 0 while none runs (reports leave it out) */
    _Atomic bool watchdog_quiet;  /* set first thing by the exit gate: no more watchdog
                                     reports (deadlock proofs go on) */
    _Atomic size_t watchdog_seen; /* the most units one watchdog report found blocked or
                                     deadlocked (the gate fails on it with fail_on=blocked) */

    pthread_key_t exit_key; /* destructor forgets a thread's unit on pthread_exit/cancel */
    bool exit_key_ok;       /* init */
    pid_t pid;              /* getpid() at init and after fork (the child's own) */
    char exe[4096];         /* init: /proc/self/exe as the program started ("" unknown) */
    char *cmdline;          /* init: /proc/self/cmdline then (NUL-separated, malloc'd) or NULL */
    size_t cmdline_len;     /* init: bytes of cmdline */
};

extern struct tl_ctx tl_ctx;

/* Runs the initialisation if nobody has; returns true when the detector is on. Cheap after the
 * first call (one acquire load). Wrappers call tl_ctx_ready() before recording anything, except
 * the mutex lock/unlock fast paths, which test tl_lo_state (tl_lockorder.h) and only note the
 * thread's held list. */
bool tl_ctx_init(void);
static inline bool tl_ctx_ready(void)
{
    return atomic_load_explicit(&tl_ctx.state, memory_order_acquire) == TL_CTX_ON || tl_ctx_init();
}

/* pthread_atfork handlers (registered by init). */
void tl_ctx_atfork_prepare(void);
void tl_ctx_atfork_parent(void);
void tl_ctx_atfork_child(void);

#endif /* TL_CTX_H */
