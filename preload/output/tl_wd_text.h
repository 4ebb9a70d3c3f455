/* tl_wd_text: how the watchdog prints one group on the log (see tl_wd_text.c). */
#ifndef TL_WD_TEXT_H
#define TL_WD_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "tl_group.h"
#include "tl_options.h"

/* Prints the groups of r that are due on the log, in one write (each: count, kind, [reason, how
 * long], verdict and why, the stacks, the unit ids, how to silence it; a "growing" group its
 * growth). True when one of them was new. */
bool tl_wd_text_emit(struct tl_report *r);

/* How long the watchdog waits before it repeats a group it printed, and after a build that had
 * nothing new before the next (doubling from there): the threshold, or the interval if longer. */
static inline int64_t tl_wd_repeat_gap_ms(const struct tl_options *o)
{
    return o->threshold_ms > o->interval_ms ? o->threshold_ms : o->interval_ms;
}

/* Whether a group printed before is due to be repeated now. */
bool tl_wd_text_repeat_pending(void);

/* Fork child: forgets the parent's printed groups. */
void tl_wd_text_atfork_child(void);

#endif /* TL_WD_TEXT_H */
