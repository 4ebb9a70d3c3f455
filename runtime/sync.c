/*
 * WaitGroup and mutex: value types the caller embeds (gor.h), each a small spinlock (gor_lock)
 * guarding a counter or an owner flag plus a queue of waiters. Both hand ownership or the wake-up
 * straight to waiters, so a parked task never retries. The mutex is FIFO: unlock passes it to the
 * oldest waiter (no barging), which keeps the wait-for picture simple for the detector.
 */
#include <string.h>

#include "gor_impl.h"

_Static_assert(sizeof(struct gor_lock) == sizeof(uint32_t), "gor_lock fits the public field");

static struct gor_lock *wg_lock(gor_wg *wg)
{
    return (struct gor_lock *)&wg->lock_;
}

static void gor_i_wg_init(gor_wg *wg)
{
    memset(wg, 0, sizeof *wg);
}

static void gor_i_wg_add(gor_wg *wg, int64_t delta)
{
    gor_note_outside_thread();
    gor_lock(wg_lock(wg));
    wg->count_ += delta;
    if (wg->count_ < 0) {
        gor_unlock(wg_lock(wg));
        gor_panic("sync: negative WaitGroup counter (%p)", (void *)wg);
    }
    struct gor_waiter *wake = NULL;
    if (wg->count_ == 0) {
        wake = wg->waiters_;
        wg->waiters_ = NULL;
    }
    gor_unlock(wg_lock(wg));
    while (wake != NULL) {
        struct gor_waiter *wt = wake;
        wake = wt->next;
        gor_waiter_wake(wt);
    }
}

static void gor_i_wg_done(gor_wg *wg)
{
    gor_i_wg_add(wg, -1);
}

static void gor_i_wg_wait(gor_wg *wg)
{
    gor_note_outside_thread();
    gor_lock(wg_lock(wg));
    if (wg->count_ == 0) {
        gor_unlock(wg_lock(wg));
        return;
    }
    struct gor_waiter wt;
    gor_waiter_init(&wt, NULL);
    wt.next = wg->waiters_;
    wg->waiters_ = &wt;
    gor_waiter_block(&wt, "WaitGroup wait", wg, gor_unlock_cb, wg_lock(wg));
}

static struct gor_lock *mu_lock(gor_mutex *m)
{
    return (struct gor_lock *)&m->lock_;
}

static struct gor_waitq *mu_queue(gor_mutex *m)
{
    _Static_assert(offsetof(gor_mutex, tail_) == offsetof(gor_mutex, head_) + sizeof(void *),
                   "head_ and tail_ form a wait queue");
    return (struct gor_waitq *)&m->head_;
}

static void gor_i_mutex_init(gor_mutex *m)
{
    memset(m, 0, sizeof *m);
}

static void gor_i_mutex_lock(gor_mutex *m)
{
    gor_note_outside_thread();
    gor_lock(mu_lock(m));
    if (!m->locked_) {
        m->locked_ = 1;
        gor_unlock(mu_lock(m));
        return;
    }
    struct gor_waiter wt;
    gor_waiter_init(&wt, NULL);
    gor_waitq_push(mu_queue(m), &wt);
    gor_waiter_block(&wt, "mutex lock", m, gor_unlock_cb, mu_lock(m));
    /* woken as the new owner: unlock left locked_ set for us */
}

static bool gor_i_mutex_trylock(gor_mutex *m)
{
    gor_lock(mu_lock(m));
    bool got = !m->locked_;
    m->locked_ = 1;
    gor_unlock(mu_lock(m));
    return got;
}

static void gor_i_mutex_unlock(gor_mutex *m)
{
    gor_lock(mu_lock(m));
    if (!m->locked_) {
        gor_unlock(mu_lock(m));
        gor_panic("sync: unlock of unlocked mutex %p", (void *)m);
    }
    struct gor_waiter *wt = gor_waitq_pop(mu_queue(m));
    if (wt == NULL)
        m->locked_ = 0;
    gor_unlock(mu_lock(m));
    if (wt != NULL)
        gor_waiter_wake(wt);
}

GOR_ALIAS(gor_wg_init, gor_i_wg_init);
GOR_ALIAS(gor_wg_add, gor_i_wg_add);
GOR_ALIAS(gor_wg_done, gor_i_wg_done);
GOR_ALIAS(gor_wg_wait, gor_i_wg_wait);
GOR_ALIAS(gor_mutex_init, gor_i_mutex_init);
GOR_ALIAS(gor_mutex_lock, gor_i_mutex_lock);
GOR_ALIAS(gor_mutex_trylock, gor_i_mutex_trylock);
GOR_ALIAS(gor_mutex_unlock, gor_i_mutex_unlock);
