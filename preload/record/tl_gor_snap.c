/*
 * tl_gor, report time: snapshots of gor's tasks in unit shape (contracts in tl_gor.h).
 *
 * DESIGN. Nothing is mirrored while the program runs: at report time gor's own registry is copied
 * (gor_introspect_snapshot: state, wait reason, object, since, saved frames), each task is joined
 * with what tl_gor recorded at its spawn (creator, creation stack), and parked tasks' stacks are
 * unwound from their saved frame pointers, bounded by their stacks. Exited ancestors of live
 * tasks are appended so created_by chains stay complete. Runs on the reporting thread only;
 * mallocs and interns stacks, never under a lock of the core's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tl_gor_impl.h"
#include "tl_bypass.h"
#include "tl_options.h"
#include "tl_vec.h"

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static const struct reason_row {
    const char *reason, *call;
    bool durable;
} REASONS[] = {
    {"chan send", "gor_chan_send", true},
    {"chan receive", "gor_chan_recv", true},
    {"chan send (nil chan)", "gor_chan_send", true},
    {"chan receive (nil chan)", "gor_chan_recv", true},
    {"select", "gor_select", true},
    {"select (no cases)", "gor_select", true},
    {"WaitGroup wait", "gor_wg_wait", true},
    {"mutex lock", "gor_mutex_lock", true},
    {"sleep", "gor_sleep", false},
    {"IO wait", "gor_fd_wait", false},
};

static const struct reason_row *reason_row(const char *reason)
{
    /* gor's reasons are its own string literals: the last one seen is matched by address first,
     * which spares a build of many tasks in one wait ten string compares per task. */
    static __thread const char *last;
    static __thread const struct reason_row *last_row;
    if (reason != NULL && reason == last)
        return last_row;
    for (size_t i = 0; reason != NULL && i < sizeof REASONS / sizeof REASONS[0]; i++)
        if (strcmp(REASONS[i].reason, reason) == 0) {
            last = reason;
            last_row = &REASONS[i];
            return &REASONS[i];
        }
    return NULL;
}

const char *tl_gor_reason_call(const char *reason, bool *durable)
{
    const struct reason_row *r = reason_row(reason);
    *durable = r != NULL && r->durable;
    return r != NULL ? r->call : NULL;
}

static const char *state_name(int state)
{
    switch (state) {
    case GOR_TASK_RUNNABLE:
        return "runnable";
    case GOR_TASK_RUNNING:
        return "running";
    case GOR_TASK_BLOCKED:
        return "blocked";
    default:
        return "exited";
    }
}

/* The parked task's stack from its saved frames, as the user sees it: frame #0 is the gor call
 * the task made (a call frame naming `call`, which stands for gor's own frames above the user's
 * code), then the user's frames; the trailing start machinery is dropped. */
static tl_stack_id unwind_parked(const struct gor_task_info *t, int depth, const char *call)
{
    uintptr_t ips[DEPTH_MAX + SKIP_MAX];
    int max = depth + SKIP_MAX, n = 0, k = 0;
    ips[n++] = t->ip;
    n += tl_gor_walk_frames(t->fp, t->stack_lo, t->stack_hi, ips + 1, max - 1);
    while (k + 1 < n && (in_range(&tl_gor_g.gor_mod, ips[k]) || in_range(&tl_gor_g.self_mod, ips[k])))
        k++;
    n = tl_stack_strip_own(ips + k, tl_gor_trim_tail(ips + k, n - k), NULL);
    if (call != NULL && k > 0) {
        ips[--k] = tl_stack_call_frame(call); /* in place of the gor frame just above the user's */
        n++;
    }
    return tl_stack_intern(ips + k, n < depth ? n : depth);
}

/* created_by from what the spawn hook recorded. */
static void name_creator(const struct task_rec *r, char *buf, size_t n)
{
    if (r->creator_thread[0] != '\0')
        snprintf(buf, n, "%s", r->creator_thread);
    else
        snprintf(buf, n, "task:%lld", (long long)r->parent);
}

