/* tl_growth: live units per creation site over time, and the "growing" verdict (see tl_growth.h).
 *
 * DESIGN. The program's side is a fixed open-addressed table of sites keyed by a 64-bit hash of
 * (creation stack, start function, kind): creation finds or claims its site (a CAS on the key,
 * the claimer publishes the fields with `ready`) and adds one to its live count; the end of the
 * unit subtracts one. Nothing else runs on the program's threads.
 *
 * The watchdog's side keeps, per site, a ring of samples (time, count, and the least count seen at
 * the looks since the previous sample), one sample per window/60 at most, so the ring spans a
 * little more than a window whatever the interval. The judgement at a look: the window's starting
 * sample is the newest one at least a window old; the site is growing when no look since then saw
 * fewer units than that sample, and even the least count seen in the window's last quarter is at
 * least growth_min more. A pool that grows and shrinks with load falls back below its starting
 * count, or back to its troughs within the last quarter, and is never reported (the floor, not
 * the count at one look: a burst that starts from an empty pool is not a rise); a site that only
 * climbs is, within about one window of starting to climb.
 *
 * Growth figures are read by report builds on any thread: they are copied under a small spin lock.
 */
#include "tl_growth.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 32 /* sites tried before giving up on a creation */
#define HIST   64 /* samples per site; a window spans HIST - 4 of them at most */

struct site {
    _Atomic uint64_t key; /* 0: free; else the site's hash (never 0) */
    _Atomic bool ready;   /* the three fields below are written */
    tl_stack_id created_stack;
    uintptr_t start;
    enum tl_unit_kind kind;
    _Atomic long live;
};

/* Watchdog thread only, except `growing` and `g`, which are under `lock`. */
struct hist {
    int64_t t[HIST];
    long c[HIST], lo[HIST]; /* lo[i]: the least count at the looks since sample i - 1 */
    int n, head;            /* samples kept; the oldest is at head */
    long lo_pending;        /* least count at the looks since the newest sample */
    bool pending;
    bool growing; /* sticky */
    struct tl_rep_growth g;
};

static struct tl_growth_cfg cfg; /* written once at start-up (tl_growth_init) */
static struct site sites[TL_GROWTH_SITES];
static struct hist *hists[TL_GROWTH_SITES];
static _Atomic int lock;

static void spin_lock(void)
{
    while (atomic_exchange_explicit(&lock, 1, memory_order_acquire))
        sched_yield();
}

static void spin_unlock(void)
{
    atomic_store_explicit(&lock, 0, memory_order_release);
}

static uint64_t key_of(tl_stack_id stack, uintptr_t start, enum tl_unit_kind kind)
{
    uint64_t x = ((uint64_t)stack << 1 | (uint64_t)kind) * 0x9e3779b97f4a7c15ULL ^ start;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x | 1;
}

void tl_growth_init(const struct tl_growth_cfg *c)
{
    cfg = *c;
}

int tl_growth_enter(tl_stack_id created_stack, uintptr_t start, enum tl_unit_kind kind)
{
    if (cfg.window_ms == 0)
        return -1;
    uint64_t k = key_of(created_stack, start, kind);
    size_t i = k & (TL_GROWTH_SITES - 1);
    for (int p = 0; p < PROBES; p++, i = (i + 1) & (TL_GROWTH_SITES - 1)) {
        struct site *s = &sites[i];
        uint64_t cur = atomic_load_explicit(&s->key, memory_order_acquire);
        if (cur == 0 && atomic_compare_exchange_strong(&s->key, &cur, k)) {
            s->created_stack = created_stack;
            s->start = start;
            s->kind = kind; /* no stack reference: the live units hold theirs (growing: below) */
            atomic_store_explicit(&s->ready, true, memory_order_release);
            cur = k;
        }
        if (cur == k) {
            atomic_fetch_add_explicit(&s->live, 1, memory_order_relaxed);
            return (int)i;
        }
    }
    return -1;
}

void tl_growth_leave(int site)
{
    if (site >= 0 && site < TL_GROWTH_SITES)
        atomic_fetch_sub_explicit(&sites[site].live, 1, memory_order_relaxed);
}

static long live_of(const struct site *s)
{
    long n = atomic_load_explicit(&s->live, memory_order_relaxed);
    return n < 0 ? 0 : n; /* a fork child's units that ended after the reset */
}

static void sample(struct hist *h, int64_t now, long c)
{
    h->lo_pending = h->pending && h->lo_pending < c ? h->lo_pending : c;
    h->pending = true;
    int newest = (h->head + h->n - 1) % HIST;
    int64_t step = cfg.window_ms / (HIST - 4);
    if (h->n > 0 && now - h->t[newest] < step)
        return;
    int at = (h->head + h->n) % HIST;
    if (h->n < HIST)
        h->n++;
    else
        h->head = (h->head + 1) % HIST; /* the oldest sample goes */
    h->t[at] = now;
    h->c[at] = c;
    h->lo[at] = h->lo_pending;
    h->pending = false;
}

