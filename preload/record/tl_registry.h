/* tl_registry: every live thread unit of the process, and consistent snapshots of them.
 *
 * A unit is created by the thread that calls pthread_create/thrd_create (tl_registry_new), bound
 * to the new thread when it starts (tl_registry_attach: tid, TLS pointer), and finished when the
 * thread exits (tl_registry_finish). A detached thread is then forgotten (removed and freed); a
 * joinable one stays in the table as an exited record, reported "unjoined" by the final checks,
 * until a join or a detach names it (tl_registry_joined, tl_registry_set_detached). glibc reuses
 * a pthread_t only after the thread was joined or detached, so a new thread that attaches with a
 * handle an exited record still holds proves that record stale, and drops it: a reused handle
 * never finds an old record. Units are found by pthread_t through an index (O(1) per join,
 * detach or name). The main thread is registered by the context's initialisation. Units live in a
 * slot table (index = unit->slot) so that a snapshot can copy the table in bounded batches,
 * releasing the lock between batches, in O(units): the exit gate, taskleak_check/dump and the
 * watchdog all use tl_registry_snapshot.
 *
 * Locking: one registry lock (a spin-then-yield lock: the pthread mutex functions are our own
 * wrappers in this object). It guards the slot table, the list membership of every unit and the
 * fields marked "registry lock" below. Fields marked "owner" are written only by the unit's own
 * thread; the wait fields are published to other threads through `wstate` (see tl_block.h).
 * Nothing under the lock allocates a stack, unwinds, logs or calls a wrapped function.
 */
#ifndef TL_REGISTRY_H
#define TL_REGISTRY_H

#ifndef UNW_LOCAL_ONLY
#define UNW_LOCAL_ONLY
#endif
#include <libunwind.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_hash.h"
#include "tl_limits.h"
#include "tl_stack.h"


/* wstate values: the wait-publication protocol of tl_block.h. */
enum { TL_WS_RUNNING = 0, TL_WS_BLOCKED = 1, TL_WS_UNWINDING = 2 };

/* What a blocked unit waits for. Written by the owner before it publishes TL_WS_BLOCKED; read by
 * snapshots only while wstate says blocked. Strings are static (string literals). */
struct tl_wait {
    const char *reason; /* wait reason (docs/internals.md), e.g. "cond wait" */
    const char *call;   /* the function called, e.g. "pthread_cond_wait" */
    uintptr_t object;   /* the mutex/cond/sem address, or the fd for IO waits */
    int64_t since_ns;   /* CLOCK_MONOTONIC when the wait began */
    bool durable;       /* only another unit of this process can end it */
    int64_t task;       /* gor task running on this thread when it blocked (0 = none) */
};

struct tl_unit {
    /* Set by tl_registry_new before the unit is published; constant afterwards. */
    uint64_t seq;              /* "thread:<seq>"; the main thread is 1 */
    enum tl_unit_kind kind;    /* always TL_KIND_THREAD here; tasks live in tl_gor */
    uintptr_t start;           /* start routine (0 for the main thread) */
    uint64_t creator_seq;      /* seq of the creating unit, 0 when unknown */
    int64_t creator_task;      /* gor task that created it ("task:N" wins over creator_seq, the
                                  worker thread that ran the task), 0 when none */
    void *creator_hold;        /* tl_gor's hold on that task's record, released when the unit
                                  is freed (tl_gor_creator_hold); NULL when none */
    tl_stack_id created_stack; /* one reference, dropped when the unit is freed */
    _Atomic int site;          /* creation site counting it as live (tl_growth), -1 once ended */
    char label[TL_LABEL_MAX];  /* label inherited from the creator ("" = none) */
    bool internal;             /* a thread of the detector or of gor's runtime: never reported */
    /* With creator_task: the kernel name the thread inherits from the gor worker that ran the
     * task ("gor-worker-N", not the program's own), "" otherwise; a report shows no name while
     * the thread's name is still this one. */
    char inherited_name[TL_NAME_MAX];

