/* tl_registry: live thread units in a slot table, and batched snapshots.
 *
 * DESIGN. Units are individually malloc'd (their address is stable: the owner thread keeps a TLS
 * pointer to it) and indexed by a slot table whose free slots are reused through a stack of free
 * indices. A snapshot copies slots [i, i + batch) per lock hold, so a million units never hold
 * the lock for long and the whole copy is O(units); a unit created during a snapshot may or may
 * not be seen, which is fine for a report. Blocked stacks are unwound after the lock is released:
 * under the lock the snapshot moves a blocked unit from TL_WS_BLOCKED to TL_WS_UNWINDING, which
 * keeps its thread inside tl_block_end (and therefore alive, with the frames above its blocking
 * wrapper unchanged) until the unwind is done.
 *
 * A joinable thread that finishes leaves an exited record in its slot (not counted as live) until
 * a join or a detach forgets it: that half, with the pthread_t index, is tl_registry_handles.c,
 * which reaches the table through the few functions at the end of this file.
 *
 * The lock is a spin-then-yield lock rather than a pthread mutex: pthread_mutex_lock is our own
 * wrapper in this object. Its holders never block, allocate or call out except realloc of the slot
 * table (through tl_vec, which calls realloc and nothing else) and of the handle index's buckets
 * (which cannot call back into us).
 */
#include "tl_registry_int.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tl_growth.h"
#include "tl_exits.h"
#include "tl_gor.h"
#include "tl_log.h"
#include "tl_vec.h"

struct registry {
    int lock;                  /* 0 free, 1 held */
    struct tl_unit **slots;    /* slots[0..high): a unit or NULL; lock */
    size_t high, cap;          /* slots in use up to high; allocated; lock */
    size_t *free_idx;          /* stack of free slot indices below high; lock */
    size_t nfree, free_cap;    /* lock */
    _Atomic size_t live;       /* live units in the table; written under lock, read anywhere */
    _Atomic size_t exited;     /* exited records in the table; lock, read anywhere */
    _Atomic uint64_t created;  /* threads created since start (main excluded) */
    _Atomic uint64_t next_seq; /* next thread sequence number; 1 is the main thread's */
};

static struct registry reg = {.next_seq = 2};
static __thread struct tl_unit *self_unit __attribute__((tls_model("initial-exec")));
static __thread char tls_label[TL_LABEL_MAX] __attribute__((tls_model("initial-exec")));
static int oom_warned;

static void lock_reg(void)
{
    for (int spins = 0; __atomic_exchange_n(&reg.lock, 1, __ATOMIC_ACQUIRE); spins++) {
        if (spins > 64)
            sched_yield(); /* the holder may be descheduled: let it run */
        else
            __builtin_ia32_pause();
    }
}

static void unlock_reg(void)
{
    __atomic_store_n(&reg.lock, 0, __ATOMIC_RELEASE);
}

void tl_registry_init(void)
{
    /* Static initialisation covers everything; kept as the explicit pair of tl_ctx's init. */
}

/* Finds a slot for u (lock held). false when the table cannot grow. */
static bool slot_insert(struct tl_unit *u)
{
    if (reg.nfree > 0) {
        u->slot = reg.free_idx[--reg.nfree];
    } else {
        if (TL_VEC_PUSH_SLOT(reg.slots, reg.cap, reg.high) != 0)
            return false;
        u->slot = reg.high++;
    }
    reg.slots[u->slot] = u;
    atomic_fetch_add(&reg.live, 1);
    return true;
}

/* Frees u's slot (lock held). A failure to grow the free stack only loses the slot for reuse. */
static void slot_remove(struct tl_unit *u)
{
    reg.slots[u->slot] = NULL;
    tl_reg_index_del(u);
    atomic_fetch_sub(u->exited ? &reg.exited : &reg.live, 1);
    if (TL_VEC_PUSH_SLOT(reg.free_idx, reg.free_cap, reg.nfree) != 0)
        return;
    reg.free_idx[reg.nfree++] = u->slot;
}

static struct tl_unit *unit_alloc(uint64_t seq)
{
    struct tl_unit *u = calloc(1, sizeof *u);
    if (u == NULL) {
        tl_warn_once(&oom_warned, "out of memory: some threads are not tracked");
        return NULL;
    }
    u->seq = seq;
    u->kind = TL_KIND_THREAD;
    atomic_init(&u->site, -1);
    return u;
}

