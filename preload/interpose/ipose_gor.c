/*
 * Interposers for gor's entry points (wait reasons: docs/internals.md; gor(3); issue 7).
 *
 * DESIGN
 * - Thin shims (docs/internals.md, Rules every interposer keeps): each wrapper resolves gor's real
 * function and calls it; the work
 *   lives in tl_gor.c. The detector never links against gor: real functions are found on first
 *   use with dlsym(RTLD_NEXT), falling back to asking every loaded object (a libgor opened with
 *   RTLD_LOCAL behind a plugin is not on the RTLD_NEXT path), and never our own wrapper. A
 *   program that never calls gor never runs any of this.
 * - Spawning: gor_main and gor_go make sure tl_gor has installed gor's introspection hooks
 *   before the first task exists; the hooks record each task (creator, creation stack). The
 *   task is started through tl_gor_task_start (a "box" holding the user's function and
 *   argument), which notes where the task's own frames begin so that creation stacks of the
 *   tasks it spawns can be walked by frame pointers safely and fast. The thread in gor_main
 *   waits for the main task: it shows as a "join" in gor_main.
 * - Blocking calls: a task parks by switching stacks, so nothing of the detector's runs while it
 *   waits and its wait is read from gor at report time. A plain thread (not a task) calling a
 *   blocking gor primitive blocks in a futex inside gor: the wrapper brackets it with the core's
 *   blocking bracket so the thread shows "chan receive" rather than "futex".
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/gor.h"
#include "ipose.h"
#include "tl_dynobj.h"
#include "tl_gor.h"
#include "tl_log.h"
#include "tl_bypass.h"

/* ---- real functions ---- */

/* Resolves gor's `name`; a missing one cannot be survived (the program called it), so it is
 * named on the raw log and the process aborts rather than calling NULL. */
static __attribute__((noinline)) void *resolve_real(const char *name, void *self)
{
    dlerror();
    void *p = dlsym(RTLD_NEXT, name);
    if (p == NULL || p == self) {
        p = tl_dynobj_lookup_any(name, self, NULL);
        if (p == NULL) {
            tl_rawf("taskleak: %s: gor's implementation is not loaded; cannot continue\n", name);
            abort();
        }
    }
    tl_bypass_runtime(p); /* once per runtime object: do its own calls reach our wrappers? */
    return p;
}

