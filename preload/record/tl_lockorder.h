/* tl_lockorder: recording the lock-order graph from the lock wrappers, and the inversions found.
 *
 * Every lock a thread holds sits in its held list (thread-local: the lock's address, the return
 * address into the caller that took it, the caller's stack pointer then, and flags), kept by
 * tl_lo_acquired / tl_lo_released, which the interposers call after a successful acquisition and
 * before a release. A thread that holds nothing pays one thread-local test and two stores; the
 * graph is only consulted when a lock is taken while another is held:
 * - each distinct (held, acquired, modes) pair is looked up first in a small per-thread cache, then
 *   in the graph (tl_lockgraph) under the recorder's lock; only a pair never seen before costs two
 *   stack captures (where the held lock was taken: its return address plus the frames still live
 *   since; where the new one is taken: the whole stack) and a cycle search;
 * - edges come from the newest held lock and, past it, from the trylock-acquired locks above the
 *   newest blocking one (lockdep's rule: older locks reach the new one through the newest);
 * - a trylock acquisition adds no edge into itself (it cannot wait), a lock the thread already
 *   holds (a recursive mutex, a second read lock) adds none, and a failed acquisition is never
 *   recorded;
 * - a cycle closed by a new edge, unless a gate lock held outside all its edges guards it, is kept
 *   as an inversion, once per set of locks.
 * tl_lo_forget (a lock destroyed or initialised again) drops the lock's edges, so a heap address
 * reused for a new lock inherits nothing.
 *
 * The recorder never calls malloc or a wrapped function under its lock (the graph is mmap'd) and
 * marks the thread busy while inside, so a lock taken by our own code or by an allocator beneath
 * us is not recorded (no recursion). Held lists grow without a fixed limit (an mmap'd spill past
 * TL_LO_INLINE entries), freed at thread exit. Enabled by option lock_order (tl_lo_start).
 */
#ifndef TL_LOCKORDER_H
#define TL_LOCKORDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_lockgraph.h"

/* Flags of an acquisition: the lock kind (enum tl_lg_kind) in the low bits, plus: */
#define TL_LO_KIND_MASK 3u
#define TL_LO_READ      4u /* rwlock read lock */
#define TL_LO_TRY       8u /* a trylock that succeeded */

#define TL_LO_INLINE 8 /* held locks kept in thread-local storage before the spill */
#define TL_LO_CACHE  32 /* pairs remembered per thread */

/* Three words, so that noting a lock costs three stores (and the count's): the flags share a word
 * with the stack pointer, shifted above them (user-space addresses leave the top bits free). */
struct tl_lo_held {
    uintptr_t lock; /* the lock's address */
    uintptr_t ip;   /* return address into the caller that took it */
    uint64_t spf;   /* that caller's stack pointer at the call << 4 | flags (TL_LO_*) */
};

static inline uint64_t tl_lo_spf(uintptr_t sp, unsigned flags)
{
    return (uint64_t)sp << 4 | flags;
}

static inline unsigned tl_lo_held_flags(const struct tl_lo_held *h)
{
    return (unsigned)(h->spf & 15u);
}

static inline uintptr_t tl_lo_held_sp(const struct tl_lo_held *h)
{
    return (uintptr_t)(h->spf >> 4);
}

struct tl_lo_pair {
    uintptr_t from, to;
    unsigned mode;
    unsigned epoch; /* tl_lo's forget epoch when cached */
};

/* One thread's state; owner thread only. */
struct tl_lo_thread {
    uint32_t n;                /* locks held */
    uint32_t cap;              /* entries of spill */
    bool busy;                 /* inside the recorder or a report: record nothing */
    struct tl_lo_held *spill;  /* entries TL_LO_INLINE.. (mmap'd), NULL until needed */
    struct tl_lo_held inl[TL_LO_INLINE];
    struct tl_lo_pair last;       /* the pair last found known and settled (inline repeat path) */
    uint32_t last_flags[2];       /* flags of its held and acquired ends */
    struct tl_lo_pair cache[TL_LO_CACHE];
};

/* One inversion: the cycle's edges in order (edge[k].to == edge[k+1].from, the last's to is the
 * first's from). */
struct tl_lo_inversion {
    size_t n;
    struct tl_lg_edge edge[TL_LG_CYCLE_MAX];
};

extern bool tl_lo_on; /* set by tl_lo_start; constant afterwards */

/* The same, with readiness, in one byte the mutex fast paths test with one load: TL_LO_READY once
 * tl_lo_start ran (initialisation is past tl_real_init, so the real-function table is filled),
 * plus TL_LO_RECORDING when lock_order is on, plus TL_LO_MFAST when the wrappers may lock and
 * unlock a default mutex in place (tl_mfast.h). Set by tl_lo_start; constant afterwards. */
#define TL_LO_READY     1u
#define TL_LO_RECORDING 2u
#define TL_LO_MFAST     4u
extern unsigned char tl_lo_state;
extern _Atomic unsigned tl_lo_epoch; /* bumped by every forget that removed an edge */
extern __thread struct tl_lo_thread tl_lo_self __attribute__((tls_model("initial-exec")));

/* Turns recording on (option lock_order) and tells the mutex wrappers whether their in-place
 * fast path is usable (mfast). Context initialisation only. */
void tl_lo_start(bool on, bool mfast);

void tl_lo_acquired_slow(const void *lock, unsigned flags, uintptr_t ip, uintptr_t sp);
void tl_lo_released_slow(const void *lock);

