/*
 * gor_select, as Go's selectgo: lock every distinct channel in address order (so two selects
 * over the same channels cannot deadlock and no wake-up is lost between the check and the
 * enqueue), look at the cases in a uniformly random order and complete the first ready one.
 * Otherwise enqueue one waiter per case, all sharing a gor_select_state, and park; the peer that
 * wins the CAS on `winner` completes that case. After the wake-up the select relocks the channels
 * and removes its losing waiters.
 *
 * A positive timeout is one more receive case on a private timer channel (timer.c), so timeouts
 * need no separate wake-up path. NULL channels never proceed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gor_impl.h"

enum { SMALL = 16 };

struct sel_locks {
    gor_chan **chans; /* distinct channels, sorted by address */
    size_t n;
};

static void lock_all(struct sel_locks *l)
{
    for (size_t i = 0; i < l->n; i++)
        gor_lock(&l->chans[i]->lock);
}

static void unlock_all(void *arg)
{
    struct sel_locks *l = arg;
    for (size_t i = l->n; i-- > 0;)
        gor_unlock(&l->chans[i]->lock);
}

/* Collects the distinct non-NULL channels of cases (+ the timer channel) in address order. */
static void sort_chans(struct sel_locks *l, const gor_case *cases, size_t n, gor_chan *timer)
{
    l->n = 0;
    for (size_t i = 0; i <= n; i++) {
        gor_chan *c = i < n ? cases[i].chan : timer;
        if (c == NULL)
            continue;
        size_t j = l->n;
        bool dup = false;
        for (size_t k = 0; k < l->n; k++)
            dup |= l->chans[k] == c;
        if (dup)
            continue;
        while (j > 0 && (uintptr_t)l->chans[j - 1] > (uintptr_t)c) {
            l->chans[j] = l->chans[j - 1];
            j--;
        }
        l->chans[j] = c;
        l->n++;
    }
}

/* Tries case i with its channel locked; true when it proceeded. */
static bool try_case(gor_case *cs)
{
    if (cs->dir == GOR_SEND)
        return gor_chan_try_send_locked(cs->chan, cs->elem);
    return gor_chan_try_recv_locked(cs->chan, cs->elem, &cs->ok);
}

static int poll_cases(gor_case *cases, size_t n, gor_chan *timer, size_t *order)
{
    uint64_t seed = (uint64_t)gor_i_now() ^ (uint64_t)(uintptr_t)&seed;
    struct gor_worker *w = gor_cur_worker();
    uint64_t *rng = w != NULL ? &w->rng : &seed;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates: every order equally likely */
        size_t j = (size_t)(gor_rand(rng) % i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    for (size_t k = 0; k < n; k++) {
        gor_case *cs = &cases[order[k]];
        if (cs->chan != NULL && try_case(cs))
            return (int)order[k];
    }
    bool ok;
    if (timer != NULL && gor_chan_try_recv_locked(timer, NULL, &ok))
        return GOR_TIMEOUT;
    return -2;
}

static void enqueue_all(gor_case *cases, size_t n, gor_chan *timer, struct gor_waiter *wts,
                        struct gor_select_state *st)
{
    for (size_t i = 0; i <= n; i++) {
        gor_chan *c = i < n ? cases[i].chan : timer;
        gor_waiter_init(&wts[i], i < n ? cases[i].elem : NULL);
        wts[i].sel = st;
        wts[i].index = (int)i; /* n: the timer case; -1 in `winner` means none yet */
        wts[i].chan = c;
        if (c == NULL)
            continue;
        bool recv = i == n || cases[i].dir == GOR_RECV;
        gor_waitq_push(recv ? &c->recvq : &c->sendq, &wts[i]);
    }
}

static void dequeue_all(gor_case *cases, size_t n, struct gor_waiter *wts)
{
    for (size_t i = 0; i <= n; i++) {
        gor_chan *c = wts[i].chan;
        if (c == NULL)
            continue;
        bool recv = i == n || cases[i].dir == GOR_RECV;
        gor_waitq_remove(recv ? &c->recvq : &c->sendq, &wts[i]);
    }
}

static int select_locked(gor_case *cases, size_t n, int64_t timeout, struct sel_locks *l,
                         gor_chan *timer, size_t *order, struct gor_waiter *wts)
{
    lock_all(l);
    int r = poll_cases(cases, n, timer, order);
    if (r != -2 || timeout == 0) {
        unlock_all(l);
        return r == -2 ? GOR_TIMEOUT : r;
    }
    struct gor_select_state st = {.winner = -1, .wake = 0};
    enqueue_all(cases, n, timer, wts, &st);
    gor_waiter_block(&wts[0], "select", cases, unlock_all, l);
    lock_all(l);
    dequeue_all(cases, n, wts);
    unlock_all(l);
    int win = atomic_load(&st.winner);
    gor_assert(win >= 0); /* woken only by whoever claimed a case */
    if (win == (int)n)
        return GOR_TIMEOUT;
    if (wts[win].closed)
        gor_panic("send on closed channel %p", (void *)cases[win].chan);
    if (cases[win].dir == GOR_RECV)
        cases[win].ok = wts[win].ok;
    return win;
}

static int gor_i_select(gor_case *cases, size_t n, int64_t timeout_ns)
{
    gor_note_outside_thread();
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= cases[i].chan != NULL;
    if (!any && timeout_ns == 0)
        return GOR_TIMEOUT;
    if (!any && timeout_ns < 0) {
        struct gor_waiter wt;
        gor_waiter_init(&wt, NULL);
        for (;;)
            gor_waiter_block(&wt, n == 0 ? "select (no cases)" : "select", NULL, NULL, NULL);
    }
    gor_chan *small_chans[SMALL + 1];
    size_t small_order[SMALL];
    struct gor_waiter small_wts[SMALL + 1];
    gor_chan **chans = small_chans;
    size_t *order = small_order;
    struct gor_waiter *wts = small_wts;
    if (n > SMALL) {
        chans = malloc((n + 1) * sizeof *chans);
        order = malloc(n * sizeof *order);
        wts = malloc((n + 1) * sizeof *wts);
        if (chans == NULL || order == NULL || wts == NULL)
            gor_panic("select: out of memory for %zu cases", n);
    }
    struct gor_timer tm;
    gor_chan *timer = timeout_ns > 0 ? gor_timer_chan_start(&tm, timeout_ns) : NULL;
    struct sel_locks l = {.chans = chans, .n = 0};
    sort_chans(&l, cases, n, timer);
    int r = select_locked(cases, n, timeout_ns, &l, timer, order, wts);
    if (timer != NULL)
        gor_timer_chan_stop(&tm, timer);
    if (n > SMALL) {
        free(chans);
        free(order);
        free(wts);
    }
    return r;
}

GOR_ALIAS(gor_select, gor_i_select);