/* One cached pointer per wrapped function; a race to fill it stores the same value twice. */
#define REAL(name, type)                                                                           \
    static type _Atomic real_##name;                                                               \
    static type get_##name(void)                                                                   \
    {                                                                                              \
        type f = atomic_load_explicit(&real_##name, memory_order_acquire);                         \
        if (__builtin_expect(f == NULL, 0)) {                                                      \
            *(void **)&f = resolve_real(#name, (void *)name);                                      \
            atomic_store_explicit(&real_##name, f, memory_order_release);                          \
        }                                                                                          \
        return f;                                                                                  \
    }

typedef int (*main_fn)(void (*)(void *), void *);
typedef int64_t (*go_fn)(void (*)(void *), void *);
typedef void (*send_fn)(gor_chan *, const void *);
typedef bool (*recv_fn)(gor_chan *, void *);
typedef int (*select_fn)(gor_case *, size_t, int64_t);
typedef void (*sleep_fn)(int64_t);
typedef void (*wg_wait_fn)(gor_wg *);
typedef void (*mutex_lock_fn)(gor_mutex *);
typedef bool (*mutex_trylock_fn)(gor_mutex *);
typedef void (*mutex_unlock_fn)(gor_mutex *);
typedef void (*mutex_init_fn)(gor_mutex *);
typedef int (*fd_wait_fn)(int, int, int64_t);

TL_EXPORT int gor_main(void (*fn)(void *), void *arg);
TL_EXPORT int64_t gor_go(void (*fn)(void *), void *arg);
TL_EXPORT void gor_chan_send(gor_chan *c, const void *elem);
TL_EXPORT bool gor_chan_recv(gor_chan *c, void *elem);
TL_EXPORT int gor_select(gor_case *cases, size_t n, int64_t timeout_ns);
TL_EXPORT void gor_sleep(int64_t ns);
TL_EXPORT void gor_wg_wait(gor_wg *wg);
TL_EXPORT void gor_mutex_lock(gor_mutex *m);
TL_EXPORT bool gor_mutex_trylock(gor_mutex *m);
TL_EXPORT void gor_mutex_unlock(gor_mutex *m);
TL_EXPORT void gor_mutex_init(gor_mutex *m);
TL_EXPORT int gor_fd_wait(int fd, int events, int64_t timeout_ns);

REAL(gor_main, main_fn)
REAL(gor_go, go_fn)
REAL(gor_chan_send, send_fn)
REAL(gor_chan_recv, recv_fn)
REAL(gor_select, select_fn)
REAL(gor_sleep, sleep_fn)
REAL(gor_wg_wait, wg_wait_fn)
REAL(gor_mutex_lock, mutex_lock_fn)
REAL(gor_mutex_unlock, mutex_unlock_fn)
REAL(gor_mutex_init, mutex_init_fn)
REAL(gor_fd_wait, fd_wait_fn)

/* gor_mutex_trylock never blocks: it is wrapped for the lock-order graph only, and its real
 * address also serves the try-first fast path of gor_mutex_lock. */
static mutex_trylock_fn _Atomic real_trylock;
static mutex_trylock_fn get_trylock(void)
{
    mutex_trylock_fn f = atomic_load_explicit(&real_trylock, memory_order_acquire);
    if (__builtin_expect(f == NULL, 0)) {
        *(void **)&f = resolve_real("gor_mutex_trylock", (void *)gor_mutex_trylock);
        atomic_store_explicit(&real_trylock, f, memory_order_release);
    }
    return f;
}

/* ---- the bracket for plain threads ---- */

/* What the calling thread is: 1 a gor worker (it only ever calls gor from inside a task),
 * -1 a plain thread, 0 not known yet. Worked out on the thread's first gor call, so that a task's
 * gor call costs one TLS load here. */
static __thread signed char thread_kind;

/* Opens the core's blocking bracket when the caller is a plain thread (a task parks instead, and
 * its wait is read from gor at report time). NULL: nothing to close. Inlined into each wrapper:
 * tl_block_begin must save its context in the wrapper's own frame. */
static inline __attribute__((always_inline)) struct tl_unit *
thread_wait(const char *reason, const char *call, const void *obj, bool durable)
{
    if (__builtin_expect(thread_kind > 0, 1))
        return NULL;
    if (thread_kind == 0) {
        if (!tl_gor_init())
            return NULL;
        thread_kind = tl_gor_current_task() != 0 ? 1 : -1;
        if (thread_kind > 0)
            return NULL;
    }
    if (!tl_ctx_ready())
        return NULL;
    return tl_block_begin(reason, call, obj, durable);
}

/* ---- spawning ---- */

/* The calling thread waits for the main task as for a thread it joins: "join" in gor_main. When
 * gor declares its global deadlock, this thread is stuck in it too. */
TL_EXPORT int gor_main(void (*fn)(void *), void *arg)
{
    main_fn real = get_gor_main();
    void *box = tl_gor_init() ? tl_gor_box(fn, arg) : NULL;
    struct tl_unit *u = thread_wait("join", "gor_main", NULL, true);
    int rc = box != NULL ? real(tl_gor_task_start, box) : real(fn, arg);
    tl_block_end(u);
    if (rc != 0 && box != NULL)
        tl_gor_unbox(box); /* refused: the task never existed (errno kept by free) */
    return rc;
}

TL_EXPORT int64_t gor_go(void (*fn)(void *), void *arg)
{
    go_fn real = get_gor_go();
    void *box = tl_gor_init() ? tl_gor_box(fn, arg) : NULL;
    if (box == NULL)
        return real(fn, arg);
    int64_t id = real(tl_gor_task_start, box);
    if (id < 0)
        tl_gor_unbox(box); /* refused: the task never existed (errno kept by free) */
    return id;
}

/* ---- blocking calls ---- */

TL_EXPORT void gor_chan_send(gor_chan *c, const void *elem)
{
    send_fn real = get_gor_chan_send();
    struct tl_unit *u =
        thread_wait(c ? "chan send" : "chan send (nil chan)", "gor_chan_send", c, true);
    real(c, elem);
    tl_block_end(u);
}

TL_EXPORT bool gor_chan_recv(gor_chan *c, void *elem)
{
    recv_fn real = get_gor_chan_recv();
    struct tl_unit *u =
        thread_wait(c ? "chan receive" : "chan receive (nil chan)", "gor_chan_recv", c, true);
    bool ok = real(c, elem);
    tl_block_end(u);
    return ok;
}

TL_EXPORT int gor_select(gor_case *cases, size_t n, int64_t timeout_ns)
{
    select_fn real = get_gor_select();
    struct tl_unit *u = NULL;
    if (timeout_ns != 0) /* a zero timeout never blocks */
        u = thread_wait(n ? "select" : "select (no cases)", "gor_select", cases, timeout_ns < 0);
    bool timed_task = timeout_ns > 0 && thread_kind > 0; /* a task: its snapshot must know */
    if (timed_task)
        tl_gor_timed_wait(true);
    int got = real(cases, n, timeout_ns);
    if (timed_task)
        tl_gor_timed_wait(false);
    tl_block_end(u);
    return got;
}

TL_EXPORT void gor_sleep(int64_t ns)
{
    sleep_fn real = get_gor_sleep();
    struct tl_unit *u = ns > 0 ? thread_wait("sleep", "gor_sleep", NULL, false) : NULL;
    real(ns);
    tl_block_end(u);
}

TL_EXPORT void gor_wg_wait(gor_wg *wg)
{
    wg_wait_fn real = get_gor_wg_wait();
    struct tl_unit *u = thread_wait("WaitGroup wait", "gor_wg_wait", wg, true);
    real(wg);
    tl_block_end(u);
}

/* Notes a gor mutex taken by the caller of the exported wrapper: in the running task's own held
 * list inside a task (it may park holding it and resume on another thread), else in the thread's
 * (tl_lockorder.h). A macro: the return address must be the wrapper's. */
#define GOR_HELD(m, flags)                                                                         \
    do {                                                                                           \
        int64_t task_ = tl_lo_on ? tl_block_current_task() : 0;                                    \
        if (task_ != 0)                                                                            \
            tl_lo_task_acquired(task_, m, flags, (uintptr_t)__builtin_return_address(0),           \
                                TL_CALLER_SP());                                                   \
        else                                                                                       \
            HELD(m, flags);                                                                        \
    } while (0)

TL_EXPORT void gor_mutex_lock(gor_mutex *m)
{
    mutex_lock_fn real = get_gor_mutex_lock();
    if (!get_trylock()(m)) { /* uncontended: no bracket */
        struct tl_unit *u = thread_wait("mutex lock", "gor_mutex_lock", m, true);
        real(m);
        tl_block_end(u);
    }
    GOR_HELD(m, TL_LG_GOR_MUTEX);
}

TL_EXPORT bool gor_mutex_trylock(gor_mutex *m)
{
    bool ok = get_trylock()(m);
    if (ok)
        GOR_HELD(m, TL_LG_GOR_MUTEX | TL_LO_TRY);
    return ok;
}

TL_EXPORT void gor_mutex_unlock(gor_mutex *m)
{
    mutex_unlock_fn real = get_gor_mutex_unlock();
    int64_t task = tl_lo_on ? tl_block_current_task() : 0;
    if (task != 0)
        tl_lo_task_released(task, m);
    else
        tl_lo_released(m);
    real(m);
}

TL_EXPORT void gor_mutex_init(gor_mutex *m)
{
    mutex_init_fn real = get_gor_mutex_init();
    tl_lo_forget(m);
    real(m);
}

TL_EXPORT int gor_fd_wait(int fd, int events, int64_t timeout_ns)
{
    fd_wait_fn real = get_gor_fd_wait();
    struct tl_unit *u = NULL;
    if (timeout_ns != 0)
        u = thread_wait("IO wait", "gor_fd_wait", (const void *)(intptr_t)fd, false);
    int rc = real(fd, events, timeout_ns);
    tl_block_end(u);
    return rc;
}
