/* tl_lockorder: recording the lock-order graph (see tl_lockorder.h).
 *
 * DESIGN. The cost model is lockdep's: what a thread holds is thread-local and cheap; the shared
 * graph is touched only for a pair of locks that this thread has not seen together since the last
 * forget (the per-thread cache is tagged with a global epoch that every effective forget bumps, so
 * a cached pair is never trusted across a destroy). A pair whose edge still has gate candidates is
 * not cached: each sighting must narrow the gate set to the locks held that time, and an edge whose
 * gate set shrinks is searched for cycles again (the gate that hid one may be gone). Stacks are
 * only taken for a new pair, outside the lock, then the graph is searched again (another thread
 * may have added the pair meanwhile). Inversions keep copies of their edges, so a lock destroyed
 * later does not erase what was found.
 */
#include "tl_lockorder.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef UNW_LOCAL_ONLY
#define UNW_LOCAL_ONLY
#endif
#include <elfutils/libdwfl.h>
#include <libelf.h>
#include <libunwind.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_registry.h"
#include "tl_stack.h"

_Static_assert((TL_LO_KIND_MASK | TL_LO_READ | TL_LO_TRY) < 16,
               "flags fit below a held entry's sp");

#define INVERSIONS_MAX 256 /* inversions kept; more are counted */
#define GATE_SCAN      64  /* outer held locks looked at when narrowing a gate set */

bool tl_lo_on;
unsigned char tl_lo_state;
_Atomic unsigned tl_lo_epoch;
__thread struct tl_lo_thread tl_lo_self __attribute__((tls_model("initial-exec")));

struct task_held;

static struct {
    int lock;            /* spin lock: 0 free, 1 held */
    _Atomic size_t nodes;   /* the graph's node count, read without the lock by tl_lo_forget */
    struct tl_lg graph;  /* lock */
    struct tl_lo_inversion inv[INVERSIONS_MAX]; /* lock */
    size_t ninv, dropped;                       /* lock */
    struct task_held *tasks;                    /* lock: tasks holding gor mutexes */
} lo;

static void lo_lock(void)
{
    for (int spins = 0; __atomic_exchange_n(&lo.lock, 1, __ATOMIC_ACQUIRE); spins++)
        if (spins > 64)
            sched_yield(); /* held for a lookup, an insertion or a search */
}

static void lo_unlock(void)
{
    atomic_store_explicit(&lo.nodes, tl_lg_nodes(&lo.graph), memory_order_relaxed);
    __atomic_store_n(&lo.lock, 0, __ATOMIC_RELEASE);
}

/* Text of the objects whose locks are the detector's own business: ours, and the unwinder and
 * symbolizer we call (libunwind takes its own mutexes while we unwind; recording them would make
 * the recorder unwind inside the unwinder). Written by tl_lo_start only. */
#define OWN_OBJECTS 4
static struct {
    uintptr_t lo, hi;
} own[OWN_OBJECTS];
static int nown;

static void note_object(uintptr_t addr)
{
    uintptr_t from, to;
    bool main_program;
    if (nown < OWN_OBJECTS && tl_stack_object_range(addr, &from, &to, &main_program) &&
        !main_program) /* the unit-test runner links us into the main program */
        own[nown].lo = from, own[nown++].hi = to;
}

static bool internal(uintptr_t ip)
{
    for (int i = 0; i < nown; i++)
        if (ip >= own[i].lo && ip < own[i].hi)
            return true;
    return false;
}

void tl_lo_start(bool on, bool mfast)
{
    tl_stack_set_busy_hook(tl_lo_set_busy);
    if (on) {
        note_object((uintptr_t)&tl_lo_start);
        note_object((uintptr_t)&unw_backtrace);
        note_object((uintptr_t)&dwfl_begin);
        note_object((uintptr_t)&elf_version);
    }
    tl_lo_on = on;
    unsigned state = TL_LO_READY | (on ? TL_LO_RECORDING : 0) | (mfast ? TL_LO_MFAST : 0);
    __atomic_store_n(&tl_lo_state, (unsigned char)state, __ATOMIC_RELEASE);
}

/* ---- the held list ---- */

static struct tl_lo_held *ent(struct tl_lo_thread *t, uint32_t i)
{
    return i < TL_LO_INLINE ? &t->inl[i] : &t->spill[i - TL_LO_INLINE];
}

