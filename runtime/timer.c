/*
 * Time: one binary min-heap of timers under one lock, shared by every worker. Idle workers
 * sleep in the poller until the earliest deadline (sched.c, poll.c); busy workers fire due
 * timers between tasks, reading the clock only while a timer is pending; the monitor fires
 * overdue ones when every worker is stuck in a long task.
 *
 * Callbacks run under the timer lock, so gor_timer_del() returning means the callback is not
 * running and never will: whoever owns a timer may free it right after. Callbacks therefore only
 * do non-blocking work (offer a value on a channel, ready a task, cancel a context) and never
 * add or delete timers; periodic timers are re-armed here.
 *
 * gor_sleep parks with the timer lock as its park lock: the wake-up cannot run before the task is
 * off its stack. gor_after and select timeouts use a private channel of capacity 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "gor_impl.h"

static struct {
    struct gor_lock lock;
    struct gor_timer **heap; /* min-heap by `when`; under lock */
    size_t cap;              /* under lock */
    _Atomic size_t n;        /* armed timers; written under lock */
    _Atomic int64_t next;    /* heap[0]->when or INT64_MAX; written under lock */
} T = {.next = INT64_MAX};

static void heap_set(size_t i, struct gor_timer *tm)
{
    T.heap[i] = tm;
    tm->heap_index = i;
}

static void sift_up(size_t i)
{
    struct gor_timer *tm = T.heap[i];
    while (i > 0 && T.heap[(i - 1) / 2]->when > tm->when) {
        heap_set(i, T.heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(i, tm);
}

static void sift_down(size_t i)
{
    size_t n = T.n;
    struct gor_timer *tm = T.heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && T.heap[c + 1]->when < T.heap[c]->when)
            c++;
        if (T.heap[c]->when >= tm->when)
            break;
        heap_set(i, T.heap[c]);
        i = c;
    }
    heap_set(i, tm);
}

static void publish_next(void)
{
    atomic_store(&T.next, T.n > 0 ? T.heap[0]->when : INT64_MAX);
}

/* With the lock held; returns true when tm became the earliest timer. The heap grows by hand:
 * libgor stands alone and builds nothing of the detector's common/ (tl_vec). */
static bool add_locked(struct gor_timer *tm)
{
    if (T.n == T.cap) {
        size_t cap = T.cap ? T.cap * 2 : 64;
        struct gor_timer **h = realloc(T.heap, cap * sizeof *h);
        if (h == NULL)
            gor_panic("out of memory for %zu timers", cap);
        T.heap = h;
        T.cap = cap;
    }
    size_t i = atomic_fetch_add(&T.n, 1);
    T.heap[i] = tm;
    sift_up(i);
    publish_next();
    return tm->heap_index == 0;
}

static void remove_locked(struct gor_timer *tm)
{
    size_t i = tm->heap_index;
    size_t last = atomic_fetch_sub(&T.n, 1) - 1;
    tm->heap_index = SIZE_MAX;
    if (i != last) {
        heap_set(i, T.heap[last]);
        sift_down(i);
        sift_up(T.heap[i]->heap_index);
    }
    publish_next();
}

void gor_timer_add(struct gor_timer *tm)
{
    gor_sched_start();
    gor_lock(&T.lock);
    bool first = add_locked(tm);
    gor_unlock(&T.lock);
    if (first)
        gor_wake_idle(true);
}

bool gor_timer_del(struct gor_timer *tm)
{
    gor_lock(&T.lock);
    bool armed = tm->heap_index != SIZE_MAX;
    if (armed)
        remove_locked(tm);
    gor_unlock(&T.lock);
    return armed;
}

int64_t gor_timer_next(void)
{
    return atomic_load_explicit(&T.next, memory_order_relaxed);
}

size_t gor_timer_count(void)
{
    return atomic_load_explicit(&T.n, memory_order_relaxed);
}

int gor_timer_run_due(int64_t now)
{
    int fired = 0;
    gor_lock(&T.lock);
    while (T.n > 0 && T.heap[0]->when <= now) {
        struct gor_timer *tm = T.heap[0];
        remove_locked(tm);
        int64_t period = tm->period; /* read first: a one-shot callback may free tm */
        tm->fn(tm->arg, now);
        fired++;
        if (period > 0) {
            tm->when += period;
            if (tm->when <= now) /* missed ticks are dropped, as Go's ticker does */
                tm->when = now + period;
            add_locked(tm);
        }
    }
    gor_unlock(&T.lock);
    return fired;
}

