/* tl_stack: cheap stack capture and a deduplicating, reference-counted stack table.
 *
 * Record cheaply, symbolize late (STYLE item 9): capture is raw instruction pointers from
 * unw_backtrace; intern hashes them and keeps one copy per distinct stack, so a program that
 * creates a million threads from three call sites holds three stacks. Entries are reference
 * counted: the registry holds one reference per unit that points at a stack and drops it when the
 * unit is forgotten, so the table holds only live distinct stacks.
 *
 * Ids are small integers (slot index + 1) so that units store 4 bytes, and lookup by id is an
 * array index. Thread safety: one internal mutex, held only around table operations and never
 * while calling out (no unwinding, no logging under it). Out of memory: intern returns 0
 * ("no stack") and the caller carries on without a stack.
 */
#ifndef TL_STACK_H
#define TL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t tl_stack_id; /* 0 = no stack */

#define TL_STACK_MAX_FRAMES 256 /* upper bound for max in every call below */

/* Captures up to max (<= TL_STACK_MAX_FRAMES) return addresses of the caller's stack into ips,
 * skipping the `skip` innermost frames above the caller (0 = the first ip is in the caller).
 * Returns the number stored (0 when unwinding fails). No malloc, no lock of ours; errno kept. */
int tl_stack_capture(uintptr_t *ips, int max, int skip);

/* Returns the id of the stack ips[0..n) (n <= TL_STACK_MAX_FRAMES; n == 0 -> 0), adding it if new,
 * and takes one reference. 0 on allocation failure. Thread-safe; errno kept. */
tl_stack_id tl_stack_intern(const uintptr_t *ips, int n);

/* Takes / drops one reference. At zero the stack is freed and its id may be reused.
 * id 0 is ignored. Thread-safe. */
void tl_stack_ref(tl_stack_id id);
void tl_stack_unref(tl_stack_id id);

/* The frames of a stack and their count (*n = 0 and NULL for id 0 or an unknown id). The array
 * stays valid while the caller holds a reference. Thread-safe. */
const uintptr_t *tl_stack_frames(tl_stack_id id, int *n);

/* Number of distinct stacks currently held. */
size_t tl_stack_count(void);

/* Unwinds a context saved with unw_getcontext (by a thread that is still blocked, so its frames
 * are stable) into ips; returns the count. The first ip is the saved pc itself. */
int tl_stack_unwind_context(void *unw_context, uintptr_t *ips, int max);

/* fork handling, in pthread_atfork order: prepare takes the table lock so the child inherits a
 * consistent table, parent releases it, child resets it (also safe without prepare: the parent
 * thread that may have held it does not exist in the child). */
void tl_stack_atfork_prepare(void);
void tl_stack_atfork_parent(void);
void tl_stack_atfork_child(void);

/* The load range [lo, hi) of the object containing addr and whether it is the main program;
 * false (and an empty range) when no object contains it. Walks dl_iterate_phdr: not for hot
 * paths. */
bool tl_stack_object_range(uintptr_t addr, uintptr_t *lo, uintptr_t *hi, bool *main_program);

/* Removes the detector's own frames from ips[0..n) in place and returns the new count, so that
 * every report writer (JSON, text, groups, watchdog) sees the same user-facing stack:
 * - keep_call (blocked stacks, saved inside a wrapper): the leading run of our frames is reduced
 *   to its outermost frame, the exported wrapper named like the call the user made (sem_wait), so
 *   frame 0 is that call and internal helpers (sem_wait_blocking) disappear;
 * - every other frame of ours (the thread trampoline, the gor start box) is dropped.
 * "Ours" is the text of the shared object this code lives in (libtaskleak.so). When this code is
 * linked into the main program (the unit-test runner), nothing is ours and ips is untouched.
 * No lock held while called out; the object's range is computed once (dl_iterate_phdr). */
int tl_stack_strip_own(uintptr_t *ips, int n, bool keep_call);

/* Frees every stack (process teardown and tests); ids handed out before become invalid. */
void tl_stack_clear(void);

/* The hash intern uses (FNV-1a over the ip words); exposed for tests. */
uint32_t tl_stack_hash(const uintptr_t *ips, int n);

#endif /* TL_STACK_H */
