/* tl_stack: cheap stack capture and a deduplicating, reference-counted stack table.
 *
 * Record cheaply, symbolize late: capture is raw instruction pointers from
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

/* The stack_depth= option: frames kept per recorded stack (creation stacks, lock-order stacks),
 * handed over once at start-up by the path that owns the options. Until then 0 (no frames). */
void tl_stack_set_depth(int depth);
int tl_stack_depth(void);

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

/* A call frame: the blocking call the program made ("pthread_cond_wait", "gor_chan_recv"), kept
 * at the top of a blocked stack in place of the detector's (and gor's) own frames, so every
 * writer shows the call as the program wrote it. It is stored in the ip word with the top bit set,
 * which no user-space code address has; the name must have static storage (the wait's `call`). */
#define TL_STACK_CALL_BIT ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))

static inline uintptr_t tl_stack_call_frame(const char *call)
{
    return (uintptr_t)call | TL_STACK_CALL_BIT;
}

/* The call a frame names, or NULL for an ordinary return address. */
static inline const char *tl_stack_frame_call(uintptr_t ip)
{
    return (ip & TL_STACK_CALL_BIT) ? (const char *)(ip & ~TL_STACK_CALL_BIT) : NULL;
}

/* Removes the detector's own frames from ips[0..n) in place and returns the new count, so that
 * every report writer (JSON, text, groups, watchdog) sees the same user-facing stack:
 * - call != NULL (blocked stacks, saved inside a wrapper): ips[0] is the frame that opened the
 *   bracket, always ours whatever object it lives in (also when this code is linked into the
 *   program itself), and is dropped with every frame of ours; a call frame naming `call` takes
 *   its place, so frame 0 reads as the call the program made (sem_wait), never an internal
 *   helper (sem_wait_blocking) or the wrapper's own address;
 * - every other frame of ours (the thread trampoline, the gor start box) is dropped.
 * "Ours" is the text of the shared object this code lives in (libtaskleak.so). When this code is
 * linked into the main program (the unit-test runner), only ips[0] of a blocked stack is ours.
 * No lock held while called out; the object's range is computed once (dl_iterate_phdr). */
int tl_stack_strip_own(uintptr_t *ips, int n, const char *call);

/* Marks the calling thread busy around every unwind: set_busy(true) before, returning the previous
 * mark, and set_busy(previous) after. The lock-order recorder (tl_lockorder) registers its mark
 * here at start-up, so the locks the unwinder takes are never recorded; NULL marks nothing. */
void tl_stack_set_busy_hook(bool (*set_busy)(bool busy));

/* Frees every stack (process teardown and tests); ids handed out before become invalid. */
void tl_stack_clear(void);

/* The hash intern uses (FNV-1a over the ip words); exposed for tests. */
uint32_t tl_stack_hash(const uintptr_t *ips, int n);

#endif /* TL_STACK_H */