static int push(struct tl_lo_thread *t, const struct tl_lo_held *h)
{
    if (t->n >= TL_LO_INLINE + t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64, old = t->cap * sizeof *t->spill;
        void *p = t->spill == NULL
                      ? mmap(NULL, cap * sizeof *t->spill, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                      : mremap(t->spill, old, cap * sizeof *t->spill, MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return -1; /* not recorded; its release will find nothing */
        t->spill = p;
        t->cap = (uint32_t)cap;
    }
    *ent(t, t->n++) = *h;
    return 0;
}

/* Index of the newest entry for lock, or -1. */
static long find_held(struct tl_lo_thread *t, uintptr_t lock)
{
    for (long i = (long)t->n - 1; i >= 0; i--)
        if (ent(t, (uint32_t)i)->lock == lock)
            return i;
    return -1;
}

static void release_on(struct tl_lo_thread *t, const void *lock)
{
    long i = find_held(t, (uintptr_t)lock);
    if (i < 0)
        return; /* taken before we started, by our own code, or by another thread */
    for (uint32_t k = (uint32_t)i; k + 1 < t->n; k++)
        *ent(t, k) = *ent(t, k + 1);
    t->n--;
}

void tl_lo_released_slow(const void *lock)
{
    release_on(&tl_lo_self, lock);
}

void tl_lo_thread_exit(void)
{
    struct tl_lo_thread *t = &tl_lo_self;
    t->n = 0;
    if (t->spill != NULL)
        munmap(t->spill, t->cap * sizeof *t->spill);
    t->spill = NULL;
    t->cap = 0;
}

/* ---- stacks ---- */

/* Unwinds the calling thread: ips and stack pointers of up to max frames, starting at the frame
 * whose ip is `from` (the caller of the lock wrapper) when it is among the first frames. */
static int unwind_from(uintptr_t from, uintptr_t *ips, uintptr_t *sps, int max)
{
    unw_context_t uc;
    unw_cursor_t c;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
        return 0;
    int n = 0, skipped = 0;
    do {
        unw_word_t ip = 0, sp = 0;
        unw_get_reg(&c, UNW_REG_IP, &ip);
        unw_get_reg(&c, UNW_REG_SP, &sp);
        if (n == 0 && ip != from && skipped++ < 8)
            continue;
        ips[n] = ip;
        sps[n++] = sp;
    } while (n < max && unw_step(&c) > 0);
    return n;
}

static int depth(void)
{
    int d = tl_stack_depth();
    return d < TL_LG_FRAMES ? d : TL_LG_FRAMES;
}

static void set_stack(struct tl_lg_stack *s, uintptr_t *ips, int n)
{
    n = tl_stack_strip_own(ips, n, false);
    s->n = (uint32_t)n;
    memcpy(s->ip, ips, (size_t)n * sizeof *ips);
}

/* Fills e's two stacks: acquired = the stack now; held = where h was taken, i.e. its return
 * address followed by the frames of the current stack that were already live then (their stack
 * pointer lies above the one h's caller had). */
static void capture(struct tl_lg_edge *e, const struct tl_lo_held *h, uintptr_t ip)
{
    uintptr_t ips[TL_LG_FRAMES], sps[TL_LG_FRAMES], held[TL_LG_FRAMES];
    int n = unwind_from(ip, ips, sps, TL_LG_FRAMES), k = 0;
    if (n > 0 && tl_block_current_task() != 0) /* a task's stack ends at its start function */
        n = tl_gor_trim_tail(ips, n);
    held[k++] = h->ip;
    for (int i = 0; i < n && k < depth(); i++)
        if (sps[i] > tl_lo_held_sp(h))
            held[k++] = ips[i];
    set_stack(&e->held, held, k);
    set_stack(&e->acquired, ips, n < depth() ? n : depth());
}

/* ---- edges ---- */

static unsigned pair_mode(const struct tl_lo_held *h, unsigned flags)
{
    return ((tl_lo_held_flags(h) & TL_LO_READ) ? TL_LG_HELD_READ : 0) |
           ((flags & TL_LO_READ) ? TL_LG_ACQ_READ : 0);
}

static struct tl_lo_pair *cache_slot(struct tl_lo_thread *t, uintptr_t a, uintptr_t b, unsigned m)
{
    uint64_t h = ((uint64_t)a * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)b * 0xc2b2ae3d27d4eb4fULL) ^ m;
    return &t->cache[(h >> 40) % TL_LO_CACHE];
}

/* Addresses of the outermost held locks below index top, except a and b; returns the count. */
static size_t outer_locks(struct tl_lo_thread *t, uint32_t top, uintptr_t a, uintptr_t b,
                          uintptr_t *out, size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < top && n < max; i++) {
        uintptr_t l = ent(t, i)->lock;
        if (l != a && l != b)
            out[n++] = l;
    }
    return n;
}

