/*
 * Channels, with Go's semantics. One lock per channel guards its ring buffer and its two wait
 * queues. A send that finds a waiting receiver copies straight into the receiver's destination
 * and readies it (direct hand-off: an unbuffered channel has no buffer at all); a receive from a
 * full buffer takes the head and refills the tail from the first blocked sender, so FIFO order
 * holds. Close wakes every receiver (ok = false, zeroed value) and makes every blocked sender
 * panic. A NULL channel is Go's nil channel: send and receive block forever.
 *
 * Handles are refcounted; blocked tasks hold no reference, so dropping the last one while tasks
 * wait on the channel is a bug and panics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gor_impl.h"

gor_chan *gor_i_chan_make(size_t elem_size, size_t cap)
{
    if (elem_size > (1u << 20) || (cap != 0 && elem_size > SIZE_MAX / 2 / cap)) {
        errno = EINVAL;
        return NULL;
    }
    gor_chan *c = calloc(1, sizeof *c + elem_size * cap);
    if (c == NULL)
        return NULL;
    atomic_store(&c->refs, 1);
    c->elem_size = elem_size;
    c->cap = cap;
    c->buf = (unsigned char *)(c + 1);
    return c;
}

gor_chan *gor_i_chan_ref(gor_chan *c)
{
    if (c != NULL)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void gor_i_chan_unref(gor_chan *c)
{
    if (c == NULL || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* A sender or receiver that has just completed a hand-off with the caller may still be
     * releasing the lock (its last touch of c): taking the lock waits for that store. */
    gor_lock(&c->lock);
    bool blocked = c->recvq.head != NULL || c->sendq.head != NULL;
    gor_unlock(&c->lock);
    if (blocked)
        gor_panic("channel %p released while tasks are blocked on it", (void *)c);
    free(c);
}

static void copy_elem(const gor_chan *c, void *dst, const void *src)
{
    if (dst == NULL)
        return;
    switch (c->elem_size) { /* word-sized elements are the common case: no call to memcpy */
    case 0:
        break;
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    default:
        memcpy(dst, src, c->elem_size);
    }
}

static void zero_elem(const gor_chan *c, void *dst)
{
    if (dst != NULL && c->elem_size > 0)
        memset(dst, 0, c->elem_size);
}

/* Blocks the caller forever: a nil channel, or a select with nothing to wait for. */
static _Noreturn void block_forever(const char *reason)
{
    struct gor_waiter wt;
    gor_waiter_init(&wt, NULL);
    for (;;)
        gor_waiter_block(&wt, reason, NULL, NULL, NULL);
}

bool gor_chan_try_send_locked(gor_chan *c, const void *elem)
{
    if (c->closed)
        gor_panic("send on closed channel %p", (void *)c);
    struct gor_waiter *wt = gor_waitq_pop(&c->recvq);
    if (wt != NULL) {
        copy_elem(c, wt->elem, elem);
        wt->ok = true;
        gor_waiter_wake(wt);
        return true;
    }
    if (c->len < c->cap) {
        copy_elem(c, c->buf + ((c->head + c->len) % c->cap) * c->elem_size, elem);
        c->len++;
        return true;
    }
    return false;
}

bool gor_chan_try_recv_locked(gor_chan *c, void *elem, bool *ok)
{
    if (c->len > 0) {
        copy_elem(c, elem, c->buf + c->head * c->elem_size);
        struct gor_waiter *wt = gor_waitq_pop(&c->sendq);
        if (wt != NULL) { /* the slot just freed takes the first blocked sender's value */
            copy_elem(c, c->buf + c->head * c->elem_size, wt->elem);
            c->head = (c->head + 1) % c->cap;
            gor_waiter_wake(wt);
        } else {
            c->head = (c->head + 1) % c->cap;
            c->len--;
        }
        *ok = true;
        return true;
    }
    struct gor_waiter *wt = gor_waitq_pop(&c->sendq);
    if (wt != NULL) {
        copy_elem(c, elem, wt->elem);
        gor_waiter_wake(wt);
        *ok = true;
        return true;
    }
    if (c->closed) {
        zero_elem(c, elem);
        *ok = false;
        return true;
    }
    return false;
}

