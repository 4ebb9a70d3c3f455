/*
 * Tasks: creation, the first and last moments of a task's life, gor_main, names, and the task
 * registry that introspection and the deadlock dump read.
 *
 * The registry is split in 16 shards by task id, each a lock and a doubly linked list, so spawns
 * and exits on different workers rarely share a lock and a snapshot locks one shard at a time
 * (bounded: it copies, never calls back). Hooks (gor_introspect_set_hooks) are one pointer
 * tested with a predictable branch on spawn and exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gor_impl.h"

#define NSHARD 16

struct shard {
    struct gor_lock lock;
    struct gor_task *head; /* live tasks of this shard; under lock */
    _Atomic size_t count;  /* written under lock, read without */
} __attribute__((aligned(64)));

static struct shard shards[NSHARD];
/* The main task kept by a fork has no gor_main caller in the child: its return exits. */
static bool main_exits_process;
static _Atomic int64_t next_id = 1;
static struct gor_hooks hooks_store;
const struct gor_hooks *_Atomic gor_hooks_ptr;
/* The task whose on_spawn hook runs on this thread (gor_introspect_show_start's target), NULL
 * outside hooks: set by announce_spawn, cleared by the spawner as soon as the hook returned. */
static __thread struct gor_task *announcing __attribute__((tls_model("initial-exec")));

static void registry_add(struct gor_task *t)
{
    struct shard *s = &shards[(uint64_t)t->id % NSHARD];
    gor_lock(&s->lock);
    t->reg_prev = NULL;
    t->reg_next = s->head;
    if (s->head != NULL)
        s->head->reg_prev = t;
    s->head = t;
    atomic_store_explicit(&s->count, s->count + 1, memory_order_relaxed);
    gor_unlock(&s->lock);
}

static void registry_remove(struct gor_task *t)
{
    struct shard *s = &shards[(uint64_t)t->id % NSHARD];
    gor_lock(&s->lock);
    if (t->reg_prev != NULL)
        t->reg_prev->reg_next = t->reg_next;
    else
        s->head = t->reg_next;
    if (t->reg_next != NULL)
        t->reg_next->reg_prev = t->reg_prev;
    atomic_store_explicit(&s->count, s->count - 1, memory_order_relaxed);
    gor_unlock(&s->lock);
}

static void registry_fork_child(struct gor_task *keep)
{
    for (int i = 0; i < NSHARD; i++) {
        shards[i].head = NULL;
        atomic_store(&shards[i].count, 0);
    }
    bool main = keep != NULL && keep->main_done != NULL;
    atomic_store(&gor_main_running, main ? 1 : 0);
    main_exits_process = main;
    if (keep == NULL)
        return;
    keep->epoch = atomic_load(&gor_fork_epoch);
    atomic_store(&keep->slot->epoch, keep->epoch);
    atomic_store(&keep->tid, gettid());
    keep->reg_prev = NULL;
    keep->reg_next = NULL;
    struct shard *s = &shards[(uint64_t)keep->id % NSHARD];
    s->head = keep;
    atomic_store(&s->count, 1);
}

void gor_registry_fork(enum gor_fork_phase ph, struct gor_task *keep)
{
    for (int i = 0; i < NSHARD; i++)
        if (ph == GOR_FORK_PREPARE)
            gor_lock(&shards[i].lock);
        else
            gor_unlock(&shards[i].lock);
    if (ph == GOR_FORK_CHILD)
        registry_fork_child(keep);
}

size_t gor_registry_count(void)
{
    size_t n = 0;
    for (int i = 0; i < NSHARD; i++)
        n += atomic_load_explicit(&shards[i].count, memory_order_relaxed);
    return n;
}

