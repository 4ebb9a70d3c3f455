/* tl_block: the out-of-line parts of the blocking bracket (see tl_block.h for the protocol).
 *
 * The gor lookup lives here: asking tl_gor which task runs on this thread costs a call into
 * libgor, and only when gor is present, so programs without gor pay one predictable branch. So
 * does the cancellation cleanup, which glibc calls through a pointer.
 */
#include "tl_block.h"

#include "tl_gor.h"

int64_t tl_block_current_task(void)
{
    return tl_gor_present() ? tl_gor_current_task() : 0;
}

void tl_block_cancelled(void *u)
{
    tl_block_end(u);
}
