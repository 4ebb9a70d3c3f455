/* tl_gor internals shared by tl_gor.c (the program's paths: spawn, exit, deadlock) and
 * tl_gor_snap.c (report time). Nothing here is part of tl_gor's contract (tl_gor.h). */
#ifndef TL_GOR_IMPL_H
#define TL_GOR_IMPL_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../runtime/gor_introspect.h"
#include "tl_gor.h"
#include "tl_hash.h"
#include "tl_limits.h"

enum { NSHARD = 64, CACHE_SLOTS = 64, DEPTH_MAX = 64, SKIP_MAX = 16, SPARE_MAX = 64 };

/* ---- the gor symbols, resolved once ---- */

struct gor_syms {
    int (*version)(void);
    size_t (*snapshot)(struct gor_task_info *, size_t, size_t *);
    size_t (*count)(void);
    int64_t (*current)(void);
    int (*set_hooks)(const struct gor_hooks *);
    int (*show_start)(void (*)(void *)); /* optional (NULL in older runtimes) */
    size_t (*waits)(struct gor_task_wait *, size_t, size_t *); /* optional, likewise */
    size_t (*threads)(struct gor_thread_info *, size_t);       /* optional, likewise */
    size_t (*tables)(struct gor_mem_range *, size_t);          /* optional, likewise */
};

struct stack_cache;

struct range {
    uintptr_t lo, hi; /* [lo, hi) of a module's loaded segments; written once by init */
};

/* ---- a small spin lock (pthread locks would go through the core's interposers) ---- */

struct spin {
    _Atomic int v;
};

static inline void spin_lock(struct spin *s)
{
    for (int n = 0; atomic_exchange_explicit(&s->v, 1, memory_order_acquire); n++) {
        while (atomic_load_explicit(&s->v, memory_order_relaxed)) {
            if (++n > 64)
                sched_yield(); /* the holder was preempted: let it run */
            else
                __builtin_ia32_pause();
        }
    }
}

static inline void spin_unlock(struct spin *s)
{
    atomic_store_explicit(&s->v, 0, memory_order_release);
}

/* The global state; every field is written by init (under init_once) or as commented. */
struct tl_gor_state {
    pthread_once_t init_once;
    _Atomic bool present;          /* set last by init: the fields below are then immutable */
    struct gor_syms gor;
    struct range gor_mod;          /* libgor's address range: its frames and its threads */
    struct range self_mod;         /* libtaskleak's own range: our frames are skipped */
    struct range san_mod;          /* the sanitizer runtime's range (SANITIZE=1), else empty */
    _Atomic uint64_t created;      /* tasks counted outside the per-thread caches: spawns by
                                      threads without one, and those of exited threads */
    struct spin caches_lock;       /* guards caches */
    struct stack_cache *caches;    /* every live thread's cache, whose `spawned` counts the rest */
    _Atomic bool deadlocked;       /* set by the deadlock hook */
    int (*_Atomic thread_namer)(char *, size_t); /* the core's "thread:N"; set at start-up */
    const char *(*_Atomic label_source)(void);    /* the core's current label; set at start-up */
    _Atomic int depth;             /* frames kept per creation stack (stack_depth option) */
    void (*_Atomic on_deadlock)(void);            /* the core's gate; set at start-up */
    pthread_key_t cache_key;       /* frees a thread's stack cache when the thread exits */
};
extern struct tl_gor_state tl_gor_g;

/* ---- the task table ---- */

/* A task's lifetime word: twice the number of its live children with records (tasks it spawned
 * and threads it created, tl_gor_creator_hold), plus EXITED once the task returned. The record
 * is forgotten when the word reaches exactly EXITED (no children left and exited), by whichever
 * of the task's exit or its last child's exit gets it there. */
enum { EXITED = 1, CHILD = 2 };

struct task_rec {
    int64_t id;                /* key; immutable */
    int64_t parent;            /* spawning task whose record counts this one, 0 otherwise */
    struct task_rec *parent_rec; /* its record, alive while it counts this one; immutable */
    uintptr_t start;           /* the user's start function; immutable after insert */
    void (*fn)(void *);        /* with arg: what tl_gor_task_start runs (boxed spawns only) */
    void *arg;
    uintptr_t frame_hi;        /* the task's outermost own frame, 0 until it started; written
                                  once by the task itself, read by its own spawns */
    bool boxed;                /* started through tl_gor_task_start; immutable */
    int site;                  /* its creation site's counter (tl_growth), -1 when none */
    tl_stack_id created_stack; /* pinned by a stack cache; immutable after insert */
    char creator_thread[24];   /* "thread:N" when a plain thread spawned it, else "" */
    char label[TL_LABEL_MAX];  /* taskleak_set_label of its spawner; written before insert */
    char spawn_label[TL_LABEL_MAX]; /* given to the tasks it spawns: its own label, then what it
                                       passes to taskleak_set_label; only the task touches it */
    _Atomic bool timed_wait;   /* in a gor_select with a positive timeout (an external wait);
                                  written by the task, read by snapshots */
    _Atomic uint64_t life;     /* see EXITED/CHILD; atomics, no lock */
    struct task_rec *next_free; /* shard free list link, under the shard lock */
    UT_hash_handle hh;
};

/* Each shard keeps one permanent sentinel record in its table so that uthash never frees and
 * re-allocates the bucket array when the shard empties (which spawn/exit churn does constantly),
 * and a free list of records so that a spawn does not go to malloc. */
struct shard {
    struct spin lock;
    struct task_rec *tasks;     /* uthash head, under lock */
    struct task_rec *free;      /* recycled records, under lock */
    struct task_rec sentinel;   /* id < 0: never a task */
};
extern struct shard tl_gor_shards[NSHARD];

static inline struct shard *shard_of(int64_t id)
{
    return &tl_gor_shards[(uint64_t)id % NSHARD];
}

static inline struct task_rec *find_locked(struct shard *s, int64_t id)
{
    struct task_rec *r;
    HASH_FIND(hh, s->tasks, &id, sizeof id, r);
    return r;
}

/* The table's operations (tl_gor_table.c). */
void tl_gor_table_init(void);
/* Adds the record *tmpl describes. A boxed spawn's record (tmpl itself, allocated by
 * tl_gor_box) is inserted as is; otherwise one comes from the shard's free list (malloc when
 * empty) and is filled from *tmpl. Returns it, or NULL when out of memory (the task then goes
 * untracked; a boxed record then stays owned by its task). */
struct task_rec *tl_gor_insert(struct task_rec *tmpl);
/* The record of the running task id (the caller's own task, so it cannot go away meanwhile). */
struct task_rec *tl_gor_running_rec(int64_t id);
/* r's task exited (drop EXITED) or one of its children's records went (drop CHILD): forgets
 * every record whose life ended, up the chain of exited ancestors. */
void tl_gor_release(struct task_rec *r, uint64_t drop);
/* Fork child: the shard locks free, this thread's last-spawner memo cleared. */
void tl_gor_table_atfork_child(void);

/* Adds `drop` (EXITED: the task returned; CHILD: one of its children is gone) to r's life and
 * tells whether that completed it (no children left, exited). Atomic, no lock. */
static inline bool life_ends(struct task_rec *r, uint64_t drop)
{
    if (drop == EXITED)
        return (atomic_fetch_or(&r->life, EXITED) | EXITED) == EXITED;
    return atomic_fetch_sub(&r->life, CHILD) - CHILD == EXITED;
}

static inline bool in_range(const struct range *r, uintptr_t ip)
{
    return ip >= r->lo && ip < r->hi;
}

#endif /* TL_GOR_IMPL_H */
