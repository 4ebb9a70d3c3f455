/* tl_gor: the detector's view of gor tasks (docs/internals.md, Units; gor(3); issue 7).
 *
 * Tasks never enter the core registry and never take its lock. tl_gor keeps its own table of
 * tasks, filled by gor's introspection hooks (gor_introspect.h): spawn records the task's id,
 * creator and creation stack, exit forgets it, the global-deadlock hook marks every live task
 * deadlocked. Everything else a report needs (state, wait reason, wait object, since, the parked
 * task's saved frames) is read from gor itself, at report time only, by tl_gor_snapshot_take.
 *
 * The detector never links against gor: every gor symbol is found with dlsym when a gor entry
 * point is first called (ipose_gor.c calls tl_gor_init), so a program without gor pays nothing.
 */
#ifndef TL_GOR_H
#define TL_GOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_stack.h"

/* One task in report shape. Strings marked static are string literals owned by nobody. */
struct tl_gor_unit {
    int64_t task;              /* gor task id: the unit id is "task:<task>" */
    pid_t tid;                 /* OS thread running it, or that last ran it; 0 if it never ran */
    char name[32];             /* gor_set_name, "" when unset */
    uintptr_t start;           /* start function given to gor_go / gor_main */
    char created_by[32];       /* "task:N", "thread:N" (the core's id of the spawning thread) */
    tl_stack_id created_stack; /* creation stack; one reference owned by the snapshot */
    tl_stack_id blocked_stack; /* parked task's stack; one reference owned by the snapshot, 0
                                  when the task is running or exited */
    const char *state;         /* "running", "runnable", "blocked", "exited" (static) */
    const char *reason;        /* wait reason (docs/internals.md) while blocked, else NULL (static) */
    const char *call;          /* gor function it blocked in, e.g. "gor_chan_recv" (static) */
    uintptr_t object;          /* channel, WaitGroup, mutex address; the fd for "IO wait" */
    int64_t since_ms;          /* how long it has been blocked; 0 when not blocked */
    bool durable;              /* only another unit of this process can end the wait */
    char label[64];            /* taskleak_set_label of the spawning thread or task, "" = none */
    bool deadlocked;           /* caught in gor's global deadlock: verdict "deadlocked" */
    uint64_t progress;         /* changes whenever the task parks anew (grace: "no progress") */
};

/* A snapshot: live tasks first, then exited ancestors of live tasks (state "exited", kept so
 * that created_by chains stay complete; they carry no verdict). */
struct tl_gor_snapshot {
    struct tl_gor_unit *units; /* malloc'd; n entries */
    size_t n;
    size_t total; /* live tasks gor counted, which may exceed the live units copied */
};

/* Finds gor (dlsym) and installs the introspection hooks. Idempotent and thread-safe; cheap after
 * the first call. Returns true when gor is present and hooked. Called by the gor interposers
 * before the first spawn; the core may also call it from its constructor. */
bool tl_gor_init(void);

/* taskleak_set_label from inside a task: tasks the calling task spawns from now on (and their
 * descendants) carry label. Returns false, doing nothing, when the caller runs no tracked task
 * (the label is then the thread's business, tl_label_set). */
bool tl_gor_set_spawn_label(const char *label);

/* The label the calling task gives to what it creates (its spawn label), NULL outside a tracked
 * task or when it has none. Read by the core for threads a task creates. */
const char *tl_gor_spawn_label(void);

/* Marks the calling task as being in (on) or out of (off) a wait that a timeout ends (gor_select
 * with a positive timeout): snapshots then report its wait as external, not durable. No-op
 * outside a tracked task. */
void tl_gor_timed_wait(bool on);

/* True once tl_gor_init found gor and hooked it. AS-safe. */
bool tl_gor_present(void);

/* Report time only (mallocs, interns stacks; never called with the core's registry lock held).
 * Copies every live task plus the exited ancestors of live tasks; blocked stacks are unwound
 * from the parked tasks' saved frame pointers, at most stack_depth frames (0: not unwound, for
 * cheap looks such as the grace loop's; at most 64). Returns 0, or -1 with
 * errno ENOMEM (s is then empty). Without gor, 0 and an empty snapshot. */
int tl_gor_snapshot_take(struct tl_gor_snapshot *s, int stack_depth);
void tl_gor_snapshot_free(struct tl_gor_snapshot *s); /* drops the stack references too */

/* Boxed starts, for the gor_go / gor_main wrappers. tl_gor_box returns a box for (fn, arg), or
 * NULL (no gor, fn NULL, no memory: then spawn fn itself). The wrapper spawns
 * tl_gor_task_start with the box as its argument; the task records where its own frames begin
 * (so creation stacks of the tasks it spawns can be walked safely by frame pointers) and runs
 * fn(arg). When gor refuses the spawn, the wrapper gives the box back with tl_gor_unbox. The
 * trampoline never shows: the spawn hook tells gor to name fn (gor_introspect_show_start), so
 * gor's snapshots and its deadlock dump show the user's function, as tl_gor's snapshots do. */