static bool publish(struct tl_unit *u)
{
    lock_reg();
    bool ok = slot_insert(u);
    unlock_reg();
    if (!ok)
        tl_warn_once(&oom_warned, "out of memory: some threads are not tracked");
    return ok;
}

struct tl_unit *tl_registry_new(uintptr_t start, tl_stack_id created_stack, bool detached)
{
    struct tl_unit *u = unit_alloc(atomic_fetch_add(&reg.next_seq, 1));
    if (u == NULL) {
        tl_stack_unref(created_stack);
        return NULL;
    }
    struct tl_unit *me = self_unit;
    u->start = start;
    u->created_stack = created_stack;
    u->detached = detached;
    u->creator_seq = me ? me->seq : 0;
    bool machinery = tl_gor_present() && (tl_gor_runtime_thread(start) ||
                                          tl_gor_created_by_runtime(created_stack));
    if (tl_gor_present() && !machinery) /* gor's workers would hold a task forever */
        u->creator_task = tl_gor_creator_hold(&u->creator_hold);
    if (!machinery)
        atomic_store(&u->site, tl_growth_enter(created_stack, start, TL_KIND_THREAD));
    if (u->creator_task != 0) /* the new thread starts with its creator's (a worker's) name */
        prctl(PR_GET_NAME, u->inherited_name);
    const char *label = tl_label_current();
    if (label != NULL) {
        snprintf(u->label, sizeof u->label, "%s", label);
        snprintf(u->spawn_label, sizeof u->spawn_label, "%s", label);
    }
    if (!publish(u)) {
        tl_registry_site_leave(u);
        tl_gor_creator_release(u->creator_hold);
        tl_stack_unref(created_stack);
        free(u);
        return NULL;
    }
    atomic_fetch_add(&reg.created, 1);
    return u;
}

void tl_registry_site_leave(struct tl_unit *u)
{
    tl_growth_leave(atomic_exchange(&u->site, -1));
}

static void unit_free(struct tl_unit *u)
{
    tl_registry_site_leave(u);
    tl_gor_creator_release(u->creator_hold);
    tl_stack_unref(u->created_stack);
    free(u);
}

void tl_registry_attach(struct tl_unit *u)
{
    struct tl_unit *stale = NULL;
    lock_reg(); /* the creator may be recording the same handle (tl_registry_set_handle) */
    tl_reg_take_handle(u, pthread_self(), &stale);
    unlock_reg();
    tl_reg_free_chain(stale);
    atomic_store(&u->tid, gettid());
    self_unit = u;
}

void tl_registry_set_handle(size_t slot, uint64_t seq, pthread_t h)
{
    struct tl_unit *stale = NULL;
    lock_reg();
    struct tl_unit *u = slot < reg.high ? reg.slots[slot] : NULL;
    if (u != NULL && u->seq == seq) /* still the unit we published, not a reuse of its slot */
        tl_reg_take_handle(u, h, &stale);
    unlock_reg();
    tl_reg_free_chain(stale);
}

struct tl_unit *tl_registry_adopt(uint64_t seq)
{
    struct tl_unit *u = unit_alloc(seq);
    if (u == NULL)
        return NULL;
    if (!publish(u)) {
        free(u);
        return NULL;
    }
    tl_registry_attach(u);
    return u;
}

struct tl_unit *tl_registry_self(void)
{
    return self_unit;
}

/* A thread cancelled inside a blocking wrapper never ran tl_block_end: settle its state, waiting
 * out an unwind in progress, so no snapshot pins a unit that is being freed or kept as exited. */
static void settle(struct tl_unit *u)
{
    for (int expect = TL_WS_BLOCKED; atomic_load(&u->wstate) != TL_WS_RUNNING;
         expect = TL_WS_BLOCKED) {
        if (!atomic_compare_exchange_strong(&u->wstate, &expect, TL_WS_RUNNING))
            sched_yield();
    }
}

void tl_registry_exit(struct tl_unit *u)
{
    if (u == NULL)
        return;
    if (self_unit == u)
        self_unit = NULL;
    settle(u);
    lock_reg();
    slot_remove(u);
    unlock_reg();
    tl_exits_note(u->seq, atomic_load(&u->tid), u->created_stack);
    unit_free(u);
}

