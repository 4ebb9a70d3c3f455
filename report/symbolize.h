/*
 * Offline symbolization with elfutils libdw: each frame of the stacks that merged groups and
 * lock-order inversions show gets its source locations (function, file:line, inlined frames) from the module's file on
 * this machine, or its separate debug information (found by build-id in /usr/lib/debug).
 *
 * A module whose file is missing, or whose build-id differs from the one the process recorded,
 * is marked (TLR_MOD_MISSING, TLR_MOD_MISMATCH) and its frames get no locations: a wrong line
 * is worse than none. Renderers say so.
 */
#ifndef TLR_SYMBOLIZE_H
#define TLR_SYMBOLIZE_H

#include "merge.h"

/* Symbolizes the representative stacks of every merged group (and, with all_units, the stacks
 * of every loaded unit of every process). Never fails as a whole: what cannot be symbolized
 * stays without locations. Returns the number of frames that got a location. */
size_t tlr_symbolize(struct tlr_merged *m, int all_units);

/* "", or a short note for a module state ("build-id differs", "file not found", ...). */
const char *tlr_module_note(enum tlr_mod_state st);

#endif
