/* tl_wd_text: how the watchdog prints one group on the log (see tl_wd_text.c). */
#ifndef TL_WD_TEXT_H
#define TL_WD_TEXT_H

#include <stdio.h>

#include "tl_group.h"

/* Prints group g of r on f: count, kind, [reason, how long], verdict (why), the blocked stack, the
 * creation stack, the unit ids and how to silence it; a "growing" group also its growth. */
void tl_wd_print_group(struct tl_report *r, FILE *f, const struct tl_rep_group *g, const char *why);

#endif /* TL_WD_TEXT_H */