void *tl_gor_box(void (*fn)(void *), void *arg);
void tl_gor_unbox(void *box);
void tl_gor_task_start(void *box);

/* The watchdog's cheap look: how many live tasks have been blocked at least threshold_ms, and a
 * signature of that set (0 when empty; changes when the set changes); *live (may be NULL) gets
 * the live tasks seen, and each (may be NULL) is called with arg for every blocked task (its wait
 * reason, a static string or NULL, and when the wait began, CLOCK_MONOTONIC ns). One copy of
 * gor's registry, no unwinding, no stack table; -1 (ENOMEM) on failure, 0 without gor. Not
 * AS-safe. */
long tl_gor_scan_stuck(int64_t threshold_ms, uint64_t *signature, size_t *live,
                       void (*each)(void *arg, const char *reason, int64_t since_ns), void *arg);

/* Tasks spawned since start-up (gor_main's included). Sums per-thread counters under a short
 * spin lock: not AS-safe. */
uint64_t tl_gor_tasks_created(void);

/* True when start_routine lies in libgor: gor's own worker and monitor threads, which are
 * runtime machinery and never reported as leaked threads. AS-safe. */
bool tl_gor_runtime_thread(uintptr_t start_routine);

/* The same decision from a thread's creation stack: true when the code that called
 * pthread_create (the first frame that is neither ours nor a sanitizer runtime's) lies in
 * libgor. Needed under ASan, whose pthread_create interposer hands ours its own start routine.
 * Thread-safe; the caller holds a reference on created_stack. */
bool tl_gor_created_by_runtime(tl_stack_id created_stack);

/* Id of the task running on the calling thread, 0 when none (or no gor). Cheap: one call into
 * libgor. Safe from any interposer. */
int64_t tl_gor_current_task(void);

/* For a thread about to be created by the calling thread: the id of the gor task running on it
 * (0 when none, or no gor), which is then the thread's creator ("task:N", as Go names the
 * goroutine that created work). When that task is tracked, its record (created_by, creation
 * stack, start) is held for the thread, so the chain stays in reports after the task exits, until
 * tl_gor_creator_release(*hold); *hold is NULL when nothing is held. A few loads and one atomic
 * add; no lock when the task spawned before on this thread. */
int64_t tl_gor_creator_hold(void **hold);
/* Gives back what tl_gor_creator_hold held (NULL: nothing). Safe on any thread, in a thread's
 * exit path and in key destructors: spin locks only, no allocation. */
void tl_gor_creator_release(void *hold);

/* True after gor declared a global deadlock (every live task is then reported deadlocked). */
bool tl_gor_deadlocked(void);

/* The function called from gor's global-deadlock hook, after every live task was marked, and
 * before the runtime prints its fatal message and _exit(2)s: the core's "gate now". NULL (the
 * default) runs nothing. Set once at start-up. */
void tl_gor_set_deadlock_handler(void (*fn)(void));

/* Provides the calling thread's unit id ("thread:N", returns >= 0, or -1 when unknown) for
 * created_by when a plain thread spawns a task (gor_main, gor_go outside tasks); the core sets
 * it at start-up. Without it, or when it returns -1, tl_gor writes "thread:?<tid>". */
void tl_gor_set_thread_namer(int (*fn)(char *buf, size_t n));

/* Provides the calling thread's label (taskleak_set_label, NULL when none) for a task a plain
 * thread spawns; the core sets it at start-up (the registry's tl_label_current). Without it such
 * tasks carry no label. */
void tl_gor_set_label_source(const char *(*fn)(void));

/* Frames kept per creation stack (the stack_depth option, 1..64; default 32). */
void tl_gor_set_stack_depth(int depth);

/* In a fork child: resets tl_gor's locks (the parent's holders do not exist here). */
void tl_gor_atfork_child(void);

/* Walks a frame-pointer chain starting at frame fp, storing return addresses into ips (at most
 * max); every frame read must lie inside [lo, hi) and frames must grow towards hi. Returns the
 * count. Pure: exposed for the unit tests. */
int tl_gor_walk_frames(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *ips, int max);

/* The length of ips[0..n) without its trailing frames that are gor's or ours (a task's start
 * machinery): a stack captured in a task then ends at the task's start function, as Go's do.
 * Keeps at least one frame. For stacks captured while a task runs (tl_gor_current_task() != 0). */
int tl_gor_trim_tail(const uintptr_t *ips, int n);

/* The gor function that blocks with this wait reason ("chan receive" -> "gor_chan_recv"), and
 * whether that wait is durable; NULL / false for an unknown reason. Pure. */
const char *tl_gor_reason_call(const char *reason, bool *durable);

#endif /* TL_GOR_H */