/* The fast halves, for wrappers that keep their common path free of calls (no stack frame, a tail
 * call to the real function). tl_lo_take_empty notes lock when the thread holds nothing and is not
 * inside the recorder (one thread-local load and compare, then the entry's stores) and returns
 * true; false leaves the acquisition to tl_lo_acquired. tl_lo_take_first is the same but also
 * returns true when recording is off. tl_lo_pop_top drops lock when it is the newest held lock
 * (the usual nesting: a lock taken under the detector was noted) and returns true; it also
 * returns true when nothing is held once initialisation is past the real-function table (with
 * lock_order=0, say); false leaves the release to tl_lo_released after tl_enter(). None calls
 * anything or touches errno. */
static inline unsigned tl_lo_fast_state(void)
{
    return __atomic_load_n(&tl_lo_state, __ATOMIC_ACQUIRE);
}

static inline __attribute__((always_inline)) bool tl_lo_take_empty(const void *lock, unsigned flags,
                                                                   uintptr_t ip, uintptr_t sp)
{
    struct tl_lo_thread *t = &tl_lo_self;
    if (__builtin_expect(t->n != 0 || t->busy, 0))
        return false;
    t->inl[0] = (struct tl_lo_held){(uintptr_t)lock, ip, tl_lo_spf(sp, flags)};
    t->n = 1;
    return true;
}

static inline __attribute__((always_inline)) bool tl_lo_take_first(const void *lock, unsigned flags,
                                                                   uintptr_t ip, uintptr_t sp)
{
    return !tl_lo_on || tl_lo_take_empty(lock, flags, ip, sp);
}

static inline __attribute__((always_inline)) bool tl_lo_pop_top(const void *lock)
{
    struct tl_lo_thread *t = &tl_lo_self;
    uint32_t n = t->n;
    if (__builtin_expect(n - 1u < TL_LO_INLINE && t->inl[n - 1].lock == (uintptr_t)lock, 1)) {
        t->n = n - 1; /* n = 0 wraps around and fails the first test */
        return true;
    }
    return n == 0 && tl_lo_fast_state() != 0; /* nothing held, the table filled: forward */
}

/* The same pair as last time, under the same newest lock (nested locking in a loop): known to the
 * graph, nothing to add, no call; notes lock and returns true, or returns false. */
static inline __attribute__((always_inline)) bool
tl_lo_take_repeat(const void *lock, unsigned flags, uintptr_t ip, uintptr_t sp)
{
    struct tl_lo_thread *t = &tl_lo_self;
    uint32_t n = t->n;
    if (n - 1u < TL_LO_INLINE - 1u && t->inl[n - 1].lock == t->last.from &&
        (uintptr_t)lock == t->last.to && tl_lo_held_flags(&t->inl[n - 1]) == t->last_flags[0] &&
        flags == t->last_flags[1] &&
        t->last.epoch == atomic_load_explicit(&tl_lo_epoch, memory_order_relaxed) && !t->busy) {
        t->inl[n] = (struct tl_lo_held){(uintptr_t)lock, ip, tl_lo_spf(sp, flags)};
        t->n = n + 1;
        return true;
    }
    return false;
}

/* The calling thread has just acquired lock (flags: kind and TL_LO_*); ip is the return address
 * into its caller and sp the caller's stack pointer at the call. AS-safe as far as the wrappers
 * are; errno preserved; never fails (out of memory: the pair is not recorded). */
static inline __attribute__((always_inline)) void tl_lo_acquired(const void *lock, unsigned flags,
                                                                 uintptr_t ip, uintptr_t sp)
{
    if (__builtin_expect(tl_lo_take_first(lock, flags, ip, sp), 1) ||
        tl_lo_take_repeat(lock, flags, ip, sp))
        return;
    tl_lo_acquired_slow(lock, flags, ip, sp);
}

/* The calling thread is about to release lock (the newest entry for it leaves the held list; a
 * lock it does not hold is ignored). errno preserved. */
static inline __attribute__((always_inline)) void tl_lo_released(const void *lock)
{
    if (!tl_lo_pop_top(lock) && tl_lo_self.n != 0)
        tl_lo_released_slow(lock);
}

/* The same for a gor mutex taken or released by gor task `task`: a task may park holding one and
 * resume on another thread, so each task that holds gor mutexes has a held list of its own
 * (created with its first, dropped with its last). Takes the recorder's lock; errno preserved. */
void tl_lo_task_acquired(int64_t task, const void *lock, unsigned flags, uintptr_t ip,
                         uintptr_t sp);
void tl_lo_task_released(int64_t task, const void *lock);

/* lock is being destroyed or initialised again: forget its edges. Takes the recorder's lock. */
void tl_lo_forget(const void *lock);

/* The calling thread is exiting: its held list is dropped and its spill unmapped. */
void tl_lo_thread_exit(void);

/* Copies the inversions found so far into a malloc'd array (*out, NULL when none); returns their
 * number, and *dropped the inversions not kept for lack of room. Report time only. */
size_t tl_lo_inversions(struct tl_lo_inversion **out, size_t *dropped);

/* Marks the calling thread busy (a report is being built: its own locks are not recorded) and
 * returns the previous mark; tl_lo_set_busy(old) restores it. */
bool tl_lo_set_busy(bool busy);

/* pthread_atfork handlers: prepare takes the recorder's lock, parent and child release it. */
void tl_lo_atfork_prepare(void);
void tl_lo_atfork_parent(void);
void tl_lo_atfork_child(void);

#endif /* TL_LOCKORDER_H */