static bool same_locks(const struct tl_lo_inversion *x, const uint32_t *cyc, size_t n)
{
    if (x->n != n)
        return false;
    for (size_t k = 0; k < n; k++) {
        bool found = false;
        for (size_t m = 0; m < n && !found; m++)
            found = x->edge[m].from == tl_lg_edge(&lo.graph, cyc[k])->from;
        if (!found)
            return false;
    }
    return true;
}

/* Under the lock: keeps the cycle through edge id, if any, as an inversion (once per lock set). */
static void search(uint32_t id)
{
    uint32_t cyc[TL_LG_CYCLE_MAX];
    size_t n = tl_lg_cycle(&lo.graph, id, cyc, TL_LG_CYCLE_MAX);
    if (n == 0)
        return;
    for (size_t i = 0; i < lo.ninv; i++)
        if (same_locks(&lo.inv[i], cyc, n))
            return;
    if (lo.ninv == INVERSIONS_MAX) {
        lo.dropped++;
        return;
    }
    struct tl_lo_inversion *x = &lo.inv[lo.ninv++];
    x->n = n;
    for (size_t k = 0; k < n; k++)
        x->edge[k] = *tl_lg_edge(&lo.graph, cyc[k]);
}

/* Under the lock: a known edge seen again, with the held list's outer locks as they are now.
 * Returns whether it may be cached (no gate candidate left). */
static bool seen_again(struct tl_lo_thread *t, uint32_t id, uint32_t top)
{
    struct tl_lg_edge *e = tl_lg_edge(&lo.graph, id);
    if (e->ngate == 0)
        return true;
    uintptr_t outer[GATE_SCAN];
    size_t n = outer_locks(t, top, e->from, e->to, outer, GATE_SCAN);
    if (tl_lg_narrow_gate(e, outer, n))
        search(id);
    return tl_lg_edge(&lo.graph, id)->ngate == 0;
}

static void new_edge(struct tl_lo_thread *t, uint32_t top, uintptr_t lock, unsigned flags,
                     uintptr_t ip)
{
    const struct tl_lo_held *h = ent(t, top);
    struct tl_lg_edge e;
    memset(&e, 0, sizeof e);
    e.from = h->lock;
    e.to = (uintptr_t)lock;
    e.mode = pair_mode(h, flags);
    e.from_kind = (unsigned char)(tl_lo_held_flags(h) & TL_LO_KIND_MASK);
    e.to_kind = (unsigned char)(flags & TL_LO_KIND_MASK);
    struct tl_unit *u = tl_registry_self();
    e.unit = u != NULL ? u->seq : 0;
    e.task = tl_block_current_task();
    e.ngate = (unsigned)outer_locks(t, top, e.from, e.to, e.gate, TL_LG_GATES);
    capture(&e, h, ip);
    lo_lock();
    uint32_t id = tl_lg_find(&lo.graph, e.from, e.to, e.mode);
    if (id == 0) {
        id = tl_lg_add(&lo.graph, &e);
        if (id != 0)
            search(id);
    } else {
        seen_again(t, id, top);
    }
    lo_unlock();
}

/* The pair (held entry top, lock). */
static void add_pair(struct tl_lo_thread *t, uint32_t top, uintptr_t lock, unsigned flags,
                     uintptr_t ip)
{
    const struct tl_lo_held *h = ent(t, top);
    unsigned mode = pair_mode(h, flags);
    unsigned epoch = atomic_load_explicit(&tl_lo_epoch, memory_order_acquire);
    struct tl_lo_pair *c = cache_slot(t, h->lock, lock, mode);
    if (c->from == h->lock && c->to == lock && c->mode == mode && c->epoch == epoch)
        goto settled;
    lo_lock();
    uint32_t id = tl_lg_find(&lo.graph, h->lock, lock, mode);
    bool cacheable = id != 0 && seen_again(t, id, top);
    lo_unlock();
    if (id == 0) {
        new_edge(t, top, lock, flags, ip);
        return;
    }
    if (!cacheable)
        return;
    *c = (struct tl_lo_pair){h->lock, lock, mode, epoch};
settled:
    if (top + 1 == t->n &&
        !(tl_lo_held_flags(h) & TL_LO_TRY)) { /* the only pair this acquisition makes */
        t->last = *c;
        t->last_flags[0] = tl_lo_held_flags(h);
        t->last_flags[1] = flags;
    }
}

/* The acquisition of lock by the owner of held list t (a thread, or a gor task); the calling
 * thread's busy mark guards against recursion either way. */
