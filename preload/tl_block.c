/* tl_block: the out-of-line part of the blocking bracket (see tl_block.h for the protocol).
 *
 * Only the gor lookup lives here: asking tl_gor which task runs on this thread costs a call into
 * libgor, and only when gor is present, so programs without gor pay one predictable branch.
 */
#include "tl_block.h"

#include "tl_gor.h"

int64_t tl_block_current_task(void)
{
    return tl_gor_present() ? tl_gor_current_task() : 0;
}