/* The judgement (top of file); on true, fills g. */
static bool judge(const struct hist *h, int64_t now, long c, struct tl_rep_growth *g)
{
    int64_t start = now - cfg.window_ms + cfg.interval_ms / 2;
    int b = -1;
    for (int k = 0; k < h->n; k++) {
        int i = (h->head + k) % HIST;
        if (h->t[i] <= start)
            b = k;
    }
    if (b < 0)
        return false;
    long c0 = h->c[(h->head + b) % HIST], floor = c;
    int64_t tail = now - cfg.window_ms / 4;
    for (int k = b + 1; k < h->n; k++) {
        int i = (h->head + k) % HIST;
        if (h->lo[i] < c0)
            return false;
        if (h->t[i] >= tail && h->lo[i] < floor)
            floor = h->lo[i];
    }
    if (h->pending && h->lo_pending < floor)
        floor = h->lo_pending;
    if (floor < c0 || floor - c0 < cfg.min)
        return false;
    int64_t t0 = h->t[(h->head + b) % HIST];
    g->count = (size_t)c;
    g->count_before = (size_t)c0;
    g->window_ms = now - t0;
    g->rate_per_s = g->window_ms > 0 ? (double)(c - c0) * 1000.0 / (double)g->window_ms : 0;
    return true;
}

bool tl_growth_look(int64_t now_ms)
{
    if (cfg.window_ms == 0)
        return false;
    bool fresh = false;
    for (size_t i = 0; i < TL_GROWTH_SITES; i++) {
        struct site *s = &sites[i];
        if (!atomic_load_explicit(&s->ready, memory_order_acquire))
            continue;
        if (hists[i] == NULL && (hists[i] = calloc(1, sizeof *hists[i])) == NULL)
            continue;
        struct hist *h = hists[i];
        long c = live_of(s);
        sample(h, now_ms, c);
        struct tl_rep_growth g = {{0}, 0, 0, 0, 0};
        if (!judge(h, now_ms, c, &g))
            continue;
        snprintf(g.site, sizeof g.site, "%016llx", (unsigned long long)s->key);
        if (!h->growing) /* its reports show this stack from now on: held for good */
            tl_stack_ref(s->created_stack);
        spin_lock();
        fresh |= !h->growing;
        h->growing = true;
        h->g = g;
        spin_unlock();
    }
    return fresh;
}

static void fill_top(struct tl_growth_site *o, size_t i)
{
    const struct site *s = &sites[i];
    snprintf(o->id, sizeof o->id, "%016llx",
             (unsigned long long)atomic_load_explicit(&s->key, memory_order_relaxed));
    o->start = s->start;
    o->kind = s->kind;
    o->created_stack = s->created_stack;
    o->live = live_of(s);
    spin_lock();
    o->growing = hists[i] != NULL && hists[i]->growing;
    spin_unlock();
}

size_t tl_growth_top(struct tl_growth_site *out, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < TL_GROWTH_SITES && k > 0; i++) {
        if (!atomic_load_explicit(&sites[i].ready, memory_order_acquire))
            continue;
        long live = live_of(&sites[i]);
        if (live == 0 || (n == k && live <= out[n - 1].live))
            continue;
        size_t at = n < k ? n++ : k - 1; /* insertion into the sorted list, most first */
        while (at > 0 && out[at - 1].live < live) {
            out[at] = out[at - 1];
            at--;
        }
        fill_top(&out[at], i);
    }
    return n;
}

bool tl_growth_found(size_t i, struct tl_growth_found *out)
{
    spin_lock();
    bool growing = hists[i] != NULL && hists[i]->growing;
    if (growing)
        out->g = hists[i]->g;
    spin_unlock();
    if (growing) {
        out->created_stack = sites[i].created_stack;
        out->start = sites[i].start;
        out->kind = sites[i].kind;
    }
    return growing;
}

void tl_growth_atfork_child(void)
{
    atomic_store(&lock, 0);
    for (size_t i = 0; i < TL_GROWTH_SITES; i++) {
        atomic_store(&sites[i].live, 0);
        if (hists[i] != NULL) {
            bool growing = hists[i]->growing;
            struct tl_rep_growth g = hists[i]->g;
            memset(hists[i], 0, sizeof *hists[i]);
            hists[i]->growing = growing; /* what the parent was told holds for its child too */
            hists[i]->g = g;
        }
    }
}
