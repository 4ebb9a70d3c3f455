/*
 * Cancellation contexts, after Go's context package. A context has a done channel (closed on
 * cancellation), an error, its children and optionally a deadline timer. The whole tree is
 * guarded by one lock: contexts are created and cancelled rarely, and one lock makes cancelling a
 * subtree while a child is being freed simple to get right. Lock order: timer lock (a deadline
 * callback) > tree lock > channel lock. The background context is static and never cancelled;
 * its done channel is NULL (a nil channel: never ready), as in Go.
 */
#include <errno.h>
#include <stdlib.h>

#include "gor_impl.h"

struct gor_ctx {
    struct gor_ctx *parent;      /* NULL for background or once the parent was freed; tree lock */
    struct gor_ctx *children;    /* tree lock */
    struct gor_ctx *next, *prev; /* siblings; tree lock */
    gor_chan *done;              /* immutable; closed on cancel */
    _Atomic int err;             /* 0 until cancelled; written under the tree lock */
    bool has_timer;              /* immutable */
    struct gor_timer tm;         /* deadline; timer lock */
};

static struct gor_lock tree_lock;
static struct gor_ctx background = {0};

void gor_ctx_fork(enum gor_fork_phase ph)
{
    if (ph == GOR_FORK_PREPARE)
        gor_lock(&tree_lock);
    else
        gor_unlock(&tree_lock);
}

static gor_ctx *gor_i_ctx_background(void)
{
    return &background;
}

/* With the tree lock held: cancels c and its subtree. */
static void cancel_locked(struct gor_ctx *c, int err)
{
    if (c == &background || atomic_load(&c->err) != 0)
        return;
    atomic_store(&c->err, err);
    gor_i_chan_close(c->done);
    for (struct gor_ctx *k = c->children; k != NULL; k = k->next)
        cancel_locked(k, err);
}

static void deadline_fire(void *arg, int64_t now)
{
    (void)now;
    gor_lock(&tree_lock);
    cancel_locked(arg, GOR_DEADLINE_EXCEEDED);
    gor_unlock(&tree_lock);
}

static gor_ctx *ctx_new(gor_ctx *parent, int64_t timeout_ns, bool timed)
{
    if (parent == NULL)
        parent = &background;
    struct gor_ctx *c = calloc(1, sizeof *c);
    gor_chan *done = gor_i_chan_make(0, 0);
    if (c == NULL || done == NULL) {
        free(c);
        gor_i_chan_unref(done);
        errno = ENOMEM;
        return NULL;
    }
    c->done = done;
    c->tm.heap_index = SIZE_MAX;
    gor_lock(&tree_lock);
    c->parent = parent;
    c->next = parent->children;
    if (c->next != NULL)
        c->next->prev = c;
    parent->children = c;
    if (atomic_load(&parent->err) != 0)
        cancel_locked(c, atomic_load(&parent->err));
    gor_unlock(&tree_lock);
    if (timed) {
        c->has_timer = true;
        c->tm = (struct gor_timer){
            .when = gor_i_now() + (timeout_ns > 0 ? timeout_ns : 0), .fn = deadline_fire, .arg = c};
        gor_timer_add(&c->tm);
    }
    return c;
}

static gor_ctx *gor_i_ctx_with_cancel(gor_ctx *parent)
{
    return ctx_new(parent, 0, false);
}

static gor_ctx *gor_i_ctx_with_timeout(gor_ctx *parent, int64_t ns)
{
    return ctx_new(parent, ns, true);
}

static void gor_i_ctx_cancel(gor_ctx *c)
{
    if (c == NULL || c == &background)
        return;
    if (c->has_timer)
        gor_timer_del(&c->tm);
    gor_lock(&tree_lock);
    cancel_locked(c, GOR_CANCELED);
    gor_unlock(&tree_lock);
}

static gor_chan *gor_i_ctx_done(gor_ctx *c)
{
    return c == NULL ? NULL : c->done;
}

static int gor_i_ctx_err(gor_ctx *c)
{
    return c == NULL ? 0 : atomic_load(&c->err);
}

static void gor_i_ctx_free(gor_ctx *c)
{
    if (c == NULL || c == &background)
        return;
    gor_i_ctx_cancel(c);
    gor_lock(&tree_lock);
    struct gor_ctx *p = c->parent;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else if (p != NULL)
        p->children = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    for (struct gor_ctx *k = c->children; k != NULL; k = k->next)
        k->parent = NULL; /* orphans stay cancelled; they unlink from nothing */
    struct gor_ctx *k = c->children;
    while (k != NULL) {
        struct gor_ctx *nx = k->next;
        k->next = k->prev = NULL;
        k = nx;
    }
    gor_unlock(&tree_lock);
    gor_i_chan_unref(c->done);
    free(c);
}

GOR_ALIAS(gor_ctx_background, gor_i_ctx_background);
GOR_ALIAS(gor_ctx_with_cancel, gor_i_ctx_with_cancel);
GOR_ALIAS(gor_ctx_with_timeout, gor_i_ctx_with_timeout);
GOR_ALIAS(gor_ctx_cancel, gor_i_ctx_cancel);
GOR_ALIAS(gor_ctx_done, gor_i_ctx_done);
GOR_ALIAS(gor_ctx_err, gor_i_ctx_err);
GOR_ALIAS(gor_ctx_free, gor_i_ctx_free);