    /* Registry lock. */
    size_t slot;            /* index in the slot table */
    bool ignored;           /* taskleak_ignore_current marked it */
    bool detached;          /* created detached or pthread_detach'ed */
    char name[TL_NAME_MAX]; /* pthread_setname_np, "" when never set */
    pthread_t handle;       /* the pthread_t, to find the unit from pthread_detach etc. */
    bool handle_known;      /* handle is set: by the creator once pthread_create returned, or at
                               attach, whichever comes first (both under the lock) */
    _Atomic pid_t tid;      /* written by the thread itself at attach, 0 before */

    /* Owner thread; published by wstate (release) and read under the protocol of tl_block.h. */
    _Atomic int wstate;        /* TL_WS_* */
    _Atomic uint64_t progress; /* bumped at each block begin and end: "has it moved?" */
    bool in_block;             /* owner only: a bracket is open (nested ones are not recorded) */
    struct tl_wait wait;       /* valid while wstate != TL_WS_RUNNING */
    unw_context_t uctx;        /* saved in the blocking wrapper's frame; unwound lazily */
    char spawn_label[TL_LABEL_MAX]; /* owner: label given to units this thread creates */

    /* Registry lock. */
    bool exited;               /* the thread finished; kept until joined or detached (not live) */
    int64_t exited_ns;         /* CLOCK_MONOTONIC when it finished (with exited) */
    struct tl_unit *next_free; /* chains records dropped under the lock, freed after it */
    bool indexed;              /* in the handle index (tl_registry_handles.c) */
    UT_hash_handle hh;         /* the handle index, keyed by `handle` */
};

/* A unit as copied by a snapshot: plain values, no pointers into the registry. */
struct tl_unit_view {
    uint64_t seq;
    enum tl_unit_kind kind;
    pid_t tid;
    uintptr_t start;
    uint64_t creator_seq;
    int64_t creator_task;      /* created by this gor task (then its id is the creator), or 0 */
    tl_stack_id created_stack; /* one reference owned by the snapshot */
    tl_stack_id blocked_stack; /* one reference owned by the snapshot (0 = none/not unwound) */
    bool blocked;
    struct tl_wait wait; /* valid when blocked */
    pid_t owner_tid;     /* mutex waits, unwound snapshots: the mutex owner's tid, 0 unknown */
    uintptr_t handle;    /* the thread's pthread_t (a join waits on it), 0 before attach */
    uint64_t progress;
    bool ignored, detached, internal;
    bool exited;       /* an exited, never joined nor detached thread (its record) */
    int64_t exited_ns; /* when it finished (with exited) */
    char name[TL_NAME_MAX];
    char label[TL_LABEL_MAX];
    char inherited_name[TL_NAME_MAX]; /* see tl_unit */
};

struct tl_snapshot {
    struct tl_unit_view *v; /* malloc'd */
    size_t n, cap;
};

/* Initialises the registry (idempotent per process image). Not thread-safe: context init only. */
void tl_registry_init(void);

/* Allocates a unit created by the calling thread (creator = its unit, and the gor task running
 * on it if any, unless start is gor's own machinery; label = its spawn label, creation stack =
 * the given one, whose reference passes to the unit) and publishes it. NULL when out of memory
 * (the thread then runs untracked; one warning). Not AS-safe (malloc). */
struct tl_unit *tl_registry_new(uintptr_t start, tl_stack_id created_stack, bool detached);

/* Makes u the calling thread's unit: records its tid and pthread_t, sets the TLS pointer. */
void tl_registry_attach(struct tl_unit *u);

/* Registers the calling thread itself (main thread at init, or seq for a thread found late). */
struct tl_unit *tl_registry_adopt(uint64_t seq);

/* The calling thread's unit, NULL when untracked. AS-safe (an initial-exec TLS read). */
struct tl_unit *tl_registry_self(void);

/* Forgets u (its thread is exiting or the thread was never started): unlinks and frees it, drops
 * its creation stack. Clears the TLS pointer when u is the caller's. */