size_t tl_registry_ignore_all(void)
{
    size_t n = 0;
    lock_reg();
    for (size_t i = 0; i < reg.high; i++) {
        if (reg.slots[i] != NULL) {
            reg.slots[i]->ignored = true;
            n++;
        }
    }
    unlock_reg();
    return n;
}

/* Copies u into v (lock held). A blocked unit to be unwound is moved to TL_WS_UNWINDING. */
static void view_copy(struct tl_unit *u, struct tl_unit_view *v, bool unwind)
{
    memset(v, 0, sizeof *v);
    v->seq = u->seq;
    v->kind = u->kind;
    v->tid = atomic_load(&u->tid);
    v->handle = u->handle_known ? (uintptr_t)u->handle : 0; /* written under the lock */
    v->start = u->start;
    v->creator_seq = u->creator_seq;
    v->creator_task = u->creator_task;
    memcpy(v->inherited_name, u->inherited_name, sizeof v->inherited_name);
    v->created_stack = u->created_stack;
    tl_stack_ref(v->created_stack);
    v->progress = atomic_load_explicit(&u->progress, memory_order_acquire);
    v->ignored = u->ignored;
    v->detached = u->detached;
    v->internal = u->internal;
    v->exited = u->exited;
    v->exited_ns = u->exited_ns;
    memcpy(v->name, u->name, sizeof v->name);
    memcpy(v->label, u->label, sizeof v->label);
    int expect = TL_WS_BLOCKED;
    if (unwind ? atomic_compare_exchange_strong(&u->wstate, &expect, TL_WS_UNWINDING)
               : atomic_load_explicit(&u->wstate, memory_order_acquire) != TL_WS_RUNNING) {
        v->blocked = true;
        v->wait = u->wait;
    }
}

static int snap_reserve(struct tl_snapshot *s, size_t more)
{
    return TL_VEC_RESERVE(s->v, s->cap, s->n + more);
}

/* The tid owning the mutex (or write-locked rwlock) a pinned unit waits for (glibc keeps it in
 * __data.__owner; C11 mtx_t is the same object). The waiter is pinned inside its wrapper, so the
 * mutex is still alive. */
static pid_t mutex_owner(const struct tl_wait *w)
{
    if (w->reason == NULL || w->call == NULL || strncmp(w->call, "gor_", 4) == 0 || w->object == 0)
        return 0;
    if (strncmp(w->reason, "rwlock ", 7) == 0) { /* the writer, when glibc records one */
        const pthread_rwlock_t *l = (const pthread_rwlock_t *)w->object;
        return (pid_t)__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED);
    }
    if (strcmp(w->reason, "mutex lock") != 0)
        return 0;
    const pthread_mutex_t *m = (const pthread_mutex_t *)w->object;
    return (pid_t)(__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) & 0x3fffffff);
}

/* Unwinds the units a batch pinned in TL_WS_UNWINDING, then releases them. */
static void unwind_pinned(struct tl_snapshot *s, size_t from, struct tl_unit **pinned, int depth)
{
    uintptr_t ips[TL_STACK_MAX_FRAMES];
    for (size_t i = from; i < s->n; i++) {
        struct tl_unit *u = pinned[i - from];
        if (u == NULL)
            continue;
        int n = tl_stack_unwind_context(&u->uctx, ips, depth);
        n = tl_stack_strip_own(ips, n, s->v[i].wait.call);
        s->v[i].blocked_stack = tl_stack_intern(ips, n);
        s->v[i].owner_tid = mutex_owner(&s->v[i].wait);
        atomic_store_explicit(&u->wstate, TL_WS_BLOCKED, memory_order_release);
    }
}

int tl_registry_snapshot(struct tl_snapshot *s, bool unwind, int depth, size_t batch)
{
    memset(s, 0, sizeof *s);
    if (batch == 0)
        batch = 1024;
    struct tl_unit **pinned = calloc(batch, sizeof *pinned);
    if (pinned == NULL || depth > TL_STACK_MAX_FRAMES)
        depth = TL_STACK_MAX_FRAMES;
    for (size_t i = 0;; i += batch) {
        if (snap_reserve(s, batch) < 0 || pinned == NULL) {
            free(pinned);
            errno = ENOMEM;
            return -1;
        }
        size_t from = s->n;
        lock_reg();
        size_t end = i + batch < reg.high ? i + batch : reg.high;
        for (size_t k = i; k < end; k++) {
            struct tl_unit *u = reg.slots[k];
            if (u == NULL)
                continue;
            view_copy(u, &s->v[s->n], unwind);
            pinned[s->n - from] = (unwind && s->v[s->n].blocked) ? u : NULL;
            s->n++;
        }
        bool more = end < reg.high;
        unlock_reg();
        if (unwind)
            unwind_pinned(s, from, pinned, depth);
        if (!more)
            break;
    }
    free(pinned);
    return 0;
}