static void acquire_on(struct tl_lo_thread *t, const void *lock, unsigned flags, uintptr_t ip,
                       uintptr_t sp)
{
    if (tl_lo_self.busy)
        return;
    int saved = errno;
    tl_lo_self.busy = true;
    uintptr_t l = (uintptr_t)lock;
    if (!(flags & TL_LO_TRY) && !internal(ip) && find_held(t, l) < 0) {
        for (long i = (long)t->n - 1; i >= 0; i--) {
            if (!internal(ent(t, (uint32_t)i)->ip))
                add_pair(t, (uint32_t)i, l, flags, ip);
            if (!(tl_lo_held_flags(ent(t, (uint32_t)i)) & TL_LO_TRY))
                break; /* the newest lock taken by blocking already has its own edges */
        }
    }
    struct tl_lo_held h = {l, ip, tl_lo_spf(sp, flags)};
    push(t, &h);
    tl_lo_self.busy = false;
    errno = saved;
}

void tl_lo_acquired_slow(const void *lock, unsigned flags, uintptr_t ip, uintptr_t sp)
{
    acquire_on(&tl_lo_self, lock, flags, ip, sp);
}

/* ---- gor tasks: a held list per task that holds a gor mutex ---- */

struct task_held {
    int64_t task;
    struct task_held *next; /* lo.tasks list; lock */
    struct tl_lo_thread t;  /* the task's held list; only the task itself touches it */
};

/* The held list of task, created when create (NULL: none, or out of memory). */
static struct task_held *task_find(int64_t task, bool create)
{
    lo_lock();
    struct task_held *h = lo.tasks;
    while (h != NULL && h->task != task)
        h = h->next;
    if (h == NULL && create) {
        void *p = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            h = p;
            h->task = task;
            h->next = lo.tasks;
            lo.tasks = h;
        }
    }
    lo_unlock();
    return h;
}

static void task_drop(struct task_held *h)
{
    lo_lock();
    for (struct task_held **p = &lo.tasks; *p != NULL; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            break;
        }
    lo_unlock();
    if (h->t.spill != NULL)
        munmap(h->t.spill, h->t.cap * sizeof *h->t.spill);
    munmap(h, sizeof *h);
}

void tl_lo_task_acquired(int64_t task, const void *lock, unsigned flags, uintptr_t ip,
                         uintptr_t sp)
{
    if (!tl_lo_on || tl_lo_self.busy)
        return;
    int saved = errno;
    struct task_held *h = task_find(task, true);
    if (h != NULL)
        acquire_on(&h->t, lock, flags, ip, sp);
    errno = saved;
}

void tl_lo_task_released(int64_t task, const void *lock)
{
    if (!tl_lo_on || tl_lo_self.busy)
        return;
    int saved = errno;
    struct task_held *h = task_find(task, false);
    if (h != NULL) {
        release_on(&h->t, lock);
        if (h->t.n == 0)
            task_drop(h); /* memory follows the tasks that hold something */
    }
    errno = saved;
}

void tl_lo_forget(const void *lock)
{
    if (!tl_lo_on || atomic_load_explicit(&lo.nodes, memory_order_relaxed) == 0)
        return;
    struct tl_lo_thread *t = &tl_lo_self;
    bool was = t->busy;
    t->busy = true;
    lo_lock();
    if (tl_lg_forget(&lo.graph, (uintptr_t)lock) > 0)
        atomic_fetch_add_explicit(&tl_lo_epoch, 1, memory_order_release);
    lo_unlock();
    t->busy = was;
}

bool tl_lo_set_busy(bool busy)
{
    bool was = tl_lo_self.busy;
    tl_lo_self.busy = busy;
    return was;
}

size_t tl_lo_inversions(struct tl_lo_inversion **out, size_t *dropped)
{
    bool was = tl_lo_set_busy(true);
    lo_lock();
    size_t n = lo.ninv;
    *dropped = lo.dropped;
    lo_unlock();
    *out = NULL;
    if (n > 0 && (*out = malloc(n * sizeof **out)) != NULL) {
        lo_lock();
        memcpy(*out, lo.inv, n * sizeof **out); /* entries are only ever appended */
        lo_unlock();
    }
    tl_lo_set_busy(was);
    return *out != NULL ? n : 0;
}

void tl_lo_atfork_prepare(void)
{
    tl_lo_self.busy = true;
    lo_lock();
}

void tl_lo_atfork_parent(void)
{
    lo_unlock();
    tl_lo_self.busy = false;
}

void tl_lo_atfork_child(void)
{
    lo_unlock();
    tl_lo_self.busy = false;
}