void tl_registry_exit(struct tl_unit *u);

/* The thread of u is ending (its start routine returned, pthread_exit, thrd_exit, cancellation):
 * a detached thread's unit (and the main thread's) is forgotten as by tl_registry_exit; a
 * joinable one becomes an exited record (not live any more, still in snapshots with `exited`),
 * with the kernel name the thread had when it finished. Clears the TLS pointer. errno preserved. */
void tl_registry_finish(struct tl_unit *u);

/* u's thread is no longer live: its creation site's count drops, once (tl_growth.h). AS-safe. */
void tl_registry_site_leave(struct tl_unit *u);

/* A thread about to be joined, found by its handle before the join: remembers which unit it is
 * (slot and seq, seq 0 when unknown), so that once the join succeeded the record can be forgotten
 * even if glibc has already given the handle to a new thread. */
struct tl_join_ref {
    size_t slot;
    uint64_t seq;
};
void tl_registry_join_ref(pthread_t h, struct tl_join_ref *ref);

/* After a successful join of h (pthread_join, tryjoin, timed/clock joins, thrd_join): forgets
 * the joined thread's exited record (by ref; by handle when ref knew none). No-op when none. */
void tl_registry_joined(const struct tl_join_ref *ref, pthread_t h);

/* Number of exited records kept (threads finished but never joined nor detached). */
size_t tl_registry_exited(void);

/* The creator's half of attach: once pthread_create returned h, records it as the handle of the
 * unit published in `slot` with `seq`, if that unit is still registered (the thread may already
 * have ended), so that a pthread_detach or pthread_setname_np right after pthread_create finds
 * the unit before the new thread attached. */
void tl_registry_set_handle(size_t slot, uint64_t seq, pthread_t h);

/* Marks the unit whose pthread_t is h detached (an exited record is forgotten: nobody will join
 * it, and that is fine) / names it. No-op when unknown. */
void tl_registry_set_detached(pthread_t h);
void tl_registry_set_name(pthread_t h, const char *name);

/* Marks every live unit (and the caller) ignored by later checks. Returns how many. */
size_t tl_registry_ignore_all(void);

/* Copies every live unit, in batches of at most `batch` units per lock hold. With unwind, each
 * blocked unit's saved context is unwound (outside the lock, while the unit is held in
 * TL_WS_UNWINDING so its frames cannot change) into blocked_stack, at most depth frames.
 * Returns 0, or -1 with ENOMEM (s then holds what was copied). Not AS-safe. */
int tl_registry_snapshot(struct tl_snapshot *s, bool unwind, int depth, size_t batch);
void tl_snapshot_free(struct tl_snapshot *s); /* drops the stack references too */

/* Calls fn(u, arg) for every live unit (exited records are skipped: their threads are gone), at
 * most `batch` units per registry-lock hold (the lock is released between batches). fn runs UNDER
 * the lock: it may only read fields (atomics with acquire)
 * and must never allocate, lock, log or call a wrapper. For the watchdog's light scan. */
void tl_registry_visit(size_t batch, void (*fn)(const struct tl_unit *u, void *arg), void *arg);

/* Number of live units (exited records excluded) and of threads created since start (AS-safe
 * reads). */
size_t tl_registry_live(void);
uint64_t tl_registry_created(void);

/* "thread:<seq>" for the calling thread into buf; -1 when untracked. For tl_gor's created_by. */
int tl_registry_self_id(char *buf, size_t n);

/* The calling thread's spawn label (taskleak_set_label), NULL when none. */
const char *tl_label_current(void);
/* Sets it ("" or NULL clears it); truncated to TL_LABEL_MAX - 1 bytes. */
void tl_label_set(const char *label);

/* pthread_atfork handlers: prepare takes the registry lock, parent releases it, child forgets
 * every unit except the forking thread's and resets the lock. */
void tl_registry_atfork_prepare(void);
void tl_registry_atfork_parent(void);
void tl_registry_atfork_child(void);

#endif /* TL_REGISTRY_H */