/* A fresh task whose first switch runs gor_task_main(t) (gor_ctx_make). */
static struct gor_task *task_new(void (*fn)(void *), void *arg)
{
    struct gor_task *t = gor_stack_get();
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    t->parent = gor_i_self();
    t->fn = fn;
    t->arg = arg;
    __atomic_store_n(&t->shown, fn, __ATOMIC_RELAXED);
    atomic_store_explicit(&t->tid, 0, memory_order_relaxed);
    t->name[0] = '\0';
    t->main_done = NULL;
    t->is_main = false;
    t->asan_fake = NULL;
    t->epoch = atomic_load_explicit(&gor_fork_epoch, memory_order_relaxed);
    gor_slot_claim(t->slot, t->id, t->epoch);
    t->sp = gor_ctx_make(t);
    registry_add(t);
    return t;
}

/* Runs the spawn hook with t as gor_introspect_show_start's target. The hook is a tail call, so a
 * tool walking its creation stack from the hook meets no extra frame of ours; the caller clears
 * the target right after (announce_done). */
static void announce_spawn(struct gor_task *t)
{
    const struct gor_hooks *h = atomic_load_explicit(&gor_hooks_ptr, memory_order_acquire);
    if (GOR_LIKELY(h == NULL) || h->on_spawn == NULL)
        return;
    announcing = t;
    h->on_spawn(t->parent, t->id, t->fn, t->arg);
}

static inline void announce_done(void)
{
    announcing = NULL; /* one TLS store: cheaper than testing whether a hook ran */
}

static int gor_i_show_start(void (*start)(void *))
{
    struct gor_task *t = announcing;
    if (t == NULL || start == NULL) {
        errno = EINVAL;
        return -1;
    }
    __atomic_store_n(&t->shown, start, __ATOMIC_RELAXED);
    return 0;
}

int64_t gor_i_go(void (*fn)(void *), void *arg)
{
    if (fn == NULL) {
        errno = EINVAL;
        return -1;
    }
    gor_sched_start();
    struct gor_task *t = task_new(fn, arg);
    if (t == NULL)
        return -1;
    int64_t id = t->id;
    announce_spawn(t);
    announce_done();
    gor_sched_spawn(t);
    return id;
}

void gor_task_main(struct gor_task *t)
{
#ifdef TL_SANITIZE
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    gor_task_started();
    t->fn(t->arg);
    const struct gor_hooks *h = atomic_load_explicit(&gor_hooks_ptr, memory_order_acquire);
    if (GOR_UNLIKELY(h != NULL) && h->on_exit != NULL)
        h->on_exit(t->id);
    registry_remove(t);
    gor_slot_retire(t->slot);
    if (t->main_done != NULL) {
        atomic_fetch_sub(&gor_main_running, 1);
        atomic_store(t->main_done, 1);
        gor_futex_wake(t->main_done, 1);      /* the word may be gone already: a harmless wake */
        if (GOR_UNLIKELY(main_exits_process)) /* forked child: no gor_main caller to return to */
            exit(0);
    }
    gor_sched_exit(t);
}

static int gor_i_main(void (*fn)(void *), void *arg)
{
    if (gor_cur_task() != NULL)
        gor_panic("gor_main called from inside a task");
    if (fn == NULL) {
        errno = EINVAL;
        return -1;
    }
    gor_sched_start();
    _Atomic uint32_t done = 0;
    struct gor_task *t = task_new(fn, arg);
    if (t == NULL)
        return -1;
    t->is_main = true;
    t->main_done = &done;
    atomic_fetch_add(&gor_main_running, 1);
    announce_spawn(t);
    announce_done();
    gor_ready(t);
    while (atomic_load(&done) == 0)
        gor_futex_wait(&done, 0, -1);
    return 0;
}

int64_t gor_i_self(void)
{
    struct gor_task *t = gor_cur_task();
    return t != NULL ? t->id : 0;
}

static void gor_i_set_name(const char *name)
{
    struct gor_task *t = gor_cur_task();
    if (t == NULL || name == NULL)
        return;
    struct shard *s = &shards[(uint64_t)t->id % NSHARD];
    gor_lock(&s->lock);
    strncpy(t->name, name, sizeof t->name - 1);
    t->name[sizeof t->name - 1] = '\0';
    gor_unlock(&s->lock);
}

/* ---- introspection ---- */

