/* tl_growth: the "growing" verdict (taskleak(7), GROWING; issue 18). A service that spawns one
 * task per request that never ends shows it as a creation site whose live count only climbs.
 *
 * A creation site is a creation stack plus a start function (and a unit kind). Thread and task
 * creation call tl_growth_enter, their end tl_growth_leave: one probe in a fixed table and one
 * atomic add, no lock, no allocation (AS-safe). Every interval the watchdog calls tl_growth_look,
 * which samples each site's live count into a short history; a site whose count rose by at least
 * growth_min over the last `growth` window and never fell below the window's starting count at
 * any look in it becomes "growing", for good: every later report of the process carries a group
 * with verdict "growing" for it (built by the analysis from tl_growth_found), the exit report
 * included.
 *
 * The table holds TL_GROWTH_SITES sites; sites are never forgotten, and creations from further
 * sites are simply not counted. A site holds no reference on its creation stack (its live units
 * do) until it is found growing; a stack id freed and reused meanwhile simply names the site of
 * the stack that has it now.
 */
#ifndef TL_GROWTH_H
#define TL_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_limits.h"
#include "tl_stack.h"

#define TL_GROWTH_SITES 4096

/* A "growing" group's figures (tl_growth.h): live units now, a window ago, and the rise per s. */
struct tl_rep_growth {
    char site[17];
    double rate_per_s;
    size_t count, count_before;
    int64_t window_ms;
};

/* What the judgement needs of the options (growth=, growth_min=, interval=), handed over once at
 * start-up by the path that owns the options; until then window_ms is 0: off. */
struct tl_growth_cfg {
    int64_t window_ms;   /* growth= (0: no site is counted or judged) */
    int64_t min;         /* growth_min= */
    int64_t interval_ms; /* interval=: how far apart the looks are */
};
void tl_growth_init(const struct tl_growth_cfg *cfg);

/* A unit was created at (created_stack, start): its site's live count goes up. Returns the
 * site's index for tl_growth_leave, -1 when not counted (table full, growth=0). */
int tl_growth_enter(tl_stack_id created_stack, uintptr_t start, enum tl_unit_kind kind);
/* The unit counted at site ended (-1: nothing). */
void tl_growth_leave(int site);

/* The watchdog's look at time now_ms (CLOCK_MONOTONIC): samples every site; true when a site
 * became growing at this look. Watchdog thread only. */
bool tl_growth_look(int64_t now_ms);

/* One site as the metrics and the live view see it. */
struct tl_growth_site {
    char id[17];        /* stable short id: 16 hex digits of the site's hash */
    uintptr_t start;    /* start function */
    enum tl_unit_kind kind;
    tl_stack_id created_stack;
    long live;          /* live units now */
    bool growing;
};
/* The k sites with the most live units, most first, into out; returns how many (live > 0). */
size_t tl_growth_top(struct tl_growth_site *out, size_t k);

/* A site ever found growing, as a report's "growing" group needs it. */
struct tl_growth_found {
    tl_stack_id created_stack;
    uintptr_t start;
    enum tl_unit_kind kind;
    struct tl_rep_growth g;
};
/* Site i (0 <= i < TL_GROWTH_SITES) when it was ever found growing: true and *out filled.
 * Report time (the analysis turns each into a group, see tl_group.h). */
bool tl_growth_found(size_t i, struct tl_growth_found *out);

/* Fork child: counts restart from the units the child has (its own thread only). */
void tl_growth_atfork_child(void);

#endif /* TL_GROWTH_H */
