/*
 * tl_gor: gor tasks as detector units (issue 7). Contracts in tl_gor.h. This file holds what runs
 * on the program's own paths (init, spawn, exit, deadlock); report-time code is in
 * tl_gor_snap.c; tl_gor_impl.h holds what the two share.
 *
 * DESIGN
 * - No registry lock on gor's paths. The core registry is never touched while a task spawns or
 *   exits; tl_gor keeps what gor cannot tell later (who created the task, and where) in its own
 *   table of 64 shards keyed by task id, each behind a tiny spin lock held for a hash insert or
 *   delete. Everything gor already records (state, wait reason, object, since, saved frames) is
 *   read from gor at report time through gor_introspect_snapshot: nothing is mirrored. Records
 *   are recycled through per-thread spares (a task usually exits on the worker that spawned it)
 *   and per-shard free lists, so steady spawning neither mallocs nor shares a cache line.
 * - Creation stacks at spawn, fast: gor calls the spawn hook on the spawning stack, where the
 *   frame-pointer chain is walked (a few loads per frame). The walk must never read outside the
 *   live stack (a frame built without a frame pointer leaves anything in rbp), so it only moves
 *   upwards from the current frame and is bounded: on a thread by the top of the thread's stack;
 *   in a task by the task's own outermost frame, which the
 *   task noted when it started (ipose_gor.c starts every task through tl_gor_task_start, a
 *   "box" around the user's function). Without bounds (a task spawned behind our back) capture
 *   falls back to libunwind. The raw chain is then looked up in a small per-thread cache before
 *   the shared stack table (whose lock is the only contended thing left on this path), so a
 *   program that spawns a million tasks from one call site interns that stack once per thread.
 *   Ids taken by the cache stay referenced for the life of the process: task records carry them
 *   without reference counting.
 * - Blocked stacks are unwound lazily, only when reported, from the parked task's saved frame
 *   pointer, bounded by the task's stack.
 * - created_by chains: a task that exits while some task it spawned is alive keeps its record
 *   (marked exited, counted by its live children), so main -> task -> task -> task stays visible
 *   after the middle tasks returned. The last child to go releases the chain upwards.
 * - The box never shows: the spawn hook names the user's function to gor
 *   (gor_introspect_show_start), so gor's own snapshots and its fatal deadlock dump name it too.
 * - Threads created by a task have that task as creator (tl_gor_creator_hold): the thread holds
 *   the task's record like a child task does, so its created_by chain outlives the task.
 * - Global deadlock: gor's hook marks the state deadlocked, then runs the core's handler (the
 *   gate), because the runtime _exits right after the hook.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tl_dynobj.h"
#include "tl_gor_impl.h"
#include "tl_growth.h"
#include "tl_log.h"

struct tl_gor_state tl_gor_g = {.init_once = PTHREAD_ONCE_INIT, .depth = 32};

/* ---- module ranges ---- */

static struct range module_of(const void *addr)
{
    struct range r;
    tl_stack_object_range((uintptr_t)addr, &r.lo, &r.hi, NULL);
    return r;
}

/* ---- stacks ---- */

/* Not instrumented: a parked task's frames may lie in ASan-poisoned stack memory, and reading
 * saved frame pointers there is exactly what is meant. */
__attribute__((no_sanitize_address)) int tl_gor_walk_frames(uintptr_t fp, uintptr_t lo,
                                                            uintptr_t hi, uintptr_t *ips, int max)
{
    int n = 0;
    while (n < max && fp >= lo && fp + 2 * sizeof(uintptr_t) <= hi && fp % sizeof(uintptr_t) == 0) {
        const uintptr_t *frame = (const uintptr_t *)fp;
        if (frame[1] == 0)
            break;
        ips[n++] = frame[1];
        if (frame[0] <= fp) /* frames grow towards hi; anything else ends the chain */
            break;
        fp = frame[0];
    }
    return n;
}