static void fill_info(struct gor_task_info *o, const struct gor_task *t)
{
    o->id = t->id;
    o->parent = t->parent;
    memcpy(o->name, t->name, sizeof o->name);
    o->start = __atomic_load_n(&t->shown, __ATOMIC_RELAXED);
    o->arg = t->arg;
    const struct gor_slot *s = t->slot;
    o->state = atomic_load_explicit(&s->state, memory_order_relaxed);
    o->wait_reason = atomic_load_explicit(&s->wait_reason, memory_order_relaxed);
    o->wait_object = atomic_load_explicit(&s->wait_obj, memory_order_relaxed);
    o->wait_since_ns = o->wait_reason ? atomic_load(&s->wait_since) : 0;
    const void *saved = __atomic_load_n(&t->sp, __ATOMIC_RELAXED);
    o->sp = o->fp = o->ip = 0;
    if (saved != NULL)
        gor_ctx_regs(saved, &o->sp, &o->fp, &o->ip);
    o->stack_lo = (uintptr_t)t->stack_lo;
    o->stack_hi = (uintptr_t)t->stack_lo + t->stack_size;
    o->tid = atomic_load_explicit(&t->tid, memory_order_relaxed);
}

static size_t gor_i_snapshot(struct gor_task_info *out, size_t max, size_t *total)
{
    size_t n = 0, seen = 0;
    for (int i = 0; i < NSHARD; i++) {
        gor_lock(&shards[i].lock);
        for (struct gor_task *t = shards[i].head; t != NULL; t = t->reg_next, seen++)
            if (n < max)
                fill_info(&out[n++], t);
        gor_unlock(&shards[i].lock);
    }
    if (total != NULL)
        *total = seen;
    return n;
}

static int gor_i_set_hooks(const struct gor_hooks *h)
{
    if (h == NULL) {
        atomic_store_explicit(&gor_hooks_ptr, NULL, memory_order_release);
        return 0;
    }
    hooks_store = *h;
    atomic_store_explicit(&gor_hooks_ptr, &hooks_store, memory_order_release);
    return 0;
}

static int gor_i_introspect_version(void)
{
    return GOR_INTROSPECT_VERSION;
}

/* The deadlock dump: every task, Go-style. Called with every task asleep, right before exit. */
void gor_registry_dump(void)
{
    int64_t now = gor_i_now();
    char fn[128];
    const char *mod;
    uintptr_t off;
    for (int i = 0; i < NSHARD; i++) {
        for (struct gor_task *t = shards[i].head; t != NULL; t = t->reg_next) {
            const char *why = atomic_load(&t->slot->wait_reason);
            int64_t since = atomic_load(&t->slot->wait_since);
            void (*start)(void *) = __atomic_load_n(&t->shown, __ATOMIC_RELAXED);
            gor_symname((const void *)start, fn, sizeof fn, &mod, &off);
            gor_rawlog("task %lld%s%s [%s, %lld ms]: waiting on %p, started at %s (%p in %s+%#lx)",
                       (long long)t->id, t->name[0] ? " " : "", t->name, why ? why : "runnable",
                       why ? (long long)((now - since) / 1000000) : 0LL,
                       atomic_load(&t->slot->wait_obj), fn, (void *)start, mod, (unsigned long)off);
        }
    }
}

static size_t gor_i_count(void)
{
    return gor_registry_count();
}

GOR_ALIAS(gor_main, gor_i_main);
GOR_ALIAS(gor_go, gor_i_go);
GOR_ALIAS(gor_self, gor_i_self);
GOR_ALIAS(gor_set_name, gor_i_set_name);
GOR_ALIAS(gor_introspect_snapshot, gor_i_snapshot);
GOR_ALIAS(gor_introspect_set_hooks, gor_i_set_hooks);
GOR_ALIAS(gor_introspect_version, gor_i_introspect_version);
GOR_ALIAS(gor_introspect_count, gor_i_count);
GOR_ALIAS(gor_introspect_current, gor_i_self);
GOR_ALIAS(gor_introspect_show_start, gor_i_show_start);
