/* tl_wd_text: how the watchdog prints one group on the log (see tl_wd_text.c). */
#ifndef TL_WD_TEXT_H
#define TL_WD_TEXT_H

#include <stdbool.h>

#include "tl_group.h"

/* Prints the groups of r that are due on the log, in one write (each: count, kind, [reason, how
 * long], verdict and why, the stacks, the unit ids, how to silence it; a "growing" group its
 * growth). True when one of them was new. */
bool tl_wd_text_emit(struct tl_report *r);

/* Whether a group printed before is due to be repeated now. */
bool tl_wd_text_repeat_pending(void);

/* Fork child: forgets the parent's printed groups. */
void tl_wd_text_atfork_child(void);

#endif /* TL_WD_TEXT_H */