/* Per-thread cache of interned creation stacks, keyed by the raw chain. */
struct cache_slot {
    uint32_t hash;
    int n;
    tl_stack_id id;
    uintptr_t ips[DEPTH_MAX];
};
struct stack_cache {
    uintptr_t lo, hi; /* this thread's own stack, from pthread_getattr_np */
    struct cache_slot slot[CACHE_SLOTS];
    struct task_rec *spare; /* records of tasks that exited on this thread, for its next spawns
                               (gor runs a new task on its spawner's worker first); this thread */
    int nspare;
    _Atomic uint64_t spawned;        /* tasks this thread spawned; written by it alone (no lock
                                        prefix), read by tl_gor_tasks_created */
    struct stack_cache *next, *prev; /* tl_gor_g.caches list, under tl_gor_g.caches_lock */
};
static __thread struct stack_cache *my_cache;

static struct stack_cache *cache_get(void)
{
    if (my_cache != NULL)
        return my_cache;
    struct stack_cache *c = calloc(1, sizeof *c);
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (c == NULL)
        return NULL;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
            c->lo = (uintptr_t)addr;
            c->hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&a);
    }
    spin_lock(&tl_gor_g.caches_lock);
    c->next = tl_gor_g.caches;
    if (c->next != NULL)
        c->next->prev = c;
    tl_gor_g.caches = c;
    spin_unlock(&tl_gor_g.caches_lock);
    my_cache = c;
    pthread_setspecific(tl_gor_g.cache_key, c);
    return c;
}

