/* The detector's constructor.
 *
 * DESIGN. All the work is tl_ctx_init's (engine); the constructor only makes sure it runs even in
 * a program that never calls a wrapper. Libraries in DT_NEEDED are initialised before a preload,
 * so a wrapper may already have run the initialisation by the time this runs; it is idempotent.
 */
#include "tl_ctx.h"

__attribute__((constructor)) static void tl_constructor(void)
{
    tl_ctx_init();
}
