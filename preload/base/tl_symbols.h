/* tl_symbols: module map and function names, for reports (malloc allowed; never on hot paths).
 *
 * tl_modmap_take snapshots dl_iterate_phdr: one entry per loaded object with its path (the main
 * program's "" resolved through /proc/self/exe), GNU build id (hex of NT_GNU_BUILD_ID), load bias
 * and executable PT_LOAD ranges. tl_symbolize opens a module's file with libelf the first time one
 * of its addresses is asked for, reads .symtab (static functions included) and .dynsym into a
 * sorted array cached in the modmap, and answers by binary search: the FUNC symbol whose
 * [value, value+size) encloses the address, or, for size-0 symbols, the nearest lower one within
 * the same executable segment. Addresses of PIE and shared objects are translated with the load
 * bias (st_value + bias). A modmap is used by one thread at a time (no internal locking).
 */
#ifndef TL_SYMBOLS_H
#define TL_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct tl_modmap;

/* Snapshot of the loaded objects; NULL with errno ENOMEM on failure. */
struct tl_modmap *tl_modmap_take(void);
void tl_modmap_free(struct tl_modmap *m); /* NULL allowed */

int tl_modmap_count(const struct tl_modmap *m);
/* Module i's file path, build id ("" when it has none) and load bias; i in [0, count). */
const char *tl_modmap_path(const struct tl_modmap *m, int i);
const char *tl_modmap_build_id(const struct tl_modmap *m, int i);
uintptr_t tl_modmap_base(const struct tl_modmap *m, int i);

/* Index of the module whose executable segments contain ip (or any PT_LOAD segment when no
 * executable one does), -1 when none; *offset = ip - base (NULL allowed). */
int tl_modmap_find(const struct tl_modmap *m, uintptr_t ip, uintptr_t *offset);

/* Name of the function containing ip, or NULL. The string lives as long as m. Return addresses:
 * the caller passes ip - 1 for every frame above the first. */
const char *tl_symbolize(struct tl_modmap *m, uintptr_t ip);

/* Same, also giving ip's distance from the symbol's start (*sym_offset, NULL allowed). */
const char *tl_symbolize_off(struct tl_modmap *m, uintptr_t ip, uintptr_t *sym_offset);

/* Name of the variable (an OBJECT symbol with a size, from .symtab or .dynsym) whose bytes contain
 * addr, with addr's distance from its start in *sym_offset (NULL allowed); NULL when no variable
 * of a loaded module contains it (heap, stacks, stripped modules). */
const char *tl_symbolize_data(struct tl_modmap *m, uintptr_t addr, uintptr_t *sym_offset);

#endif /* TL_SYMBOLS_H */
