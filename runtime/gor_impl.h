/*
 * gor internals shared by the runtime's modules. Nothing here is exported: every function is
 * hidden (the build uses -fvisibility=hidden), and public entry points are aliases of the
 * gor_i_* implementations (GOR_ALIAS), so the runtime never calls its own public symbols and an
 * LD_PRELOAD wrapper of a public function sees exactly the user's calls.
 *
 * Lock order (outer first): timer lock (its callbacks run under it) > poll lock, context tree
 * lock > channel locks (a select takes several, by address) > a worker's rq_lock or the sched
 * lock (never both at once). Registry shard locks and the stack pool lock are leaves. Nobody
 * adds or deletes a timer while holding another gor lock.
 */
#ifndef GOR_IMPL_H
#define GOR_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gor.h"
#include "gor_introspect.h"

#define GOR_ALIAS(pub, impl)                                                                       \
    extern __typeof(impl) pub __attribute__((alias(#impl), visibility("default")))
#define GOR_LIKELY(x)   __builtin_expect(!!(x), 1)
#define GOR_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- util.c: logging, panics, locks, futexes, clocks ---- */
void gor_rawlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void gor_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void gor_assert_fail(const char *expr, const char *file, int line);
#define gor_assert(e) ((e) ? (void)0 : gor_assert_fail(#e, __FILE__, __LINE__))

/* A small test-and-test-and-set spinlock: one atomic exchange to take, a plain release store to
 * drop (no read-modify-write: unlocking is nearly free, which matters on the channel hot path).
 * Held only for a few instructions and never across a park; a waiter that spins too long yields
 * its CPU, so a holder preempted by the kernel costs waiters time slices, never correctness. */
struct gor_lock {
    _Atomic uint32_t v;
};
void gor_lock_slow(struct gor_lock *l);
static inline void gor_lock(struct gor_lock *l)
{
    if (atomic_exchange_explicit(&l->v, 1, memory_order_acquire) != 0)
        gor_lock_slow(l);
}
static inline void gor_unlock(struct gor_lock *l)
{
    atomic_store_explicit(&l->v, 0, memory_order_release);
}
void gor_unlock_cb(void *lock); /* gor_unlock for park callbacks */

/* Waits while *w == val, at most timeout_ns (< 0: forever); returns on wake, timeout or EINTR. */
void gor_futex_wait(_Atomic uint32_t *w, uint32_t val, int64_t timeout_ns);
void gor_futex_wake(_Atomic uint32_t *w, int n);
int64_t gor_i_now(void);     /* CLOCK_MONOTONIC ns */
/* gor_i_now() as of the monitor's last tick (10 ms resolution): the wait start time a park
 * records, without a clock read on the hot path. */
extern _Atomic int64_t gor_clock_tick;
extern _Atomic pid_t gor_monitor_tid; /* the monitor's thread, 0 before it runs */
static inline int64_t gor_clock_coarse(void)
{
    return atomic_load_explicit(&gor_clock_tick, memory_order_relaxed);
}
uint64_t gor_rand(uint64_t *state);
int64_t gor_env_int(const char *name, int64_t def, int64_t min, int64_t max);

/* ---- context switch (switch.c, and switch_x86_64.S unless portable) ---- */
/* GOR_PORTABLE_SWITCH selects the ucontext switch in switch.c; it is the default where there is
 * no assembly switch, and `make GOR_PORTABLE_SWITCH=1` forces it on x86-64 (to test it). */
#ifndef GOR_PORTABLE_SWITCH
#if defined(__x86_64__)
#define GOR_PORTABLE_SWITCH 0
#else
#define GOR_PORTABLE_SWITCH 1
#endif
#endif
struct gor_task;
/* Saves the running context in a record on the current stack, stores the record's address in
 * *save_sp (the "saved sp" of a parked task or worker), then resumes the context whose record is
 * at new_sp. Returns when something switches back to *save_sp. Assembly: the record is the
 * callee-saved registers pushed on the stack (r15 r14 r13 r12 rbx rbp return-address). Portable:
 * a ucontext_t local to gor_ctx_swap. The record is dead once its context runs again. */
void gor_ctx_swap(void **save_sp, void *new_sp);
/* Builds t's first context just below t (which sits at the top of its stack) and returns its
 * record, for t->sp; switching to it runs gor_task_main(t) with an end-of-stack frame. */
void *gor_ctx_make(struct gor_task *t);
/* The stack pointer, frame pointer and resume address of a saved record (introspection). Reads
 * 0 for what the architecture's record does not hold. */
void gor_ctx_regs(const void *saved, uintptr_t *sp, uintptr_t *fp, uintptr_t *ip);
/* Stack a switch needs below the caller's frame: gor_stack_check keeps this much in reserve. */
#if GOR_PORTABLE_SWITCH
enum { GOR_SWITCH_RESERVE = 2048 }; /* a ucontext_t (~1 KiB on x86-64) plus libc's frames */
#else
enum { GOR_SWITCH_RESERVE = 256 };
#endif

/* ---- the wait table (slot.c) ---- */
/* One task's state and wait, in a dense table a look reads at memory speed. One cache line. */
struct gor_slot {
    _Atomic int64_t id;              /* the owning task's id; 0 while its stack is free */
    _Atomic int state;               /* enum gor_task_state; written by owner worker / readier */
    _Atomic uint32_t epoch;          /* gor_fork_epoch of the owning task */
    const char *_Atomic wait_reason; /* set by the task itself before parking, NULL when not */
    const void *_Atomic wait_obj;
    _Atomic int64_t wait_since;
} __attribute__((aligned(64)));
/* A new slot for a stack being carved (caller holds the stack pool lock), NULL when out of
 * memory. */
struct gor_slot *gor_slot_new(void);
void gor_slot_claim(struct gor_slot *s, int64_t id, uint32_t epoch); /* a task starts owning s */
void gor_slot_retire(struct gor_slot *s);                            /* its task exited */
/* gor_introspect_waits: copies live tasks' slots, lock-free. */
size_t gor_slot_waits(struct gor_task_wait *out, size_t max, size_t *total);

/* ---- tasks (task.c) ---- */
struct gor_task {
    void *sp;           /* saved sp while parked, NULL while running; gor_ctx_swap */
    int64_t id;         /* immutable after spawn */
    int64_t parent;     /* spawning task's id, 0 from a plain thread; immutable */
    void (*fn)(void *); /* start function and argument; immutable */
    void *arg;
    /* The start function introspection and the deadlock dump name: fn, unless the on_spawn
     * hook said otherwise (gor_introspect_show_start). Written by the spawner before the child
     * runs, read with relaxed atomics by snapshots (the task is already in the registry). */
    void (*shown)(void *);
    char *stack_lo; /* whole stack mapping [stack_lo, stack_lo+stack_size) */
    size_t stack_size;
    char *stack_bottom;         /* lowest usable address (above any guard page); immutable */
    struct gor_slot *slot;      /* its state and wait (slot.c); the stack's for good */
    _Atomic pid_t tid;          /* worker thread that last ran it; written by that worker */
    char name[32];              /* gor_set_name; written by the task under its shard lock */
    struct gor_task *runq_next; /* global run queue link, under the sched lock */
    struct gor_task *reg_next;  /* registry shard list, under the shard lock */
    struct gor_task *reg_prev;
    _Atomic uint32_t *main_done; /* gor_main's futex word, NULL for other tasks; immutable */
    bool is_main;                /* the gor_main task; immutable */
    bool guarded;                /* stack has a PROT_NONE guard page below it */
    uint32_t epoch;              /* gor_fork_epoch when spawned (or kept by a fork); immutable
                                  * except for the forking task, rewritten in the child */
    void *asan_fake;             /* ASan fake stack while switched out (SANITIZE=1 only) */
};

extern const struct gor_hooks *_Atomic gor_hooks_ptr;
void gor_task_main(struct gor_task *t) __attribute__((noreturn));
void gor_task_started(void); /* a new task's first act: finish the switch that started it */
int64_t gor_i_go(void (*fn)(void *), void *arg);
int64_t gor_i_self(void);
size_t gor_registry_count(void);
void gor_registry_dump(void); /* the deadlock dump, on stderr */

/* ---- function names for the deadlock dump (symname.c) ---- */
/* Names the function at addr into name: the dynamic symbol starting exactly there (dladdr) or,
 * for static functions and executables that export nothing, the module file's .symtab FUNC
 * symbol covering addr; "?" when neither names it. *module gets the module's path and *offset
 * addr's offset in it ("?" and 0 when unknown). Maps files: for the fatal dump only, on one
 * thread (not thread-safe). */
void gor_symname(const void *addr, char *name, size_t n, const char **module, uintptr_t *offset);

/* ---- stacks (stack.c) ---- */
struct gor_task *gor_stack_get(void); /* a task struct at the top of a fresh stack, or NULL */
void gor_stack_put(struct gor_task *t);
/* Panics on a stack overflow in progress: the task's sp below its stack's bottom. */
void gor_stack_check(struct gor_task *t);

/* ---- scheduler (sched.c) ---- */
enum { GOR_RQ_SIZE = 256 };
enum gor_post { GOR_POST_NONE, GOR_POST_PARK, GOR_POST_YIELD, GOR_POST_EXIT, GOR_POST_SPAWN };

struct gor_worker {
    void *g0_sp;                  /* scheduler context while a task runs; this worker only */
    struct gor_task *_Atomic cur; /* running task; written by this worker, read by monitor */
    int post;                     /* enum gor_post; set by the task just before it switches */
    void (*post_fn)(void *);      /* GOR_POST_PARK: called on the scheduler stack */
    void *post_arg;
    struct gor_task *handoff;         /* GOR_POST_SPAWN: the child to run next; this worker only */
    struct gor_task *prev;            /* the task whose post action is pending; this worker only */
    struct gor_lock rq_lock;          /* guards the ring */
    struct gor_task *_Atomic runnext; /* next task to run, ahead of the ring (Go's runnext);
                                       * exchanged atomically by the owner and by drains */
    uint32_t rq_head, rq_tail;        /* ring indexes, tail - head = length */
    struct gor_task *rq[GOR_RQ_SIZE];
    _Atomic uint64_t ticks;       /* tasks scheduled so far; the monitor watches it */
    uint64_t mon_ticks;           /* monitor's last look at ticks; monitor only */
    _Atomic uint32_t park;        /* futex word while idle: 0 sleeping, 1 woken */
    struct gor_worker *idle_next; /* idle or spare list link, under the sched lock */
    bool idle;                    /* on the idle list; under the sched lock */
    bool spare;                   /* on the spare list; under the sched lock */
    bool polling;                 /* the idle worker blocked in epoll; under the sched lock */
    _Atomic bool revoked;         /* the monitor gave this worker's slot away */
    int index;
    _Atomic pid_t tid;
    pthread_t thread;
    uint64_t rng;               /* this worker only */
    struct gor_task *cache[32]; /* stack cache; this worker only */
    int ncache;
    void *g0_fake; /* ASan fake stack of the scheduler context */
    void *g0_lo;   /* scheduler stack bounds, for ASan */
    size_t g0_size;
};

struct gor_worker *gor_cur_worker(void); /* never cached across a park: tasks migrate */
struct gor_task *gor_cur_task(void);
void gor_sched_start(void); /* idempotent; starts workers and the monitor */
/* Parks the current task: records the wait, switches away, then calls unlock(arg) on the
 * scheduler stack, so a waker that needs the same lock cannot see the task before it is off
 * its stack. Returns once gor_ready() ran it again. */
void gor_park(const char *reason, const void *obj, void (*unlock)(void *), void *arg);
void gor_ready(struct gor_task *t);
void gor_sched_spawn(struct gor_task *child);      /* runs a new task first, or readies it */
_Noreturn void gor_sched_exit(struct gor_task *t); /* the exiting task leaves its stack */
void gor_i_yield(void);
int gor_i_procs(void);
void gor_wake_idle(bool for_poller);         /* timers/poller: make sure someone watches them */
void gor_ensure_poller(void);                /* wakes an idle worker if none watches epoll */
void gor_sched_revoke(struct gor_worker *w); /* monitor: give a stuck worker's slot away */
int gor_sched_nworkers(void);
bool gor_sched_all_parked(void);          /* the monitor: no worker between tasks */
struct gor_worker *gor_sched_worker(int i);
size_t gor_sched_global_len(void);

/* Plain threads inside a blocking gor call (deadlock detection must not fire meanwhile). */
extern _Atomic int gor_outside_waiters;
extern _Atomic int gor_main_running; /* a gor_main task is alive */

/* ---- waiters: one blocked task or thread (Go's sudog) ---- */
struct gor_select_state {
    _Atomic int winner;    /* -1 until a case fires; CAS by the waker, under a chan lock */
    _Atomic uint32_t wake; /* plain thread futex word: 1 once woken */
};
struct gor_waiter {
    struct gor_task *task;        /* the parked task, or NULL for a plain thread */
    _Atomic uint32_t wake;        /* plain thread futex word: 1 once woken */
    void *elem;                   /* send: the value; receive: destination (may be NULL) */
    bool ok;                      /* receive: a value arrived (false: channel closed) */
    bool closed;                  /* send: woken by close (panic in the sender) */
    bool queued;                  /* linked in a wait queue; under that queue's lock */
    int index;                    /* select case index */
    struct gor_select_state *sel; /* non-NULL when the waiter belongs to a select */
    struct gor_chan *chan;
    struct gor_waiter *next; /* queue links, under the lock of the queue's owner */
    struct gor_waiter *prev;
};
void gor_waiter_init(struct gor_waiter *wt, void *elem);
/* Plain threads that used a gor primitive count as possible wakers until they exit. */
extern __thread bool gor_outside_noted __attribute__((tls_model("initial-exec")));
void gor_note_outside_slow(void);
static inline void gor_note_outside_thread(void)
{
    if (GOR_UNLIKELY(!gor_outside_noted))
        gor_note_outside_slow();
}
void gor_outside_exempt(void); /* worker threads are never outside threads */
extern _Atomic int gor_outside_threads;
/* Blocks until gor_waiter_wake(wt); unlock(arg) releases the caller's lock once blocked. */
void gor_waiter_block(struct gor_waiter *wt, const char *reason, const void *obj,
                      void (*unlock)(void *), void *arg);
void gor_waiter_wake(struct gor_waiter *wt);
/* Claims a select waiter for case wt->index (true), or returns true at once for plain ones. */
bool gor_waiter_claim(struct gor_waiter *wt);

struct gor_waitq {
    struct gor_waiter *head, *tail;
};
void gor_waitq_push(struct gor_waitq *q, struct gor_waiter *wt);
void gor_waitq_remove(struct gor_waitq *q, struct gor_waiter *wt);
struct gor_waiter *gor_waitq_pop(struct gor_waitq *q); /* first claimable waiter, or NULL */

/* ---- channels (chan.c) ---- */
struct gor_chan {
    struct gor_lock lock;
    _Atomic long refs;
    size_t elem_size, cap;         /* immutable */
    size_t len, head;              /* ring state, under lock */
    bool closed;                   /* under lock */
    struct gor_waitq sendq, recvq; /* under lock */
    unsigned char *buf;            /* cap * elem_size bytes (after the struct) */
};
gor_chan *gor_i_chan_make(size_t elem_size, size_t cap);
gor_chan *gor_i_chan_ref(gor_chan *c);
void gor_i_chan_unref(gor_chan *c);
void gor_i_chan_close(gor_chan *c);
bool gor_i_chan_recv(gor_chan *c, void *elem);
bool gor_chan_recv_reason(gor_chan *c, void *elem, const char *reason);
/* With c locked: try to complete a send / receive without blocking. */
bool gor_chan_try_send_locked(gor_chan *c, const void *elem);
bool gor_chan_try_recv_locked(gor_chan *c, void *elem, bool *ok);
bool gor_chan_offer(gor_chan *c, const void *elem); /* non-blocking send; false if it would block */

/* ---- timers (timer.c) ---- */
struct gor_timer {
    int64_t when;                       /* deadline, gor_i_now() ns; under the timer lock */
    int64_t period;                     /* > 0: re-armed after each fire */
    void (*fn)(void *arg, int64_t now); /* runs under the timer lock: must not add timers */
    void *arg;
    size_t heap_index; /* position in the heap, SIZE_MAX when not armed */
};
void gor_timer_add(struct gor_timer *tm);
bool gor_timer_del(struct gor_timer *tm); /* true if it was armed; afterwards fn never runs */
int64_t gor_timer_next(void);             /* earliest deadline or INT64_MAX */
int gor_timer_run_due(int64_t now);       /* fires due timers; returns how many */
size_t gor_timer_count(void);
void gor_timer_park(struct gor_timer *tm, const char *reason); /* arm tm and park until it fires */
/* A private channel (cap 1) that receives the time once, after ns; stop releases both. */
gor_chan *gor_timer_chan_start(struct gor_timer *tm, int64_t ns);
void gor_timer_chan_stop(struct gor_timer *tm, gor_chan *c);
void gor_i_sleep(int64_t ns);
gor_chan *gor_i_after(int64_t ns);

/* ---- poller (poll.c) ---- */
int gor_poll_init(void);               /* the epoll fd and its wake-up eventfd */
int gor_poll_wait(int64_t timeout_ns); /* readies waiting tasks; returns how many */
int gor_poll_run(int64_t timeout_ns, bool own_wakeups); /* own_wakeups: drain the eventfd */
void gor_poll_interrupt(void); /* wakes a worker blocked in gor_poll_wait */
int gor_poll_waiters(void);

/* ---- fork (fork.c): pthread_atfork handlers, registered when the scheduler starts ----
 * prepare takes every runtime-wide lock (timer > ctx tree > poll > sched > registry shards >
 * stack pool) so the child inherits consistent structures; parent releases them; child resets
 * them around the one surviving thread. Every module hook below gets the phase. */
enum gor_fork_phase { GOR_FORK_PREPARE, GOR_FORK_PARENT, GOR_FORK_CHILD };
/* Bumped in each forked child: tasks of an older epoch belong to the parent and never run
 * here (gor_ready drops them). Written only in the child handler (single-threaded then). */
extern _Atomic uint32_t gor_fork_epoch;
void gor_fork_install(void);
void gor_timer_fork(enum gor_fork_phase ph);
void gor_ctx_fork(enum gor_fork_phase ph);
void gor_poll_fork(enum gor_fork_phase ph);
void gor_sched_fork(enum gor_fork_phase ph); /* child: workers and monitor restart lazily */
/* child: forgets every task but `keep` (the forking task, or NULL from a plain thread) */
void gor_registry_fork(enum gor_fork_phase ph, struct gor_task *keep);
void gor_stack_fork(enum gor_fork_phase ph);

/* ---- monitor (monitor.c) ---- */
void gor_monitor_start(void);
_Noreturn void gor_deadlock(void);

/* ---- ASan fiber annotations ---- */
#ifdef TL_SANITIZE
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

#endif
