/*
 * The wait table: every task's state and wait in one dense array, so that a tool's periodic look
 * over a million tasks (gor_introspect_waits) reads memory sequentially instead of taking a cache
 * and TLB miss on each task's own stack mapping, where the task struct lives.
 *
 * Each stack carved by the pool (stack.c) gets one slot for good, and a pooled stack is a pooled
 * task, so a slot belongs to one task at a time and the table never holds more slots than the most
 * stacks the program ever had. The slot is the only home of the task's state and wait: the park,
 * ready and switch paths store into it (t->slot) where they used to store into the task struct,
 * so keeping the table costs them nothing more. A slot is 64 bytes, one cache line, so tasks that
 * run on different workers never share a line.
 *
 * The table grows by chunks of GOR_SLOT_CHUNK slots, mapped when first needed and never unmapped
 * or moved, so readers walk it without a lock. A slot is published by its id (release store, after
 * the rest) and retired by storing id 0 when its task exits; a reader re-reads the id after
 * copying and drops the slot when it changed, which catches a slot handed to a new task meanwhile
 * (ids are never reused). Tasks of a parent process, frozen in a forked child, are told apart by
 * their fork epoch.
 */
#include <sys/mman.h>

#include "gor_impl.h"

#define GOR_SLOT_CHUNK  4096 /* slots per chunk: 256 KiB */
#define GOR_SLOT_CHUNKS 4096 /* chunks at most: 16M stacks, far past what memory holds */

static struct gor_slot *_Atomic chunks[GOR_SLOT_CHUNKS];
static _Atomic size_t nslots; /* slots handed out; written under the stack pool lock */

struct gor_slot *gor_slot_new(void)
{
    size_t i = atomic_load_explicit(&nslots, memory_order_relaxed);
    if (i == (size_t)GOR_SLOT_CHUNK * GOR_SLOT_CHUNKS)
        return NULL;
    struct gor_slot *c = atomic_load_explicit(&chunks[i / GOR_SLOT_CHUNK], memory_order_relaxed);
    if (c == NULL) {
        c = mmap(NULL, GOR_SLOT_CHUNK * sizeof *c, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c == MAP_FAILED)
            return NULL;
        atomic_store_explicit(&chunks[i / GOR_SLOT_CHUNK], c, memory_order_release);
    }
    atomic_store_explicit(&nslots, i + 1, memory_order_release);
    return &c[i % GOR_SLOT_CHUNK];
}

/* Publishes s for task t, with a fresh state and no wait: the last store is the id. */
void gor_slot_claim(struct gor_slot *s, int64_t id, uint32_t epoch)
{
    atomic_store_explicit(&s->state, GOR_TASK_RUNNABLE, memory_order_relaxed);
    atomic_store_explicit(&s->wait_reason, NULL, memory_order_relaxed);
    atomic_store_explicit(&s->wait_obj, NULL, memory_order_relaxed);
    atomic_store_explicit(&s->wait_since, 0, memory_order_relaxed);
    atomic_store_explicit(&s->epoch, epoch, memory_order_relaxed);
    atomic_store_explicit(&s->id, id, memory_order_release);
}

void gor_slot_retire(struct gor_slot *s)
{
    atomic_store_explicit(&s->state, GOR_TASK_EXITED, memory_order_relaxed);
    atomic_store_explicit(&s->id, 0, memory_order_release);
}

/* Copies slot s into o when a live task of this process owns it for the whole copy. */
static bool copy_slot(const struct gor_slot *s, uint32_t epoch, struct gor_task_wait *o)
{
    int64_t id = atomic_load_explicit(&s->id, memory_order_acquire);
    if (id == 0 || atomic_load_explicit(&s->epoch, memory_order_relaxed) != epoch)
        return false;
    o->id = id;
    o->state = atomic_load_explicit(&s->state, memory_order_relaxed);
    o->wait_reason = atomic_load_explicit(&s->wait_reason, memory_order_acquire);
    o->wait_since_ns =
        o->wait_reason ? atomic_load_explicit(&s->wait_since, memory_order_relaxed) : 0;
    atomic_thread_fence(memory_order_acquire);
    return o->state != GOR_TASK_EXITED && atomic_load_explicit(&s->id, memory_order_relaxed) == id;
}

size_t gor_slot_waits(struct gor_task_wait *out, size_t max, size_t *total)
{
    size_t n = 0, seen = 0, all = atomic_load_explicit(&nslots, memory_order_acquire);
    uint32_t epoch = atomic_load_explicit(&gor_fork_epoch, memory_order_relaxed);
    struct gor_task_wait spare;
    for (size_t c = 0; c * GOR_SLOT_CHUNK < all; c++) {
        const struct gor_slot *s = atomic_load_explicit(&chunks[c], memory_order_acquire);
        size_t end =
            all - c * GOR_SLOT_CHUNK < GOR_SLOT_CHUNK ? all - c * GOR_SLOT_CHUNK : GOR_SLOT_CHUNK;
        for (size_t i = 0; i < end; i++) {
            if (!copy_slot(&s[i], epoch, n < max ? &out[n] : &spare))
                continue;
            seen++;
            n += n < max;
        }
    }
    if (total != NULL)
        *total = seen;
    return n;
}

/* gor_introspect_tables: the mapped chunks of the wait table, in the order they were mapped. */
static size_t gor_slot_tables(struct gor_mem_range *out, size_t max)
{
    size_t all = atomic_load_explicit(&nslots, memory_order_acquire), k = 0;
    for (size_t c = 0; c < GOR_SLOT_CHUNKS && c * GOR_SLOT_CHUNK < all; c++, k++) {
        const struct gor_slot *s = atomic_load_explicit(&chunks[c], memory_order_acquire);
        if (k < max)
            out[k] = (struct gor_mem_range){(uintptr_t)s, (uintptr_t)(s + GOR_SLOT_CHUNK)};
    }
    return k;
}

GOR_ALIAS(gor_introspect_waits, gor_slot_waits);
GOR_ALIAS(gor_introspect_tables, gor_slot_tables);
