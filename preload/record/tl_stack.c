/* tl_stack: cheap stack capture and the deduplicating stack table.
 *
 * DESIGN. Capture happens on every pthread_create and gor spawn, so it must cost little: raw
 * return addresses from unw_backtrace (libunwind's cached fast path on x86-64), no symbolization.
 * Most programs create threads from a handful of call sites, so stacks are interned: the hash is
 * computed before taking the lock, the lock covers one uthash lookup (and an insert when the stack
 * is new; the entry is allocated before locking), and the result is a small integer id. Ids index
 * a slot array, so tl_stack_frames is O(1); freed ids go on a free list, so a program that churns
 * through a million threads reuses a few slots.
 *
 * The lock is our own tiny spinlock, not a pthread mutex: the detector interposes
 * pthread_mutex_lock in this same shared object, and a call from here would re-enter the
 * registry. Critical sections are a few hundred instructions; a waiter spins briefly and then
 * yields. No code under the lock calls out to anything that could take another lock of ours.
 */
#define UNW_LOCAL_ONLY
#include "tl_stack.h"

#include <errno.h>
#include <link.h>
#include <libunwind.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "tl_hash.h"
#include "tl_vec.h"

struct stack_entry {
    UT_hash_handle hh; /* in stack_table.by_frames; key = ips[0..n) */
    uint32_t refs;     /* references held by units; under stack_table.lock */
    tl_stack_id id;    /* slot index + 1; constant */
    int n;             /* frame count; constant */
    uintptr_t ips[];   /* the frames; constant while referenced */
};

struct stack_slot {
    struct stack_entry *entry; /* NULL when free */
    uint32_t next_free;        /* next free slot index + 1 (0 = end), valid when entry is NULL */
};

/* The whole module state; every field under lock. */
static struct {
    int lock;                      /* 0 free, 1 held: see lock_table */
    struct stack_entry *by_frames; /* uthash head */
    struct stack_slot *slots;      /* id - 1 -> entry */
    uint32_t nslots;               /* slots in use (ever handed out) */
    size_t capslots;               /* slots allocated */
    uint32_t free_head;            /* first free slot index + 1, 0 = none */
    size_t count;                  /* distinct stacks held */
} stack_table;

static void lock_table(void)
{
    for (int spins = 0; __atomic_exchange_n(&stack_table.lock, 1, __ATOMIC_ACQUIRE); spins++) {
        while (__atomic_load_n(&stack_table.lock, __ATOMIC_RELAXED)) {
            if (spins++ < 100)
                __builtin_ia32_pause();
            else
                sched_yield();
        }
    }
}

static void unlock_table(void)
{
    __atomic_store_n(&stack_table.lock, 0, __ATOMIC_RELEASE);
}

/* Unwinds in progress, and whether this process may unwind at all. libunwind and the dynamic
 * linker take locks of their own while unwinding; a child forked while another thread was inside
 * them inherits those locks held by a thread that does not exist there, and its first unwind
 * would hang. So the child of such a fork unwinds nothing (stacks are empty, never a hang); the
 * counter costs one uncontended atomic add and subtract per unwind. */
static int keep_depth; /* stack_depth=; written once at start-up (tl_stack_set_depth) */

void tl_stack_set_depth(int depth)
{
    keep_depth = depth < 0 ? 0 : depth > TL_STACK_MAX_FRAMES ? TL_STACK_MAX_FRAMES : depth;
}

int tl_stack_depth(void)
{
    return keep_depth;
}

static int unwinds_inflight; /* __atomic builtins: plain objects, as clang requires */
static bool unwind_off;
static bool (*busy_hook)(bool busy); /* __atomic builtins; set by the lock-order recorder */

void tl_stack_set_busy_hook(bool (*set_busy)(bool busy))
{
    __atomic_store_n(&busy_hook, set_busy, __ATOMIC_RELEASE);
}

