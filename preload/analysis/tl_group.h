/* tl_group: the report model. One build turns the registry snapshot, gor's task snapshot and the
 * threads found only in /proc/self/task into classified units and groups; the JSON writer
 * (tl_report) and the text writer (tl_text) both render this model (its types: tl_model.h), so
 * the two reports can never disagree.
 *
 * Report time only: everything here mallocs and symbolizes. Never called with the registry lock
 * held (tl_registry_snapshot takes and releases it in batches).
 */
#ifndef TL_GROUP_H
#define TL_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_model.h"

/* Builds the model under the options o (kept as r->opts; o must outlive r): the threshold of the
 * "blocked" verdict, stack_depth, proof; and the suppressions s (kept as r->supp, NULL for none;
 * s must outlive r): a unit or inversion one of them matches is suppressed. exclude_seq: a thread
 * unit left out (the exiting or checking thread), 0 none. Returns 0, or -1 (ENOMEM; r is then
 * empty but valid for tl_report_free). */
int tl_report_build(struct tl_report *r, enum tl_build_mode mode, uint64_t exclude_seq,
                    const struct tl_options *o, struct tl_supp *s);

/* The TL_BUILD_DEADLOCK model: all_asleep when every unit of the process is asleep (all of them
 * "deadlocked"), else a wait-for cycle while others run (the cycles and the units waiting on
 * them "deadlocked", other long durable waits "blocked"). Returns as tl_report_build. */
int tl_report_build_deadlock(struct tl_report *r, bool all_asleep, const struct tl_options *o,
                             struct tl_supp *s);
void tl_report_free(struct tl_report *r);
/* Appends a "growing" group to r for each creation site ever found growing (tl_growth_found):
 * its members are r's live units created there, with the site's figures; the verdict sticks, so
 * every later report has it. Returns 0, or -1 (ENOMEM). Part of every build. */
int tl_growth_groups(struct tl_report *r);
/* Puts r's groups in the order every report shows them (tl_render_group_order: the most severe
 * verdict first, then the larger group, then the first unit). Part of every build. */
void tl_group_sort(struct tl_report *r);


/* Remembers the threads of unknown origin alive now, so checks ignore them (ignore_current). */
void tl_group_ignore_unknown(void);

#endif /* TL_GROUP_H */
