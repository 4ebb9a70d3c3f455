/*
 * Waiters: the one record of a blocked task or plain thread, linked into the wait queue of the
 * object it waits on (Go's sudog). A task parks (gor_park, releasing the object's lock once it
 * is off its stack); a plain thread releases the lock and sleeps on a futex word. The waker
 * finishes every write to the waiter before gor_waiter_wake: the waiter lives on the blocked
 * stack and may vanish right after.
 *
 * A select enqueues one waiter per case, all sharing a gor_select_state: whoever wins the CAS on
 * `winner` (under the lock of that case's channel) completes the select; the other queues drop
 * the losing waiters when they meet them (gor_waitq_pop) or when the select cleans up.
 */
#include <string.h>

#include "gor_impl.h"

_Atomic int gor_outside_threads;
static pthread_key_t outside_key;
static pthread_once_t outside_once = PTHREAD_ONCE_INIT;
__thread bool gor_outside_noted __attribute__((tls_model("initial-exec")));

static void outside_exit(void *p)
{
    (void)p;
    atomic_fetch_sub(&gor_outside_threads, 1);
}

static void outside_init(void)
{
    if (pthread_key_create(&outside_key, outside_exit) != 0)
        gor_panic("cannot create a thread key");
}

void gor_outside_exempt(void)
{
    gor_outside_noted = true;
}

void gor_note_outside_slow(void)
{
    if (gor_cur_worker() != NULL)
        return;
    gor_outside_noted = true;
    pthread_once(&outside_once, outside_init);
    atomic_fetch_add(&gor_outside_threads, 1);
    pthread_setspecific(outside_key, (void *)1);
}

void gor_waiter_init(struct gor_waiter *wt, void *elem)
{
    memset(wt, 0, sizeof *wt);
    wt->task = gor_cur_task();
    wt->elem = elem;
}

static _Atomic uint32_t *wake_word(struct gor_waiter *wt)
{
    return wt->sel != NULL ? &wt->sel->wake : &wt->wake;
}

void gor_waiter_block(struct gor_waiter *wt, const char *reason, const void *obj,
                      void (*unlock)(void *), void *arg)
{
    if (wt->task != NULL) {
        gor_park(reason, obj, unlock, arg);
        return;
    }
    gor_note_outside_thread();
    _Atomic uint32_t *word = wake_word(wt);
    atomic_fetch_add(&gor_outside_waiters, 1);
    if (unlock != NULL)
        unlock(arg);
    while (atomic_load_explicit(word, memory_order_acquire) == 0)
        gor_futex_wait(word, 0, -1);
    atomic_fetch_sub(&gor_outside_waiters, 1);
}

void gor_waiter_wake(struct gor_waiter *wt)
{
    if (wt->task != NULL) {
        gor_ready(wt->task);
        return;
    }
    _Atomic uint32_t *word = wake_word(wt);
    atomic_store_explicit(word, 1, memory_order_release);
    gor_futex_wake(word, 1); /* the word may be gone already: a harmless wake */
}

bool gor_waiter_claim(struct gor_waiter *wt)
{
    if (wt->sel == NULL)
        return true;
    int expected = -1;
    return atomic_compare_exchange_strong(&wt->sel->winner, &expected, wt->index);
}

void gor_waitq_push(struct gor_waitq *q, struct gor_waiter *wt)
{
    wt->next = NULL;
    wt->prev = q->tail;
    if (q->tail != NULL)
        q->tail->next = wt;
    else
        q->head = wt;
    q->tail = wt;
    wt->queued = true;
}

void gor_waitq_remove(struct gor_waitq *q, struct gor_waiter *wt)
{
    if (!wt->queued)
        return;
    if (wt->prev != NULL)
        wt->prev->next = wt->next;
    else
        q->head = wt->next;
    if (wt->next != NULL)
        wt->next->prev = wt->prev;
    else
        q->tail = wt->prev;
    wt->queued = false;
}

struct gor_waiter *gor_waitq_pop(struct gor_waitq *q)
{
    struct gor_waiter *wt;
    while ((wt = q->head) != NULL) {
        gor_waitq_remove(q, wt);
        if (gor_waiter_claim(wt))
            return wt;
    }
    return NULL;
}