/* While unwinding, the thread's lock acquisitions are not recorded in the lock-order graph:
 * libunwind takes its own mutexes (possibly through another preload's wrappers), and a new pair
 * among them would make the recorder unwind inside the unwinder. */
static bool unwind_enter(bool *was_busy)
{
    if (__atomic_load_n(&unwind_off, __ATOMIC_RELAXED))
        return false;
    __atomic_fetch_add(&unwinds_inflight, 1, __ATOMIC_ACQUIRE);
    bool (*hook)(bool) = __atomic_load_n(&busy_hook, __ATOMIC_ACQUIRE);
    *was_busy = hook != NULL && hook(true);
    return true;
}

static void unwind_leave(bool was_busy)
{
    bool (*hook)(bool) = __atomic_load_n(&busy_hook, __ATOMIC_ACQUIRE);
    if (hook != NULL)
        hook(was_busy);
    __atomic_fetch_sub(&unwinds_inflight, 1, __ATOMIC_RELEASE);
}

__attribute__((noinline)) int tl_stack_capture(uintptr_t *ips, int max, int skip)
{
    void *buf[TL_STACK_MAX_FRAMES + 32];
    bool was_busy;
    if (!unwind_enter(&was_busy))
        return 0;
    int saved = errno;
    if (max > TL_STACK_MAX_FRAMES)
        max = TL_STACK_MAX_FRAMES;
    if (skip < 0)
        skip = 0;
    if (skip > 31)
        skip = 31;
    /* buf[0] is inside this function: skip it and the caller's `skip` frames. */
    int got = unw_backtrace(buf, max + skip + 1);
    int n = 0;
    for (int i = skip + 1; i < got && n < max; i++)
        ips[n++] = (uintptr_t)buf[i];
    unwind_leave(was_busy);
    errno = saved;
    return n;
}

