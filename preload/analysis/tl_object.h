/* tl_object: names for the objects units wait on, for reports (malloc allowed; never on hot
 * paths).
 *
 * A wait's object is an address: the mutex, condition, semaphore or channel the unit waits for.
 * A report names it the way a programmer would look for it:
 *   - a variable of a loaded module, by its symbol: "cache_lock", or "stats+16" for a member at
 *     byte 16 of the variable stats (OBJECT symbols of .symtab and .dynsym);
 *   - "stack of thread:3" when it lies on a thread's stack (the main thread's [stack] mapping, or
 *     the mapping that holds another thread's descriptor, which glibc keeps at its stack's top);
 *   - "heap" for other anonymous memory (malloc's heap and its mmap'd chunks);
 *   - "" when none of these says (a mapped file's memory, a stripped module's data, its .bss
 *     included, though the kernel lists the part past the file's last page as anonymous).
 */
#ifndef TL_OBJECT_H
#define TL_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "tl_model.h"

/* Fills object_name of every unit of r that waits on an object (reads /proc/self/maps once). */
void tl_object_name_all(struct tl_report *r);

/* The name of the object at addr alone (one lookup; /proc/self/maps is read only when no symbol
 * names it): for objects that are not a unit's wait, such as the locks of an inversion. */
void tl_object_name(struct tl_report *r, uintptr_t addr, char *buf, size_t n);

/* "cache_lock (demo+0x4040)" or "heap (0x55d0c2a0e040)": u's wait object by name and by place;
 * just the place when it has no name. */
void tl_object_describe(struct tl_report *r, const struct tl_rep_unit *u, char *buf, size_t n);

#endif /* TL_OBJECT_H */