void tl_registry_visit(size_t batch, void (*fn)(const struct tl_unit *u, void *arg), void *arg)
{
    if (batch == 0)
        batch = 1024;
    for (size_t i = 0;; i += batch) {
        lock_reg();
        size_t end = i + batch < reg.high ? i + batch : reg.high;
        for (size_t k = i; k < end; k++)
            if (reg.slots[k] != NULL && !reg.slots[k]->exited) /* live units only */
                fn(reg.slots[k], arg);
        bool more = end < reg.high;
        unlock_reg();
        if (!more)
            return;
    }
}

void tl_snapshot_free(struct tl_snapshot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tl_stack_unref(s->v[i].created_stack);
        tl_stack_unref(s->v[i].blocked_stack);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

size_t tl_registry_live(void)
{
    return atomic_load(&reg.live);
}

uint64_t tl_registry_created(void)
{
    return atomic_load(&reg.created);
}

int tl_registry_self_id(char *buf, size_t n)
{
    struct tl_unit *u = self_unit;
    if (u == NULL)
        return -1;
    return snprintf(buf, n, "thread:%llu", (unsigned long long)u->seq);
}

const char *tl_label_current(void)
{
    if (tl_gor_present() && tl_gor_current_task() != 0) /* a task's label, not its worker's */
        return tl_gor_spawn_label();
    struct tl_unit *u = self_unit;
    const char *l = u ? u->spawn_label : tls_label;
    return l[0] ? l : NULL;
}

void tl_label_set(const char *label)
{
    struct tl_unit *u = self_unit;
    char *dst = u ? u->spawn_label : tls_label;
    snprintf(dst, TL_LABEL_MAX, "%s", label ? label : "");
}

void tl_registry_atfork_prepare(void)
{
    lock_reg();
}

void tl_registry_atfork_parent(void)
{
    unlock_reg();
}

void tl_registry_atfork_child(void)
{
    /* Only the forking thread exists here: every other unit is gone with its thread. Their
     * stacks are not unreferenced one by one: tl_stack_atfork_child keeps the table usable and
     * the few stale references only keep entries alive. */
    struct tl_unit *me = self_unit;
    for (size_t i = 0; i < reg.high; i++) {
        struct tl_unit *u = reg.slots[i];
        if (u != NULL && u != me)
            free(u);
        reg.slots[i] = NULL;
    }
    tl_reg_index_reset();
    reg.high = 0;
    reg.nfree = 0;
    atomic_store(&reg.live, 0);
    atomic_store(&reg.exited, 0);
    atomic_store(&reg.created, 0);
    reg.lock = 0;
    if (me != NULL) {
        struct tl_unit *none = NULL; /* the index is empty: nothing stale to drop */
        slot_insert(me);
        atomic_store(&me->tid, gettid());
        me->handle_known = false;
        tl_reg_take_handle(me, pthread_self(), &none);
    }
}

/* ---- shared with tl_registry_handles.c (tl_registry_int.h) ------------------------------- */

void tl_reg_lock(void)
{
    lock_reg();
}

void tl_reg_unlock(void)
{
    unlock_reg();
}

struct tl_unit *tl_reg_slot(size_t i)
{
    return i < reg.high ? reg.slots[i] : NULL;
}

size_t tl_reg_high(void)
{
    return reg.high;
}

void tl_reg_slot_remove(struct tl_unit *u)
{
    slot_remove(u);
}

void tl_reg_unit_free(struct tl_unit *u)
{
    unit_free(u);
}

void tl_reg_settle(struct tl_unit *u)
{
    settle(u);
}

void tl_reg_leave(struct tl_unit *u)
{
    if (self_unit == u)
        self_unit = NULL;
}

void tl_reg_count_exited(void)
{
    atomic_fetch_sub(&reg.live, 1);
    atomic_fetch_add(&reg.exited, 1);
}

size_t tl_registry_exited(void)
{
    return atomic_load(&reg.exited);
}
