/* ipose.h: what every interposer file shares (STYLE item 1: thin shims).
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
#include "tl_real.h"

#define TL_EXPORT __attribute__((visibility("default")))

/* rc = expr inside the blocking bracket, closed on return and on cancellation (TL_BLOCK_CALL,
 * tl_block.h): the one form every interposer uses; the wrapper declares rc. */
#define BRACKET(reason, call, obj, durable, expr)                                                  \
    TL_BLOCK_CALL(rc, reason, call, obj, durable, expr)

static inline void tl_enter(void)
{
    if (__builtin_expect(!tl_ctx_ready(), 0))
        tl_real_init(); /* detector off or initialising: forward only */
}

#endif /* TL_IPOSE_H */