static void cache_free(void *p)
{
    struct stack_cache *c = p;
    my_cache = NULL;
    spin_lock(&tl_gor_g.caches_lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        tl_gor_g.caches = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    atomic_fetch_add(&tl_gor_g.created, atomic_load(&c->spawned));
    spin_unlock(&tl_gor_g.caches_lock);
    while (c->spare != NULL) {
        struct task_rec *r = c->spare;
        c->spare = r->next_free;
        free(r);
    }
    free(c); /* interned ids stay referenced: task records may still name them */
}

static tl_stack_id cache_intern(struct stack_cache *c, const uintptr_t *ips, int n)
{
    uint32_t h = tl_stack_hash(ips, n);
    struct cache_slot *s = &c->slot[h % CACHE_SLOTS];
    if (s->id != 0 && s->hash == h && s->n == n && !memcmp(s->ips, ips, n * sizeof *ips))
        return s->id;
    tl_stack_id id = tl_stack_intern(ips, n);
    if (id == 0)
        return 0;
    s->hash = h; /* the evicted id keeps its reference: records may name it */
    s->n = n;
    s->id = id;
    memcpy(s->ips, ips, n * sizeof *ips);
    return id;
}

/* Drops the leading frames that are ours or gor's: the stack starts at the user's call to
 * gor_go. When the user's function is not on the stack at all (it tail-called gor_go), the stack
 * starts at gor's spawn instead, so it still reads "gor_go, then whatever ran the spawner". */
static int skip_runtime_frames(uintptr_t *ips, int n)
{
    int k = 0, first_gor = -1;
    for (; k < n && (in_range(&tl_gor_g.gor_mod, ips[k]) || in_range(&tl_gor_g.self_mod, ips[k]));
         k++)
        if (first_gor < 0 && in_range(&tl_gor_g.gor_mod, ips[k]))
            first_gor = k;
    if (k == n)
        k = first_gor > 0 ? first_gor : 0;
    memmove(ips, ips + k, (n - k) * sizeof *ips);
    return n - k;
}

/* Drops the trailing frames that are gor's or ours (the task's start machinery): a task's
 * stacks end at its start function, as Go's do. */
int tl_gor_trim_tail(const uintptr_t *ips, int n)
{
    while (n > 1 &&
           (in_range(&tl_gor_g.gor_mod, ips[n - 1]) || in_range(&tl_gor_g.self_mod, ips[n - 1])))
        n--;
    return n;
}

/* Bounds for walking the caller's frames, or false when unknown. On a thread: its whole stack.
 * In a task started through tl_gor_task_start: from the current frame up to that start frame;
 * every frame of the walk lies in between, on the live part of the task's stack. */
static bool walk_bounds(struct stack_cache *c, const struct task_rec *spawner, uintptr_t fp,
                        uintptr_t *lo, uintptr_t *hi)
{
    if (fp >= c->lo && fp < c->hi) {
        *lo = c->lo;
        *hi = c->hi;
        return true;
    }
    if (spawner == NULL || spawner->frame_hi == 0 || fp > spawner->frame_hi)
        return false;
    *lo = fp;
    *hi = spawner->frame_hi + 2 * sizeof(uintptr_t); /* its saved fp and return address */
    return true;
}

/* The creation stack of a task spawned now by the caller (spawner: the spawning task's record,
 * NULL for a plain thread): walked by frame pointers when the bounds are known, by libunwind
 * otherwise (a task that did not start through tl_gor_task_start). */
static __attribute__((noinline)) tl_stack_id capture_creation(const struct task_rec *spawner)
{
    uintptr_t ips[DEPTH_MAX + SKIP_MAX], lo, hi;
    int depth = atomic_load_explicit(&tl_gor_g.depth, memory_order_relaxed), n;
    struct stack_cache *c = cache_get();
    if (c == NULL)
        return 0;
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    if (walk_bounds(c, spawner, fp, &lo, &hi))
        n = tl_gor_walk_frames(fp, lo, hi, ips, depth + SKIP_MAX);
    else
        n = tl_stack_capture(ips, depth + SKIP_MAX, 0);
    n = tl_gor_trim_tail(ips, skip_runtime_frames(ips, n));
    /* A task's walk ends at its own start frame, so only a spawning thread's stack can hold
     * frames of ours below the caller (the thread trampoline); hot task spawns skip the pass. */
    if (spawner == NULL)
        n = tl_stack_strip_own(ips, n, NULL);
    return cache_intern(c, ips, n < depth ? n : depth);
}

/* ---- boxed starts ---- */

/* A record for a spawn whose id is not known yet. Records of exited tasks return to the free
 * list of their id's shard; ids spread evenly over shards, so taking from the shards in turn
 * keeps every free list bounded by the peak number of live tasks. */
static struct task_rec *rec_take(void)
{
    static __thread unsigned turn;
    struct stack_cache *c = cache_get();
    struct task_rec *r = c != NULL ? c->spare : NULL;
    if (r != NULL) {
        c->spare = r->next_free;
        c->nspare--;
    } else {
        struct shard *s = &tl_gor_shards[turn++ % NSHARD];
        spin_lock(&s->lock);
        if ((r = s->free) != NULL)
            s->free = r->next_free;
        spin_unlock(&s->lock);
    }
    if (r == NULL)
        return calloc(1, sizeof *r);
    memset(r, 0, sizeof *r);
    return r;
}

/* Gives back the record of an exited task (no longer in any table): to this thread's spares,
 * or to its shard's free list when those are full. */
static void rec_recycle(struct task_rec *r)
{
    struct stack_cache *c = cache_get();
    if (c != NULL && c->nspare < SPARE_MAX) {
        r->next_free = c->spare;
        c->spare = r;
        c->nspare++;
        return;
    }
    struct shard *s = shard_of(r->id);
    spin_lock(&s->lock);
    r->next_free = s->free;
    s->free = r;
    spin_unlock(&s->lock);
}

void *tl_gor_box(void (*fn)(void *), void *arg)
{
    if (fn == NULL || !tl_gor_present())
        return NULL;
    struct task_rec *r = rec_take();
    if (r != NULL) {
        r->fn = fn;
        r->arg = arg;
        r->start = (uintptr_t)fn;
        r->boxed = true;
    }
    return r;
}

void tl_gor_unbox(void *box)
{
    free(box); /* gor refused the spawn: no hook saw it */
}

/* The task's outermost own frame: written here, on its own stack, before any user code runs. A
 * record that could not be inserted (no memory) belongs to the task, which frees it. */
void tl_gor_task_start(void *box)
{
    struct task_rec *r = box;
    void (*fn)(void *) = r->fn;
    void *arg = r->arg;
    r->arg = NULL; /* the record outlives the start: a copy would keep arg reachable (tl_proof) */
    bool tracked = r->id != 0;
    r->frame_hi = (uintptr_t)__builtin_frame_address(0);
    fn(arg);
    if (!tracked)
        free(r);
}

/* ---- hooks ---- */

/* The calling thread's unit id, from the core when it knows the thread. */
static void name_thread(char *buf, size_t n)
{
    int (*namer)(char *, size_t) =
        atomic_load_explicit(&tl_gor_g.thread_namer, memory_order_acquire);
    if (namer == NULL || namer(buf, n) < 0)
        snprintf(buf, n, "thread:?%d", (int)gettid());
}

/* One more task spawned by this thread: a plain store to its own counter when it has a cache. */
static void count_spawn(void)
{
    struct stack_cache *c = cache_get();
    if (c == NULL) {
        atomic_fetch_add_explicit(&tl_gor_g.created, 1, memory_order_relaxed);
        return;
    }
    uint64_t n = atomic_load_explicit(&c->spawned, memory_order_relaxed);
    atomic_store_explicit(&c->spawned, n + 1, memory_order_relaxed);
}

/* The child's label: its spawning task's spawn label, or the spawning thread's. */
static void inherit_label(struct task_rec *t)
{
    const char *(*source)(void) =
        atomic_load_explicit(&tl_gor_g.label_source, memory_order_acquire);
    const char *l = t->parent_rec != NULL ? t->parent_rec->spawn_label : NULL;
    if (t->parent_rec == NULL && source != NULL) /* a plain thread's, from the core */
        l = source();
    if (l == NULL || l[0] == '\0') {
        t->label[0] = t->spawn_label[0] = '\0';
        return;
    }
    snprintf(t->label, sizeof t->label, "%s", l);
    memcpy(t->spawn_label, t->label, sizeof t->spawn_label);
}

/* The record of the task running on this thread, NULL outside tracked tasks. */
static struct task_rec *current_rec(void)
{
    int64_t id = tl_gor_present() ? tl_gor_g.gor.current() : 0;
    return id > 0 ? tl_gor_running_rec(id) : NULL;
}

bool tl_gor_set_spawn_label(const char *label)
{
    struct task_rec *r = current_rec();
    if (r == NULL)
        return false;
    snprintf(r->spawn_label, sizeof r->spawn_label, "%s", label ? label : "");
    return true;
}

const char *tl_gor_spawn_label(void)
{
    struct task_rec *r = current_rec();
    return r != NULL && r->spawn_label[0] != '\0' ? r->spawn_label : NULL;
}

void tl_gor_timed_wait(bool on)
{
    struct task_rec *r = current_rec();
    if (r != NULL)
        atomic_store_explicit(&r->timed_wait, on, memory_order_release);
}

static void on_spawn(int64_t parent, int64_t child, void (*start)(void *), void *arg)
{
    int saved = errno;
    struct task_rec local, *t = arg;  /* a box: the record was prepared by tl_gor_box */
    if (start != tl_gor_task_start) { /* spawned behind our wrappers: a record is made here */
        memset(&local, 0, sizeof local);
        local.start = (uintptr_t)start;
        t = &local;
    } else if (tl_gor_g.gor.show_start != NULL) /* gor names the user's function, not the box */
        tl_gor_g.gor.show_start(t->fn);
    count_spawn();
    t->parent_rec = parent > 0 ? tl_gor_running_rec(parent) : NULL;
    t->created_stack = capture_creation(t->parent_rec);
    t->parent = t->parent_rec != NULL ? parent : 0;
    t->site = tl_growth_enter(t->created_stack, t->start, TL_KIND_TASK);
    if (parent <= 0) /* rare (gor_main, or gor_go outside tasks): formatting is affordable */
        name_thread(t->creator_thread, sizeof t->creator_thread);
    inherit_label(t);
    if (t->parent_rec != NULL) /* before the child can run, so before it can exit */
        atomic_fetch_add_explicit(&t->parent_rec->life, CHILD, memory_order_relaxed);
    t->id = child; /* last: tl_gor_task_start reads a nonzero id as "tracked" */
    if (tl_gor_insert(t) == NULL) {
        t->id = 0;
        tl_growth_leave(t->site);
        tl_gor_release(t->parent_rec, CHILD);
    }
    errno = saved;
}

int64_t tl_gor_creator_hold(void **hold)
{
    int64_t id = tl_gor_present() ? tl_gor_g.gor.current() : 0;
    struct task_rec *r = id > 0 ? tl_gor_running_rec(id) : NULL;
    if (r != NULL) /* running, so not exited: the record cannot go meanwhile */
        atomic_fetch_add_explicit(&r->life, CHILD, memory_order_relaxed);
    *hold = r;
    return id;
}

void tl_gor_creator_release(void *hold)
{
    tl_gor_release(hold, CHILD);
}

static void on_exit_hook(int64_t id)
{
    int saved = errno;
    struct shard *s = shard_of(id);
    spin_lock(&s->lock);
    struct task_rec *r = find_locked(s, id);
    if (r != NULL)
        tl_growth_leave(r->site); /* once: a task exits once */
    if (r != NULL && life_ends(r, EXITED)) { /* the common case: forget it under this lock */
        HASH_DELETE(hh, s->tasks, r);
        spin_unlock(&s->lock);
        tl_gor_release(r->parent_rec, CHILD); /* r is out of the table: ours alone until recycled */
        rec_recycle(r);
    } else {
        spin_unlock(&s->lock);
    }
    errno = saved;
}

static void on_deadlock_hook(void)
{
    atomic_store(&tl_gor_g.deadlocked, true);
    void (*fn)(void) = atomic_load(&tl_gor_g.on_deadlock);
    if (fn != NULL)
        fn();
}

/* ---- init ---- */

/* Where gor's symbols are: the global scope (RTLD_DEFAULT, which is a null pointer), or, for a
 * runtime loaded RTLD_LOCAL behind a plugin (invisible to RTLD_DEFAULT), the object that defines
 * them. False when no object does. */
static bool gor_symbol_source(void **src)
{
    *src = RTLD_DEFAULT;
    if (dlsym(RTLD_DEFAULT, "gor_introspect_version") != NULL)
        return true;
    /* the handle stays open on purpose: the runtime must not be unloaded under our hooks */
    return tl_dynobj_lookup_any("gor_introspect_version", NULL, src) != NULL;
}

static bool resolve(void)
{
    struct gor_syms *s = &tl_gor_g.gor;
    void *src;
    dlerror();
    if (!gor_symbol_source(&src)) {
        dlerror();
        return false;
    }
    *(void **)&s->version = dlsym(src, "gor_introspect_version");
    *(void **)&s->snapshot = dlsym(src, "gor_introspect_snapshot");
    *(void **)&s->count = dlsym(src, "gor_introspect_count");
    *(void **)&s->current = dlsym(src, "gor_introspect_current");
    *(void **)&s->set_hooks = dlsym(src, "gor_introspect_set_hooks");
    *(void **)&s->show_start = dlsym(src, "gor_introspect_show_start");
    *(void **)&s->waits = dlsym(src, "gor_introspect_waits");
    *(void **)&s->threads = dlsym(src, "gor_introspect_threads");
    *(void **)&s->tables = dlsym(src, "gor_introspect_tables");
    dlerror();
    return s->version && s->snapshot && s->count && s->current && s->set_hooks &&
           s->version() == GOR_INTROSPECT_VERSION;
}

static void init_once(void)
{
    static const struct gor_hooks hooks = {on_spawn, on_exit_hook, on_deadlock_hook};
    static int warned;
    tl_gor_table_init();
    if (pthread_key_create(&tl_gor_g.cache_key, cache_free) != 0 || !resolve()) {
        if (tl_gor_g.gor.snapshot != NULL)
            tl_warn_once(&warned,
                         "gor found but its introspection interface is not version %d:"
                         " tasks are not tracked",
                         GOR_INTROSPECT_VERSION);
        else
            tl_warn_once(&warned, "gor is in use but its introspection interface"
                                  " (gor_introspect_version) is not found: tasks are not tracked");
        return;
    }
    tl_gor_g.gor_mod = module_of((const void *)tl_gor_g.gor.snapshot);
    tl_gor_g.self_mod = module_of((const void *)tl_gor_init);
    void *san = dlsym(RTLD_DEFAULT, "__asan_init"); /* its pthread_create precedes ours */
    if (san != NULL)
        tl_gor_g.san_mod = module_of(san);
    tl_gor_g.gor.set_hooks(&hooks);
    atomic_store_explicit(&tl_gor_g.present, true, memory_order_release);
}

bool tl_gor_init(void)
{
    if (!atomic_load_explicit(&tl_gor_g.present, memory_order_acquire))
        pthread_once(&tl_gor_g.init_once, init_once);
    return atomic_load_explicit(&tl_gor_g.present, memory_order_acquire);
}

bool tl_gor_present(void)
{
    return atomic_load_explicit(&tl_gor_g.present, memory_order_acquire);
}

uint64_t tl_gor_tasks_created(void)
{
    spin_lock(&tl_gor_g.caches_lock);
    uint64_t n = atomic_load(&tl_gor_g.created);
    for (struct stack_cache *c = tl_gor_g.caches; c != NULL; c = c->next)
        n += atomic_load_explicit(&c->spawned, memory_order_relaxed);
    spin_unlock(&tl_gor_g.caches_lock);
    return n;
}

bool tl_gor_runtime_thread(uintptr_t start_routine)
{
    return tl_gor_present() && in_range(&tl_gor_g.gor_mod, start_routine);
}

bool tl_gor_created_by_runtime(tl_stack_id created_stack)
{
    int n = 0;
    const uintptr_t *ips = tl_gor_present() ? tl_stack_frames(created_stack, &n) : NULL;
    for (int i = 0; i < n; i++) {
        if (in_range(&tl_gor_g.self_mod, ips[i]) || in_range(&tl_gor_g.san_mod, ips[i]))
            continue; /* the interposers between the creator and the kernel */
        return in_range(&tl_gor_g.gor_mod, ips[i]);
    }
    return false;
}

int64_t tl_gor_current_task(void)
{
    return tl_gor_present() ? tl_gor_g.gor.current() : 0;
}

bool tl_gor_deadlocked(void)
{
    return atomic_load(&tl_gor_g.deadlocked);
}

void tl_gor_set_deadlock_handler(void (*fn)(void))
{
    atomic_store(&tl_gor_g.on_deadlock, fn);
}

void tl_gor_set_stack_depth(int depth)
{
    atomic_store(&tl_gor_g.depth, depth < 1 ? 1 : depth > DEPTH_MAX ? DEPTH_MAX : depth);
}

void tl_gor_set_thread_namer(int (*fn)(char *buf, size_t n))
{
    atomic_store_explicit(&tl_gor_g.thread_namer, fn, memory_order_release);
}

void tl_gor_set_label_source(const char *(*fn)(void))
{
    atomic_store_explicit(&tl_gor_g.label_source, fn, memory_order_release);
}

void tl_gor_atfork_child(void)
{
    tl_gor_table_atfork_child();
    atomic_store(&tl_gor_g.caches_lock.v, 0);
}