static void gor_i_chan_send(gor_chan *c, const void *elem)
{
    gor_note_outside_thread();
    if (c == NULL)
        block_forever("chan send (nil chan)");
    gor_lock(&c->lock);
    if (gor_chan_try_send_locked(c, elem)) {
        gor_unlock(&c->lock);
        return;
    }
    struct gor_waiter wt;
    gor_waiter_init(&wt, (void *)elem);
    gor_waitq_push(&c->sendq, &wt);
    gor_waiter_block(&wt, "chan send", c, gor_unlock_cb, &c->lock);
    if (wt.closed)
        gor_panic("send on closed channel %p", (void *)c);
}

bool gor_chan_recv_reason(gor_chan *c, void *elem, const char *reason)
{
    gor_note_outside_thread();
    if (c == NULL)
        block_forever("chan receive (nil chan)");
    bool ok;
    gor_lock(&c->lock);
    if (gor_chan_try_recv_locked(c, elem, &ok)) {
        gor_unlock(&c->lock);
        return ok;
    }
    struct gor_waiter wt;
    gor_waiter_init(&wt, elem);
    gor_waitq_push(&c->recvq, &wt);
    gor_waiter_block(&wt, reason, c, gor_unlock_cb, &c->lock);
    return wt.ok;
}

bool gor_i_chan_recv(gor_chan *c, void *elem)
{
    return gor_chan_recv_reason(c, elem, "chan receive");
}

bool gor_chan_offer(gor_chan *c, const void *elem)
{
    gor_lock(&c->lock);
    bool done = !c->closed && gor_chan_try_send_locked(c, elem);
    gor_unlock(&c->lock);
    return done;
}

void gor_i_chan_close(gor_chan *c)
{
    gor_note_outside_thread();
    if (c == NULL)
        gor_panic("close of nil channel");
    gor_lock(&c->lock);
    if (c->closed) {
        gor_unlock(&c->lock);
        gor_panic("close of closed channel %p", (void *)c);
    }
    c->closed = true;
    struct gor_waiter *wake = NULL, *wt;
    while ((wt = gor_waitq_pop(&c->recvq)) != NULL) {
        zero_elem(c, wt->elem);
        wt->ok = false;
        wt->next = wake;
        wake = wt;
    }
    while ((wt = gor_waitq_pop(&c->sendq)) != NULL) {
        wt->closed = true;
        wt->next = wake;
        wake = wt;
    }
    gor_unlock(&c->lock);
    while (wake != NULL) {
        wt = wake;
        wake = wt->next; /* read before the wake: the waiter may vanish right after */
        gor_waiter_wake(wt);
    }
}

static size_t gor_i_chan_len(gor_chan *c)
{
    if (c == NULL)
        return 0;
    gor_lock(&c->lock);
    size_t n = c->len;
    gor_unlock(&c->lock);
    return n;
}

static size_t gor_i_chan_cap(gor_chan *c)
{
    return c != NULL ? c->cap : 0;
}

GOR_ALIAS(gor_chan_make, gor_i_chan_make);
GOR_ALIAS(gor_chan_ref, gor_i_chan_ref);
GOR_ALIAS(gor_chan_unref, gor_i_chan_unref);
GOR_ALIAS(gor_chan_send, gor_i_chan_send);
GOR_ALIAS(gor_chan_recv, gor_i_chan_recv);
GOR_ALIAS(gor_chan_close, gor_i_chan_close);
GOR_ALIAS(gor_chan_len, gor_i_chan_len);
GOR_ALIAS(gor_chan_cap, gor_i_chan_cap);
