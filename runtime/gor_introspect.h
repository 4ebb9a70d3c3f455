/*
 * gor introspection: how a tool outside the runtime (the taskleak detector, loaded with
 * LD_PRELOAD and finding these symbols with dlsym) sees gor's tasks. See gor(3), INTROSPECTION.
 *
 * Contracts:
 * - gor_introspect_snapshot copies at most `max` task records. It locks one shard of the task
 *   registry at a time (each for as long as copying its tasks takes), never calls back, never
 *   allocates, and may run concurrently with every other gor call. A task that spawns or exits
 *   during the copy may or may not appear. `*total` (may be NULL) receives the number of live
 *   tasks seen, which can exceed `max`.
 * - gor_introspect_waits reads each task's state and wait from a dense table (one 64-byte slot per
 *   task stack, written by the park, ready and switch paths), not from the registry: it takes no
 *   lock, never calls back, never allocates, and reads memory sequentially (a million tasks in a
 *   few milliseconds). A task that spawns or exits during the copy may or may not appear; every
 *   task it returns was live during the copy, and none twice.
 * - The saved sp/fp/ip of a parked (runnable or blocked) task let a tool unwind its stack lazily:
 *   fp is the task's frame pointer chain (the runtime is built with frame pointers), ip the
 *   return address inside the runtime's switch routine's caller. They stay readable memory
 *   (stacks are pooled, never unmapped) but the task may have run on since the snapshot.
 * - Hooks are called synchronously: on_spawn on the spawning thread (or task) before the child
 *   can run, on_exit on the exiting task's own stack before it is freed, on_deadlock before the
 *   runtime prints its fatal message and exits with status 2. Hooks must not block on gor
 *   primitives. Unset hooks cost one predictable branch.
 * - gor_introspect_threads tells which OS threads are gor's own (its workers and its monitor)
 *   and whether each is idle, with a count that moves whenever a worker switches to a task: a
 *   tool that sees the same counts and idle workers at two moments knows no task ran on them in
 *   between (the taskleak detector's leak proofs rely on it). It takes the scheduler lock once,
 *   never calls back and never allocates.
 * - gor_introspect_tables names the wait table's memory: bookkeeping a reachability proof must
 *   treat as a hole, since it records each waiter's object but never wakes anyone through it.
 * - A tool whose spawn wrapper starts every task through a trampoline of its own (the detector's
 *   "box") calls gor_introspect_show_start from its on_spawn hook to name the user's function as
 *   the task's start function: gor_task_info.start and the deadlock dump then show that function,
 *   not the trampoline. Without hooks it costs a spawn one TLS store. The symbol is optional
 *   for a tool (find it with dlsym; older runtimes lack it and show what they run).
 */
#ifndef GOR_INTROSPECT_H
#define GOR_INTROSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GOR_BUILDING)
#define GOR_INTROSPECT_API __attribute__((visibility("default")))
#else
#define GOR_INTROSPECT_API
#endif

#define GOR_INTROSPECT_VERSION 1

enum gor_task_state {
    GOR_TASK_RUNNABLE = 0,
    GOR_TASK_RUNNING = 1,
    GOR_TASK_BLOCKED = 2,
    GOR_TASK_EXITED = 3,
};

struct gor_task_info {
    int64_t id;                   /* task id (> 0) */
    int64_t parent;               /* id of the spawning task, 0 for a plain thread */
    char name[32];                /* gor_set_name, "" when unset */
    void (*start)(void *);        /* the function given to gor_go / gor_main, or the one the
                                     on_spawn hook named (gor_introspect_show_start) */
    void *arg;                    /* its argument */
    int state;                    /* enum gor_task_state */
    const char *wait_reason;      /* wait reason (docs/internals.md, Wait reasons) while blocked, else NULL (static) */
    const void *wait_object;      /* the channel, mutex, WaitGroup, ... while blocked */
    int64_t wait_since_ns;        /* gor_now() time the wait began, 0 when not blocked */
    uintptr_t sp, fp, ip;         /* saved registers of a parked task; 0 while running */
    uintptr_t stack_lo, stack_hi; /* the task's stack bounds */
    pid_t tid;                    /* OS thread running it (or that last ran it), 0 if never ran */
};

