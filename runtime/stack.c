/*
 * Task stacks. Each stack is GOR_STACK bytes (default 64 KiB; 256 KiB under ASan) of
 * MAP_NORESERVE anonymous memory, touched lazily, so an idle task costs the page or two its
 * frames use. The task's struct lives at the top of its own stack, so one allocation serves
 * both and a pooled stack is a pooled task.
 *
 * Overflow protection versus the kernel's map-count limit (vm.max_map_count, 65530 by
 * default): a PROT_NONE guard page splits a mapping, so a guard per stack costs two mappings
 * and could not hold more than ~32k live tasks. Stacks are therefore carved from slabs:
 * - the first GOR_STACK_GUARDS stacks (default max_map_count / 4, 16k) come from slabs of 16
 *   with a guard page under each: an overflow is an immediate SIGSEGV;
 * - later stacks come from slabs of 256 stacks, one mapping each, without guard pages. Every
 *   switch away from a task (park, yield, exit) compares its stack pointer with its stack's
 *   bottom and panics ("stack overflow") when it went below: an overflow still in progress at a
 *   switch is caught. An overflow that unwinds before the task next switches is not, and may
 *   have written into the stack below (slabs are carved top-down, so that is usually the next
 *   stack to be handed out, still unused). A canary word was tried and dropped: reading it even
 *   once maps a page per task, which costs RSS and a page fault per task on exit.
 * 1M tasks thus need 16k guarded stacks (32k mappings) + ~3.9k slabs: under the limit, with
 * ~29k mappings left for the program. gor(3) documents the trade-off.
 *
 * Freed stacks go to a per-worker cache, then to a global free list; memory is never unmapped
 * (introspection may read a stale parked sp safely).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#include "gor_impl.h"

static struct {
    pthread_once_t once;
    size_t size; /* bytes per stack, page multiple; immutable after init */
    size_t page;
    long guard_budget; /* stacks that may still get a guard page; under lock */
    struct gor_lock lock;
    struct gor_task *free; /* free list linked through runq_next; under lock */
    char *slab;            /* current slab being carved, from its top; under lock */
    size_t slab_left;      /* stacks left in it */
    bool slab_guarded;
    bool populate; /* MADV_POPULATE_WRITE works here; under lock */
} P = {.once = PTHREAD_ONCE_INIT, .populate = true};

static void pool_init(void)
{
    P.page = (size_t)sysconf(_SC_PAGESIZE);
#ifdef TL_SANITIZE
    int64_t def = 256 * 1024;
#else
    int64_t def = 64 * 1024;
#endif
    int64_t sz = gor_env_int("GOR_STACK", def, 16 * 1024, 1l << 30);
    P.size = ((size_t)sz + P.page - 1) / P.page * P.page;
    long maps = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
    if (f != NULL) {
        if (fscanf(f, "%ld", &maps) != 1)
            maps = 65530;
        fclose(f);
    }
    P.guard_budget = gor_env_int("GOR_STACK_GUARDS", maps / 4, 0, 1l << 40);
}

/* The pool's free list and slab are kept across a fork (the prepare phase holds the lock);
 * the caches of workers that do not survive are lost to the child. */
void gor_stack_fork(enum gor_fork_phase ph)
{
    if (ph == GOR_FORK_PREPARE)
        gor_lock(&P.lock);
    else
        gor_unlock(&P.lock);
}

/* Maps a new slab; with the lock held. */
static int slab_new(void)
{
    bool guarded = P.guard_budget >= 16;
    size_t n = guarded ? 16 : 256;
    char *m = mmap(NULL, n * P.size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    if (guarded) {
        for (size_t i = 0; i < n; i++)
            if (mprotect(m + i * P.size, P.page, PROT_NONE) != 0)
                guarded = false; /* keep going: the switch-time check still applies */
        P.guard_budget -= (long)n;
    }
    P.slab = m;
    P.slab_left = n;
    P.slab_guarded = guarded;
    return 0;
}

static struct gor_task *carve(void)
{
    if (P.slab_left == 0 && slab_new() != 0)
        return NULL;
    struct gor_slot *slot = gor_slot_new();
    if (slot == NULL)
        return NULL;
    /* top-down: a stack overflows into the next one handed out, which is usually still free */
    char *lo = P.slab + --P.slab_left * P.size;
    /* Populating the top page with one madvise costs a fraction of the page fault the task
     * struct's first write would take (measured 2.7 us against 12.6 us on this project's VM);
     * older kernels say EINVAL and the fault happens as usual. */
    if (P.populate)
        P.populate =
            madvise(lo + P.size - P.page, P.page, MADV_POPULATE_WRITE) == 0 || errno != EINVAL;
    size_t tsz = (sizeof(struct gor_task) + 63) & ~(size_t)63;
    struct gor_task *t = (struct gor_task *)(lo + P.size - tsz);
    t->slot = slot;
    t->stack_lo = lo;
    t->stack_size = P.size;
    t->guarded = P.slab_guarded;
    t->stack_bottom = lo + (P.slab_guarded ? P.page : 0);
    return t;
}

struct gor_task *gor_stack_get(void)
{
    pthread_once(&P.once, pool_init);
    struct gor_worker *w = gor_cur_worker();
    struct gor_task *t = NULL;
    if (w != NULL && w->ncache > 0) {
        t = w->cache[--w->ncache];
    } else {
        gor_lock(&P.lock);
        t = P.free;
        if (t != NULL)
            P.free = t->runq_next;
        else
            t = carve();
        gor_unlock(&P.lock);
        if (t == NULL)
            return NULL;
    }
#ifdef TL_SANITIZE
    __asan_unpoison_memory_region(t->stack_lo, t->stack_size);
#endif
    return t;
}

void gor_stack_check(struct gor_task *t)
{
    char *sp = __builtin_frame_address(0); /* this check runs on the task's own stack */
    if (GOR_UNLIKELY(sp < t->stack_bottom + GOR_SWITCH_RESERVE))
        gor_panic("stack overflow in task %lld (stack %zu bytes, GOR_STACK raises it)",
                  (long long)t->id, t->stack_size);
}

void gor_stack_put(struct gor_task *t)
{
    struct gor_worker *w = gor_cur_worker();
    if (w != NULL && w->ncache < (int)(sizeof w->cache / sizeof w->cache[0])) {
        w->cache[w->ncache++] = t;
        return;
    }
    gor_lock(&P.lock);
    t->runq_next = P.free;
    P.free = t;
    gor_unlock(&P.lock);
}
