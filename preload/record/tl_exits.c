/* tl_exits: the ring of recent thread exits (see tl_exits.h). A spin lock guards it: a writer holds
 * it for a few stores, on the exit path of a thread, where no malloc and no blocking lock may run.
 */
#include "tl_exits.h"

#include <errno.h>
#include <sched.h>

struct exit_rec {
    uint64_t seq;
    pid_t tid;
    tl_stack_id stack;
};

static struct {
    int lock;                        /* spin lock: 0 free, 1 held */
    unsigned head;                   /* next slot to write (mod TL_EXITS_MAX); lock */
    struct exit_rec e[TL_EXITS_MAX]; /* lock */
} ring;

static void ring_lock(void)
{
    while (__atomic_exchange_n(&ring.lock, 1, __ATOMIC_ACQUIRE))
        sched_yield(); /* held for a few stores only */
}

static void ring_unlock(void)
{
    __atomic_store_n(&ring.lock, 0, __ATOMIC_RELEASE);
}

void tl_exits_note(uint64_t seq, pid_t tid, tl_stack_id created_stack)
{
    if (tid == 0)
        return;
    int saved = errno;
    tl_stack_ref(created_stack);
    ring_lock();
    struct exit_rec *slot = &ring.e[ring.head++ % TL_EXITS_MAX];
    tl_stack_id old = slot->stack;
    *slot = (struct exit_rec){seq, tid, created_stack};
    ring_unlock();
    tl_stack_unref(old); /* outside the ring lock: it takes the stack table's */
    errno = saved;
}

uint64_t tl_exits_find(pid_t tid, tl_stack_id *stack)
{
    uint64_t seq = 0;
    *stack = 0;
    ring_lock();
    for (unsigned k = 1; k <= TL_EXITS_MAX && seq == 0; k++) {
        const struct exit_rec *e = &ring.e[(ring.head - k) % TL_EXITS_MAX];
        if (e->tid == tid && e->seq != 0) {
            seq = e->seq;
            *stack = e->stack;
        }
    }
    ring_unlock();
    tl_stack_ref(*stack);
    return seq;
}

void tl_exits_atfork_child(void)
{
    ring.lock = 0;
}