static void wake_task(void *arg, int64_t now)
{
    (void)now;
    gor_ready(arg);
}

void gor_timer_park(struct gor_timer *tm, const char *reason)
{
    gor_sched_start();
    gor_lock(&T.lock);
    bool first = add_locked(tm);
    if (first)
        gor_wake_idle(true); /* timer lock before sched lock: the documented order */
    gor_park(reason, tm, gor_unlock_cb, &T.lock);
}

void gor_i_sleep(int64_t ns)
{
    struct gor_task *t = gor_cur_task();
    if (t == NULL) {
        struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        while (ns > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return;
    }
    if (ns <= 0) {
        gor_i_yield();
        return;
    }
    struct gor_timer tm = {.when = gor_i_now() + ns, .fn = wake_task, .arg = t};
    gor_timer_park(&tm, "sleep");
}

/* ---- timer channels ---- */

static void offer_time(void *arg, int64_t now)
{
    gor_chan_offer(arg, &now);
}

static void offer_once(void *arg, int64_t now)
{
    gor_chan_offer(arg, &now);
    gor_i_chan_unref(arg); /* the timer's own reference */
}

gor_chan *gor_timer_chan_start(struct gor_timer *tm, int64_t ns)
{
    gor_chan *c = gor_i_chan_make(sizeof(int64_t), 1);
    if (c == NULL)
        gor_panic("out of memory for a timer channel");
    *tm = (struct gor_timer){.when = gor_i_now() + ns, .fn = offer_once, .arg = gor_i_chan_ref(c)};
    gor_timer_add(tm);
    return c;
}

void gor_timer_chan_stop(struct gor_timer *tm, gor_chan *c)
{
    if (gor_timer_del(tm))
        gor_i_chan_unref(c);
    gor_i_chan_unref(c);
}

struct after {
    struct gor_timer tm;
    gor_chan *c;
};

static void after_fire(void *arg, int64_t now)
{
    struct after *a = arg;
    offer_once(a->c, now);
    free(a);
}

gor_chan *gor_i_after(int64_t ns)
{
    struct after *a = malloc(sizeof *a);
    gor_chan *c = gor_i_chan_make(sizeof(int64_t), 1);
    if (a == NULL || c == NULL) {
        free(a);
        gor_i_chan_unref(c);
        errno = ENOMEM;
        return NULL;
    }
    a->c = gor_i_chan_ref(c);
    a->tm = (struct gor_timer){.when = gor_i_now() + (ns > 0 ? ns : 0), .fn = after_fire, .arg = a};
    gor_timer_add(&a->tm);
    return c;
}

struct gor_ticker {
    struct gor_timer tm;
    gor_chan *c;
};

static gor_ticker *gor_i_ticker_new(int64_t period_ns)
{
    if (period_ns <= 0)
        gor_panic("non-positive interval for gor_ticker_new");
    gor_ticker *t = malloc(sizeof *t);
    gor_chan *c = gor_i_chan_make(sizeof(int64_t), 1);
    if (t == NULL || c == NULL) {
        free(t);
        gor_i_chan_unref(c);
        errno = ENOMEM;
        return NULL;
    }
    t->c = c;
    t->tm = (struct gor_timer){
        .when = gor_i_now() + period_ns, .period = period_ns, .fn = offer_time, .arg = c};
    gor_timer_add(&t->tm);
    return t;
}

static gor_chan *gor_i_ticker_chan(gor_ticker *t)
{
    return t->c;
}

static void gor_i_ticker_stop(gor_ticker *t)
{
    if (t == NULL)
        return;
    gor_timer_del(&t->tm);
    gor_i_chan_unref(t->c);
    free(t);
}

/* The heap survives a fork unchanged: timers whose callback readies a parent task fire into
 * gor_ready, which drops such tasks; channel and context timers keep working in the child. */
void gor_timer_fork(enum gor_fork_phase ph)
{
    if (ph == GOR_FORK_PREPARE)
        gor_lock(&T.lock);
    else
        gor_unlock(&T.lock);
}

GOR_ALIAS(gor_sleep, gor_i_sleep);
GOR_ALIAS(gor_after, gor_i_after);
GOR_ALIAS(gor_ticker_new, gor_i_ticker_new);
GOR_ALIAS(gor_ticker_chan, gor_i_ticker_chan);
GOR_ALIAS(gor_ticker_stop, gor_i_ticker_stop);
