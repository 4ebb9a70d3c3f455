/* ipose.h: what every interposer file shares (thin shims: docs/internals.md, Rules every
 * interposer keeps).
 *
 * TL_EXPORT gives a wrapper default visibility (the build hides everything else;
 * preload/exports.txt lists the names and make check holds the library to it). tl_enter() makes
 * sure the real-function table is filled before a wrapper forwards: a library constructor may call
 * a wrapper before our own constructor ran, and the detector may be off (then the table is still
 * resolved and wrappers only forward).
 */
#ifndef TL_IPOSE_H
#define TL_IPOSE_H

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_lockorder.h"
#include "tl_real.h"

#define TL_EXPORT __attribute__((visibility("default")))

/* rc = expr inside the blocking bracket, closed on return and on cancellation (TL_BLOCK_CALL,
 * tl_block.h): the one form every interposer uses; the wrapper declares rc. */
#define BRACKET(reason, call, obj, durable, expr)                                                  \
    TL_BLOCK_CALL(rc, reason, call, obj, durable, expr)

/* Notes lock (flags: enum tl_lg_kind | TL_LO_*) in the calling thread's held list with the
 * wrapper's return address and its caller's stack pointer at the call (the wrapper's canonical
 * frame address), which tl_lockorder uses to tell which frames were live when the lock was taken.
 * Use in the exported wrapper itself, after a successful acquisition. */
#if defined(__GNUC__) && !defined(__clang__)
#define TL_CALLER_SP() ((uintptr_t)__builtin_dwarf_cfa())
#else
#define TL_CALLER_SP() ((uintptr_t)__builtin_frame_address(0) + 2 * sizeof(void *))
#endif
#define HELD(lock, flags)                                                                          \
    tl_lo_acquired(lock, flags, (uintptr_t)__builtin_return_address(0), TL_CALLER_SP())

static inline void tl_enter(void)
{
    if (__builtin_expect(!tl_ctx_ready(), 0))
        tl_real_init(); /* detector off or initialising: forward only */
}

#endif /* TL_IPOSE_H */