uint32_t tl_stack_hash(const uintptr_t *ips, int n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        h ^= ips[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

/* Takes a free slot for e (growing the array when needed); 0 on OOM. Under the lock. */
static tl_stack_id slot_take(struct stack_entry *e)
{
    uint32_t idx;
    if (stack_table.free_head) {
        idx = stack_table.free_head - 1;
        stack_table.free_head = stack_table.slots[idx].next_free;
    } else {
        if (stack_table.nslots == UINT32_MAX - 1 || /* ids are slot + 1 in 32 bits */
            TL_VEC_PUSH_SLOT(stack_table.slots, stack_table.capslots, stack_table.nslots) != 0)
            return 0;
        idx = stack_table.nslots++;
    }
    stack_table.slots[idx].entry = e;
    return idx + 1;
}

static void slot_release(tl_stack_id id)
{
    stack_table.slots[id - 1].entry = NULL;
    stack_table.slots[id - 1].next_free = stack_table.free_head;
    stack_table.free_head = id;
}

/* Inserts the new entry e; returns its id or 0 on OOM (e is then not in the table). */
static tl_stack_id insert_locked(struct stack_entry *e, uint32_t hash)
{
    e->id = slot_take(e);
    if (!e->id)
        return 0;
    tl_hash_oom = 0;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, stack_table.by_frames, e->ips, e->n * sizeof(uintptr_t), hash,
                                e);
    if (tl_hash_oom) {
        slot_release(e->id);
        return 0;
    }
    stack_table.count++;
    return e->id;
}

tl_stack_id tl_stack_intern(const uintptr_t *ips, int n)
{
    struct stack_entry *found, *fresh;
    tl_stack_id id = 0;
    int saved = errno;
    if (n <= 0 || n > TL_STACK_MAX_FRAMES)
        return 0;
    uint32_t hash = tl_stack_hash(ips, n);
    /* Allocated before locking so the critical section stays short; freed if not needed. */
    fresh = malloc(sizeof *fresh + (size_t)n * sizeof(uintptr_t));
    if (fresh) {
        fresh->refs = 1;
        fresh->n = n;
        memcpy(fresh->ips, ips, (size_t)n * sizeof(uintptr_t));
    }
    lock_table();
    HASH_FIND_BYHASHVALUE(hh, stack_table.by_frames, ips, n * sizeof(uintptr_t), hash, found);
    if (found) {
        found->refs++;
        id = found->id;
    } else if (fresh) {
        id = insert_locked(fresh, hash);
    }
    unlock_table();
    if (found || !id)
        free(fresh);
    errno = saved;
    return id;
}

/* The entry of id, or NULL. Under the lock. */
static struct stack_entry *entry_of(tl_stack_id id)
{
    if (id == 0 || id > stack_table.nslots)
        return NULL;
    return stack_table.slots[id - 1].entry;
}

void tl_stack_ref(tl_stack_id id)
{
    lock_table();
    struct stack_entry *e = entry_of(id);
    if (e)
        e->refs++;
    unlock_table();
}

void tl_stack_unref(tl_stack_id id)
{
    struct stack_entry *dead = NULL;
    int saved = errno;
    lock_table();
    struct stack_entry *e = entry_of(id);
    if (e && --e->refs == 0) {
        HASH_DELETE(hh, stack_table.by_frames, e);
        slot_release(id);
        stack_table.count--;
        dead = e;
    }
    unlock_table();
    free(dead); /* outside the lock: free may be slow or instrumented */
    errno = saved;
}

const uintptr_t *tl_stack_frames(tl_stack_id id, int *n)
{
    lock_table();
    struct stack_entry *e = entry_of(id);
    *n = e ? e->n : 0;
    unlock_table();
    return e ? e->ips : NULL;
}

size_t tl_stack_count(void)
{
    lock_table();
    size_t c = stack_table.count;
    unlock_table();
    return c;
}

int tl_stack_unwind_context(void *unw_context, uintptr_t *ips, int max)
{
    unw_cursor_t cursor;
    unw_word_t ip;
    int n = 0, saved = errno;
    if (max > TL_STACK_MAX_FRAMES)
        max = TL_STACK_MAX_FRAMES;
    bool was_busy;
    if (!unwind_enter(&was_busy))
        return 0;
    if (unw_init_local(&cursor, (unw_context_t *)unw_context) < 0)
        goto out;
    do {
        if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        ips[n++] = (uintptr_t)ip;
    } while (n < max && unw_step(&cursor) > 0);
out:
    unwind_leave(was_busy);
    errno = saved;
    return n;
}

/* ---- the detector's own frames ---- */

/* The address range of this shared object; computed once, racing computations agree. */
static struct {
    uintptr_t lo, hi; /* written before `known` is released; constant afterwards */
    int known;        /* 0 not yet computed, 1 computed (release/acquire) */
} own_text;

struct object_query {
    uintptr_t addr, lo, hi; /* in: addr; out: the containing object's load range */
    bool main_program;      /* out: that object is the main executable */
};

static int object_range_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct object_query *q = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t b = info->dlpi_addr + ph->p_vaddr;
        lo = b < lo ? b : lo;
        hi = b + ph->p_memsz > hi ? b + ph->p_memsz : hi;
    }
    if (q->addr < lo || q->addr >= hi)
        return 0;
    q->lo = lo;
    q->hi = hi;
    q->main_program = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
    return 1;
}

bool tl_stack_object_range(uintptr_t addr, uintptr_t *lo, uintptr_t *hi, bool *main_program)
{
    struct object_query q = {.addr = addr};
    bool found = dl_iterate_phdr(object_range_cb, &q) != 0;
    *lo = found ? q.lo : 0;
    *hi = found ? q.hi : 0;
    if (main_program != NULL)
        *main_program = found && q.main_program;
    return found;
}

/* A sanitizer runtime's interceptors stand between the program's call and ours when it was
 * preloaded first (ASan's pthread_create calls the next one, the detector's): their frames right
 * below our call frame are cut too, so the stack starts where the program called. Weak: resolved
 * only when that runtime is loaded. */
extern void __asan_init(void) __attribute__((weak));
static struct {
    uintptr_t lo, hi;
    int known;
} san_text;

