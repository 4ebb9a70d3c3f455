/* tl_hint: the suppression line a report suggests for a group ("to silence: suppressions line
 * 'leak:pool_worker'"), chosen so that it is safe to paste.
 *
 * Candidates, most specific first: the program's own frames of the blocked stack (innermost
 * first), its start function, the program's frames of the creation stack (innermost first), then
 * the unit's thread name (thread:NAME). A frame is the program's when it has a name, lies outside
 * the system's and the runtime's libraries (libc, the dynamic loader, libstdc++, libgcc, the
 * detector, gor, the sanitizer runtimes) and is not gor's (gor_*) nor the blocking call itself. A stripped library's
 * frames have no names except its exported functions, so a thread it creates gets the export
 * that created it (leak:libfoo_start_workers). The first candidate that suppresses no other group
 * of the report (tried with the suppression matcher itself) is chosen; when every candidate also
 * matches another group (two groups in the same code waiting for different things), none is
 * suggested. A pattern that would match every thread (leak:start_thread, block:clone3,
 * leak:_start) is never a candidate.
 */
#ifndef TL_HINT_H
#define TL_HINT_H

#include <stdbool.h>
#include <stddef.h>

#include "tl_model.h"

/* Writes the suggested suppression line for group g of r into buf ("leak:NAME", "block:NAME"
 * or "thread:NAME"); false (buf "") when there is no safe one. */
bool tl_hint(struct tl_report *r, const struct tl_rep_group *g, char *buf, size_t n);

#endif /* TL_HINT_H */