/* Copies what tl_gor recorded at spawn (created_by, creation stack) into u. */
static void fill_origin(struct tl_gor_unit *u, int64_t parent)
{
    struct shard *s = shard_of(u->task);
    spin_lock(&s->lock);
    struct task_rec *r = find_locked(s, u->task);
    if (r != NULL) {
        name_creator(r, u->created_by, sizeof u->created_by);
        u->created_stack = r->created_stack;
        u->start = r->start; /* the user's function even where gor cannot show it (a runtime
                                without gor_introspect_show_start names tl_gor_task_start) */
        memcpy(u->label, r->label, sizeof u->label);
        if (u->durable && atomic_load_explicit(&r->timed_wait, memory_order_acquire))
            u->durable = false; /* a select with a timeout: the timer ends it */
    }
    spin_unlock(&s->lock);
    if (r == NULL && parent > 0) /* spawned before the hooks: gor still knows the parent */
        snprintf(u->created_by, sizeof u->created_by, "task:%lld", (long long)parent);
    tl_stack_ref(u->created_stack); /* pinned by a cache: still valid after the unlock */
}

static void fill_live(struct tl_gor_unit *u, const struct gor_task_info *t, int depth,
                      int64_t now_ns)
{
    memset(u, 0, sizeof *u);
    u->task = t->id;
    u->tid = t->tid;
    memcpy(u->name, t->name, sizeof u->name);
    u->name[sizeof u->name - 1] = '\0';
    u->start = (uintptr_t)t->start;
    u->state = state_name(t->state);
    u->progress = (uint64_t)t->wait_since_ns * 4 + (uint64_t)t->state;
    u->deadlocked = atomic_load(&tl_gor_g.deadlocked);
    if (t->state == GOR_TASK_BLOCKED && t->wait_reason != NULL) {
        const struct reason_row *r = reason_row(t->wait_reason);
        u->reason = r != NULL ? r->reason : t->wait_reason;
        u->call = r != NULL ? r->call : NULL;
        u->durable = r != NULL && r->durable;
        if (u->durable && !tl_bypass_select_durable_known() && !strcmp(u->call, "gor_select"))
            u->durable = false; /* gor selects behind our wrapper: a timeout may end this one */
        u->object = (uintptr_t)t->wait_object;
        u->since_ms = t->wait_since_ns > 0 && now_ns > t->wait_since_ns
                          ? (now_ns - t->wait_since_ns) / 1000000
                          : 0;
    }
    if (depth > 0 && t->state != GOR_TASK_RUNNING && t->sp != 0)
        u->blocked_stack = unwind_parked(t, depth, u->call);
    fill_origin(u, t->parent);
}

/* Appends the exited ancestors still kept for their children's chains. */
static int add_ancestors(struct tl_gor_snapshot *s, size_t *cap)
{
    for (int i = 0; i < NSHARD; i++) {
        struct shard *sh = &tl_gor_shards[i];
        spin_lock(&sh->lock);
        for (struct task_rec *r = sh->tasks; r != NULL; r = r->hh.next) {
            if (r->id < 0 || !(atomic_load(&r->life) & EXITED))
                continue;
            if (TL_VEC_PUSH_SLOT(s->units, *cap, s->n) != 0) {
                spin_unlock(&sh->lock);
                return -1;
            }
            struct tl_gor_unit *u = &s->units[s->n++];
            memset(u, 0, sizeof *u);
            u->task = r->id;
            u->start = r->start;
            u->state = "exited";
            name_creator(r, u->created_by, sizeof u->created_by);
            u->created_stack = r->created_stack;
            tl_stack_ref(u->created_stack);
        }
        spin_unlock(&sh->lock);
    }
    return 0;
}

/* gor's live tasks, growing the buffer when tasks were spawned meanwhile. */
static struct gor_task_info *take_infos(size_t *n, size_t *total)
{
    size_t cap = 0, want = tl_gor_g.gor.count() + 64;
    struct gor_task_info *info = NULL;
    for (int tries = 0; tries < 4; tries++) {
        if (TL_VEC_RESERVE(info, cap, want) != 0) {
            free(info);
            return NULL;
        }
        *n = tl_gor_g.gor.snapshot(info, cap, total);
        if (*total <= cap)
            break;
        want = *total + *total / 4 + 64;
    }
    return info;
}