static bool is_sanitizer(uintptr_t ip)
{
    if (!__atomic_load_n(&san_text.known, __ATOMIC_ACQUIRE)) {
        uintptr_t r[2] = {0, 0};
        if (__asan_init == NULL ||
            !tl_stack_object_range((uintptr_t)__asan_init, &r[0], &r[1], NULL))
            r[0] = r[1] = 0;
        __atomic_store_n(&san_text.lo, r[0], __ATOMIC_RELAXED);
        __atomic_store_n(&san_text.hi, r[1], __ATOMIC_RELAXED);
        __atomic_store_n(&san_text.known, 1, __ATOMIC_RELEASE);
    }
    return ip >= __atomic_load_n(&san_text.lo, __ATOMIC_RELAXED) &&
           ip < __atomic_load_n(&san_text.hi, __ATOMIC_RELAXED);
}

static bool is_own(uintptr_t ip)
{
    if (!__atomic_load_n(&own_text.known, __ATOMIC_ACQUIRE)) {
        /* Linked into the main program (the unit tests), nothing of ours is to be stripped. */
        uintptr_t r[2];
        bool main_program;
        if (!tl_stack_object_range((uintptr_t)&tl_stack_strip_own, &r[0], &r[1], &main_program) ||
            main_program)
            r[0] = r[1] = 0;
        __atomic_store_n(&own_text.lo, r[0], __ATOMIC_RELAXED);
        __atomic_store_n(&own_text.hi, r[1], __ATOMIC_RELAXED);
        __atomic_store_n(&own_text.known, 1, __ATOMIC_RELEASE);
    }
    return ip >= __atomic_load_n(&own_text.lo, __ATOMIC_RELAXED) &&
           ip < __atomic_load_n(&own_text.hi, __ATOMIC_RELAXED);
}

int tl_stack_strip_own(uintptr_t *ips, int n, const char *call)
{
    int saved = errno, from = 0, out = 0;
    if (call != NULL && n > 0) {
        from = 1; /* the bracket's frame: ours by construction */
        ips[out++] = tl_stack_call_frame(call);
    }
    bool below_call = true; /* still right under our frames (and our call frame, if any) */
    for (; from < n; from++) {
        if (is_own(ips[from]) || tl_stack_frame_call(ips[from]) != NULL)
            continue;
        if (below_call && is_sanitizer(ips[from]))
            continue; /* the interceptor that forwarded the program's call to us */
        below_call = false;
        ips[out++] = ips[from];
    }
    errno = saved;
    return out;
}

void tl_stack_atfork_prepare(void)
{
    lock_table(); /* the child then inherits a table no thread was in the middle of changing */
}

void tl_stack_atfork_parent(void)
{
    unlock_table();
}

void tl_stack_atfork_child(void)
{
    /* Either our prepare handler holds the lock (released here, table consistent), or the
     * caller did not use it and a parent thread that no longer exists may have held it: reset
     * rather than deadlock the child forever. */
    __atomic_store_n(&stack_table.lock, 0, __ATOMIC_RELEASE);
    /* Only the forking thread exists here; any other unwind counted was cut off mid-way. */
    if (__atomic_load_n(&unwinds_inflight, __ATOMIC_ACQUIRE) != 0)
        __atomic_store_n(&unwind_off, true, __ATOMIC_RELAXED);
    __atomic_store_n(&unwinds_inflight, 0, __ATOMIC_RELAXED);
}

void tl_stack_clear(void)
{
    lock_table();
    /* Drop the hash index first (it reads the head entry), then every entry through its slot. */
    HASH_CLEAR(hh, stack_table.by_frames);
    for (uint32_t i = 0; i < stack_table.nslots; i++)
        free(stack_table.slots[i].entry);
    free(stack_table.slots);
    stack_table.slots = NULL;
    stack_table.nslots = stack_table.free_head = 0;
    stack_table.capslots = 0;
    stack_table.count = 0;
    unlock_table();
}