/* What a watchdog needs of a task every interval, and no more (gor_introspect_waits). */
struct gor_task_wait {
    int64_t id;
    int state;               /* enum gor_task_state */
    const char *wait_reason; /* as in gor_task_info */
    int64_t wait_since_ns;   /* as in gor_task_info */
};

/* One thread the runtime owns (gor_introspect_threads). */
enum gor_thread_role {
    GOR_THREAD_WORKER = 0,  /* runs tasks */
    GOR_THREAD_MONITOR = 1, /* the monitor: timers, fd events, hand-offs; never runs a task */
};

struct gor_thread_info {
    pid_t tid;
    int role;      /* enum gor_thread_role */
    int idle;      /* a worker asleep on the idle or spare list with no task; 1 for the monitor */
    uint64_t runs; /* a worker's switches to a task so far (never decreases); 0 for the monitor */
};

/* A range of memory [lo, hi) (gor_introspect_tables). */
struct gor_mem_range {
    uintptr_t lo, hi;
};

struct gor_hooks {
    void (*on_spawn)(int64_t parent_id, int64_t child_id, void (*start)(void *), void *arg);
    void (*on_exit)(int64_t id);
    void (*on_deadlock)(void);
};

/* The interface version this library implements (GOR_INTROSPECT_VERSION). */
GOR_INTROSPECT_API int gor_introspect_version(void);
/* Copies up to max live tasks into out; returns how many were copied. */
GOR_INTROSPECT_API size_t gor_introspect_snapshot(struct gor_task_info *out, size_t max,
                                                  size_t *total);
/* As gor_introspect_snapshot, copying only each task's state and wait (no saved registers, no
 * name) from gor's wait table, lock-free: a periodic look over many tasks at memory speed.
 * Optional for a tool (older runtimes lack it). */
GOR_INTROSPECT_API size_t gor_introspect_waits(struct gor_task_wait *out, size_t max,
                                               size_t *total);
/* Number of live tasks (approximate under concurrency). */
GOR_INTROSPECT_API size_t gor_introspect_count(void);
/* Id of the task running on the calling thread, 0 when it runs none. */
GOR_INTROSPECT_API int64_t gor_introspect_current(void);
/* Copies up to max of the runtime's own threads (workers, then the monitor) into out; returns
 * how many there are (which can exceed max). Optional for a tool (older runtimes lack it). */
GOR_INTROSPECT_API size_t gor_introspect_threads(struct gor_thread_info *out, size_t max);
/* Copies up to max ranges of the memory the runtime keeps only to describe its tasks (the wait
 * table: each task's state, wait reason and wait object) into out; returns how many there are.
 * No task is ever woken through these words, so a tool proving by reachability that nothing can
 * wake a waiter must not count them as references. Lock-free; optional for a tool. */
GOR_INTROSPECT_API size_t gor_introspect_tables(struct gor_mem_range *out, size_t max);
/* Installs hooks (copied; NULL removes them). Returns 0. Not meant to race with spawns: set
 * them before the first gor_go, typically from a constructor. */
GOR_INTROSPECT_API int gor_introspect_set_hooks(const struct gor_hooks *hooks);
/* From inside an on_spawn hook only (before the hook spawns anything itself): the task being
 * announced shows `start` as its start function (in snapshots and in the deadlock dump) instead
 * of the function it runs. Returns 0, or -1 with errno EINVAL when start is NULL or the caller is
 * not in an on_spawn hook. */
GOR_INTROSPECT_API int gor_introspect_show_start(void (*start)(void *));

#ifdef __cplusplus
}
#endif
#endif