int tl_gor_snapshot_take(struct tl_gor_snapshot *s, int stack_depth)
{
    int saved = errno, depth = stack_depth < 0 ? 0 : stack_depth > DEPTH_MAX ? DEPTH_MAX : stack_depth;
    size_t n = 0, total = 0;
    memset(s, 0, sizeof *s);
    if (!tl_gor_present())
        return 0;
    struct gor_task_info *info = take_infos(&n, &total);
    size_t cap = n + 16;
    s->units = info != NULL ? malloc(cap * sizeof *s->units) : NULL;
    if (s->units == NULL) {
        free(info);
        errno = ENOMEM;
        return -1;
    }
    int64_t now = monotonic_ns();
    for (size_t i = 0; i < n; i++)
        fill_live(&s->units[s->n++], &info[i], depth, now);
    s->total = total;
    free(info);
    if (add_ancestors(s, &cap) < 0) {
        tl_gor_snapshot_free(s);
        errno = ENOMEM;
        return -1;
    }
    errno = saved;
    return 0;
}

void tl_gor_snapshot_free(struct tl_gor_snapshot *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tl_stack_unref(s->units[i].created_stack);
        tl_stack_unref(s->units[i].blocked_stack);
    }
    free(s->units);
    memset(s, 0, sizeof *s);
}

/* The look's buffer, kept from one look to the next: a million tasks' waits are 32 MB, which would
 * otherwise be mapped and faulted in afresh at every look. One caller at a time holds it (the
 * watchdog thread); a caller meanwhile uses a buffer of its own. */
static struct {
    _Atomic bool busy;
    struct gor_task_wait *w; /* cap entries; while held, the holder's only */
    size_t cap;
} kept;

/* Makes *buf hold at least need entries (and not many times more); false when out of memory, the
 * buffer then freed. Half again as many as needed: a growing program does not pay for a fresh
 * buffer (and its page faults) at every look. */
static bool waits_fit(struct gor_task_wait **buf, size_t *cap, size_t need)
{
    if (*cap >= need && *cap / 4 <= need + 4096)
        return true;
    free(*buf);
    *cap = need + need / 2 + 64;
    *buf = malloc(*cap * sizeof **buf);
    if (*buf == NULL)
        *cap = 0;
    return *buf != NULL;
}

/* Every live task's state and wait into *buf: gor_introspect_waits when the runtime has it, else
 * taken from a full snapshot. Returns the number of entries, or -1 (out of memory). */
static long take_waits(struct gor_task_wait **buf, size_t *cap)
{
    size_t n = 0, total = 0;
    if (tl_gor_g.gor.waits == NULL) {
        struct gor_task_info *info = take_infos(&n, &total);
        if (info == NULL || !waits_fit(buf, cap, n + 1)) {
            free(info);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            (*buf)[i] = (struct gor_task_wait){info[i].id, info[i].state, info[i].wait_reason,
                                               info[i].wait_since_ns};
        free(info);
        return (long)n;
    }
    size_t need = tl_gor_g.gor.count() + 64;
    for (int tries = 0; tries < 4; tries++) {
        if (!waits_fit(buf, cap, need))
            return -1;
        n = tl_gor_g.gor.waits(*buf, *cap, &total);
        if (total <= *cap)
            break;
        need = total + total / 4 + 64;
    }
    return (long)n;
}

long tl_gor_scan_stuck(int64_t threshold_ms, uint64_t *signature, size_t *live,
                       void (*each)(void *arg, const char *reason, int64_t since_ns), void *arg)
{
    size_t n = 0;
    uint64_t sig = 0xcbf29ce484222325ull;
    long stuck = 0;
    *signature = 0;
    if (live != NULL)
        *live = 0;
    if (!tl_gor_present())
        return 0;
    bool mine = !atomic_exchange(&kept.busy, true);
    struct gor_task_wait *w = mine ? kept.w : NULL;
    size_t cap = mine ? kept.cap : 0;
    long got = take_waits(&w, &cap);
    n = got > 0 ? (size_t)got : 0;
    int64_t now = monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        const struct gor_task_wait *t = &w[i];
        if (t->state != GOR_TASK_BLOCKED)
            continue;
        if (each != NULL)
            each(arg, t->wait_reason, t->wait_since_ns);
        if (t->wait_since_ns <= 0 ||
            !tl_past_threshold(now - t->wait_since_ns, threshold_ms * 1000000))
            continue;
        stuck++;
        sig = (sig ^ (uint64_t)t->id ^ ((uint64_t)t->wait_since_ns << 17)) * 0x100000001b3ull;
    }
    if (mine) {
        kept.w = w;
        kept.cap = cap;
        atomic_store(&kept.busy, false);
    } else {
        free(w);
    }
    if (got < 0)
        return -1;
    if (live != NULL)
        *live = n;
    *signature = stuck > 0 ? sig : 0;
    return stuck;
}
