/* tl_watchdog: hung-unit detection, the watchdog report, and dump service (see tl_watchdog.h).
 *
 * DESIGN. Three layers, each cheap enough for the layer above to run it often:
 *   1. scan (every interval): tl_registry_visit walks the slot table in batches of SCAN_BATCH
 *      units per lock hold; per unit it reads progress, wstate and the wait's start with the
 *      seqlock-like check of tl_block.h (progress read before and after: a unit that moved in
 *      between is simply not stuck this time). Output: a count and a signature, no allocation.
 *   2. build (only when the signature changed, gor tasks exist, or a repeat is due): the core's
 *      report model in TL_BUILD_WATCHDOG mode, with blocked stacks unwound lazily, symbolized, and
 *      the wait-for cycles of tl_deadlock; all outside the registry lock.
 *   3. emit: the JSON file when the set of findings changed (a signature over unit ids and
 *      verdicts), so a SIGKILL leaves the last picture; text per group with hung_task's manners:
 *      once when a group appears, again when it grows, else at doubling intervals.
 *
 * All state below except the atomics is owned by the watchdog thread; the atomics are read by the
 * gate and by thread creation.
 */
#include "tl_watchdog.h"
#include "tl_proof.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tl_asleep.h"
#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_deadlock.h"
#include "tl_dump.h"
#include "tl_file.h"
#include "tl_gate.h"
#include "tl_gor.h"
#include "tl_group.h"
#include "tl_hint.h"
#include "tl_log.h"
#include "tl_object.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_report.h"
#include "tl_sigreport.h"
#include "tl_text.h"
#include "tl_thread.h"

#define SCAN_BATCH     4096 /* units per registry-lock hold */
#define LONELY_POLL_MS 20   /* re-check period once main has gone or no tracked thread is left */
#define SLICE_MS       250  /* longest sleep: main may pthread_exit at any time */
#define WD_STACK       (1u << 20) /* symbolization and formatting need some room */
#define TEXT_FRAMES    16
#define TEXT_IDS       8

/* A group the text has shown: what it looked like and when to repeat it. */
struct shown {
    const char *verdict, *reason; /* static strings */
    enum tl_unit_kind kind;
    tl_stack_id created_stack, blocked_stack; /* one reference each while remembered */
    size_t count;                             /* members when last printed */
    int64_t printed_ms, gap_ms;               /* last print, and the wait before the next repeat */
    bool present;                             /* found by the build being emitted */
    bool seen;                                /* found by the last build emitted */
};

static struct {
    _Atomic int started;         /* 0 until the first maybe_start */
    _Atomic bool quiet;          /* set by the gate */
    _Atomic pid_t tid;           /* the thread's tid while it runs */
    _Atomic size_t blocked_seen; /* max blocked+deadlocked in one report */
    /* Watchdog thread only. */
    size_t last_stuck;
    uint64_t last_sig, last_report_sig;
    struct shown *shown;
    size_t nshown, capshown;
    bool asleep_before;         /* the last look found the whole process asleep */
    uint64_t asleep_sig;        /* and this progress signature */
    uint64_t cycle_sig;         /* the last build's cycles, all past the threshold (0: none) */
    uint64_t deadlock_reported; /* the deadlock last reported (on_deadlock=report says it once) */
} wd;

/* ---- layer 1: the light scan --------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Reads as few cache lines as it can (units are ~1.2 KiB apart): wstate and progress share one,
 * the wait another; `internal` and `seq` are read only for the rare stuck unit. */
static void scan_unit(const struct tl_unit *u, void *arg)
{
    struct tl_wd_scan *s = arg;
    s->units++;
    uint64_t p1 = atomic_load_explicit(&u->progress, memory_order_acquire);
    if (atomic_load_explicit(&u->wstate, memory_order_acquire) == TL_WS_RUNNING)
        return;
    int64_t since = u->wait.since_ns; /* both validated by the second progress read */
    bool durable = u->wait.durable;   /* hung_task counts uninterruptible sleeps only */
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&u->progress, memory_order_relaxed) != p1 || !durable ||
        s->now_ns - since < s->threshold_ns || u->internal)
        return;
    s->stuck++;
    s->signature += mix(u->seq * 0x9e3779b97f4a7c15ULL ^ p1); /* a sum: order does not matter */
}

void tl_watchdog_scan(struct tl_wd_scan *s)
{
    s->units = s->stuck = 0;
    s->signature = 0;
    tl_registry_visit(SCAN_BATCH, scan_unit, s);
}

/* ---- layer 3: emitting -------------------------------------------------------------------- */

static int64_t now_ms(void)
{
    return tl_now_ns() / 1000000;
}

/* FNV-1a of s, continuing from h (start with FNV_START). */
#define FNV_START 1469598103934665603ULL
static uint64_t fnv(uint64_t h, const char *s)
{
    for (const char *c = s; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return h;
}

/* Order-independent hash of the findings: which units, with which verdict. */
static uint64_t findings_signature(const struct tl_report *r)
{
    uint64_t sig = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        if (u->verdict != NULL)
            sig += mix(fnv(fnv(FNV_START, u->id), u->verdict));
    }
    return sig;
}

static void write_json(struct tl_report *r)
{
    if (tl_ctx.opts.report[0] == '\0')
        return;
    char dir[TL_OPT_PATH_MAX], name[96];
    if (tl_options_expand_path(tl_ctx.opts.report, dir, sizeof dir) < 0)
        return;
    snprintf(name, sizeof name, "taskleak.%d.watchdog.json", (int)getpid());
    size_t len = 0;
    char *doc = tl_report_json(r, &len);
    if (doc == NULL || tl_file_write_atomic(dir, name, doc, len) < 0)
        tl_logf("watchdog: cannot write %s/%s: %s", dir, name, strerror(errno));
    free(doc);
}

static bool same_shown(const struct shown *s, const struct tl_rep_group *g)
{
    return s->kind == g->kind && s->created_stack == g->created_stack &&
           s->blocked_stack == g->blocked_stack && strcmp(s->verdict, g->verdict) == 0 &&
           (s->reason == g->reason || (s->reason && g->reason && !strcmp(s->reason, g->reason)));
}

static struct shown *remember(const struct tl_rep_group *g)
{
    if (wd.nshown == wd.capshown) {
        size_t cap = wd.capshown ? wd.capshown * 2 : 16;
        struct shown *s = realloc(wd.shown, cap * sizeof *s);
        if (s == NULL)
            return NULL;
        wd.shown = s;
        wd.capshown = cap;
    }
    struct shown *s = &wd.shown[wd.nshown++];
    *s = (struct shown){g->verdict, g->reason, g->kind, g->created_stack, g->blocked_stack, 0, 0,
                        0,          true,      true};
    tl_stack_ref(s->created_stack);
    tl_stack_ref(s->blocked_stack);
    return s;
}

/* Drops the remembered groups that the last build no longer had, once their repeat would have
 * been due anyway: a group that flaps (gone for one scan, back the next) is not "new" again. */
static void forget_absent(int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < wd.nshown; i++) {
        struct shown *s = &wd.shown[i];
        s->seen = s->present;
        s->present = false;
        if (!s->seen && now - s->printed_ms >= s->gap_ms) {
            tl_stack_unref(s->created_stack);
            tl_stack_unref(s->blocked_stack);
            continue;
        }
        wd.shown[k++] = *s;
    }
    wd.nshown = k;
}

static void print_stack(struct tl_report *r, FILE *f, tl_stack_id id)
{
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(id, &n);
    for (int k = 0; k < n && k < TEXT_FRAMES; k++) {
        const char *fn = tl_report_function(r, ips[k], k > 0);
        if (tl_stack_frame_call(ips[k]) != NULL)
            fprintf(f, "    #%d %s\n", k, fn);
        else
            fprintf(f, "    #%d 0x%lx %s\n", k, (unsigned long)ips[k], fn ? fn : "??");
    }
    if (n > TEXT_FRAMES)
        fprintf(f, "    ... (%d more frames)\n", n - TEXT_FRAMES);
    if (n == 0)
        fprintf(f, "    (no stack)\n");
}

static void print_group(struct tl_report *r, FILE *f, const struct tl_rep_group *g, const char *why)
{
    const struct tl_rep_unit *u0 = &r->units[g->members[0]];
    char dur[32];
    tl_text_duration(g->wait_max, dur, sizeof dur);
    fprintf(f, "\ntaskleak: watchdog: %zu %s%s [%s, %s] %s (%s)\n", g->count,
            g->kind == TL_KIND_TASK ? "task" : "thread", g->count == 1 ? "" : "s",
            g->reason ? g->reason : "?", dur, g->verdict, why);
    char what[192];
    if (u0->owner_tid != 0)
        tl_object_describe(r, u0, what, sizeof what);
    if (u0->owner_tid != 0)
        fprintf(f, "  waits for %s %s held by %s\n",
                strncmp(u0->wait.reason, "rwlock", 6) == 0 ? "rwlock" : "mutex", what,
                u0->owner[0] ? u0->owner : "an unknown thread");
    else if (u0->owner[0] != '\0' && g->reason != NULL && strcmp(g->reason, "join") == 0)
        fprintf(f, "  waits to join %s\n", u0->owner);
    print_stack(r, f, g->blocked_stack);
    if (u0->created_by[0] != '\0' || g->created_stack != 0) {
        fprintf(f, "  created by %s at:\n", u0->created_by[0] ? u0->created_by : "an unknown unit");
        print_stack(r, f, g->created_stack);
    }
    fprintf(f, "  units:");
    for (size_t k = 0; k < g->count && k < TEXT_IDS; k++)
        fprintf(f, " %s", r->units[g->members[k]].id);
    if (g->count > TEXT_IDS)
        fprintf(f, " (+%zu more)", g->count - TEXT_IDS);
    char hint[256];
    if (tl_hint(r, g, hint, sizeof hint))
        fprintf(f, "\n  to silence: suppressions line '%s' (or threshold=0)\n", hint);
    else
        fprintf(f, "\n  to silence: threshold=0\n");
}

/* Why group g is printed now ("new", "grew", "still there"), NULL when it stays quiet. */
static const char *due(const struct tl_rep_group *g, int64_t now)
{
    struct shown *s = NULL;
    for (size_t i = 0; i < wd.nshown && s == NULL; i++)
        if (same_shown(&wd.shown[i], g))
            s = &wd.shown[i];
    const char *why = NULL;
    if (s == NULL) {
        s = remember(g);
        why = "new";
    } else if (g->count > s->count) {
        why = "grew";
    } else if (now - s->printed_ms >= s->gap_ms) {
        why = "still there";
        s->gap_ms *= 2;
    }
    if (s == NULL)
        return why;
    s->present = true;
    if (why != NULL) {
        s->count = g->count;
        s->printed_ms = now;
        if (s->gap_ms == 0)
            s->gap_ms = tl_ctx.opts.threshold_ms > tl_ctx.opts.interval_ms
                            ? tl_ctx.opts.threshold_ms
                            : tl_ctx.opts.interval_ms;
    }
    return why;
}

/* The text report of the groups that are due, in one write on the log. */
static void emit_text(struct tl_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return;
    int64_t now = now_ms();
    size_t printed = 0;
    bool deadlock_shown = false;
    for (size_t i = 0; i < r->ngroups; i++) {
        const char *why = due(&r->groups[i], now);
        if (why == NULL)
            continue;
        if (printed++ == 0) {
            char thr[32];
            tl_text_duration(tl_ctx.opts.threshold_ms, thr, sizeof thr);
            fprintf(f,
                    "taskleak: watchdog: %zu unit(s) blocked longer than %s, %zu deadlocked, "
                    "in pid %d (%s)\n",
                    r->blocked, thr, r->deadlocked, (int)getpid(), program_invocation_short_name);
        }
        print_group(r, f, &r->groups[i], why);
        deadlock_shown |= strcmp(r->groups[i].verdict, "deadlocked") == 0;
    }
    forget_absent(now);
    if (deadlock_shown)
        tl_deadlock_text(r, f);
    fclose(f);
    if (printed > 0)
        tl_file_write_all(tl_log_fd(), buf, len);
    free(buf);
}

static bool repeat_pending(void)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < wd.nshown; i++)
        if (wd.shown[i].seen && now - wd.shown[i].printed_ms >= wd.shown[i].gap_ms)
            return true;
    return false;
}

/* ---- proven deadlocks (on_deadlock) -------------------------------------------------------- */

/* The deadlock report, then (unless on_deadlock=report) the end of the process. */
static void proven(bool all_asleep, uint64_t sig)
{
    wd.deadlock_reported = sig;
    tl_gate_deadlock(all_asleep, tl_ctx.opts.on_deadlock != TL_ON_DEADLOCK_REPORT);
}

/* The whole process asleep on two looks one interval apart, nothing moved in between. Runs while
 * the process is inside exit() too (the gate quiesced the watchdog's reports, not this). */
static void prove_all_asleep(const struct tl_wd_scan *s)
{
    struct tl_asleep_look l = {0};
    bool gor = tl_gor_present();
    if (gor && tl_gor_deadlocked())
        return; /* gor's runtime proved it first: its hook reports, and the runtime exits */
    if (s->stuck > 0 || gor)
        tl_asleep_look(&l, s->threshold_ns);
    bool same = l.asleep && wd.asleep_before && l.signature == wd.asleep_sig;
    wd.asleep_before = l.asleep;
    wd.asleep_sig = l.signature;
    if (same && l.signature != wd.deadlock_reported)
        proven(true, l.signature);
}

/* on_deadlock=any: the signature of r's wait-for cycles (and orphaned mutexes) when every unit in
 * them has waited at least the threshold, 0 otherwise. The same non-zero signature on two builds
 * one interval apart is a proof: the same units, in the same waits (their start times). */
static uint64_t cycle_signature(const struct tl_report *r)
{
    uint64_t sig = 0;
    for (size_t d = 0; d < r->ndeadlocks; d++)
        for (size_t k = 0; k < r->deadlocks[d].count; k++) {
            const struct tl_rep_unit *u = &r->units[r->deadlocks[d].members[k]];
            if (!u->has_wait || u->wait_ms < tl_ctx.opts.threshold_ms)
                return 0;
            sig += mix(fnv(FNV_START, u->id) ^ (uint64_t)u->wait.since_ns);
        }
    return sig;
}

static bool prove_cycle(const struct tl_report *r)
{
    if (tl_ctx.opts.on_deadlock != TL_ON_DEADLOCK_ANY)
        return false;
    uint64_t sig = cycle_signature(r);
    bool same = sig != 0 && sig == wd.cycle_sig && sig != wd.deadlock_reported;
    wd.cycle_sig = sig;
    return same;
}

/* ---- layer 2: one tick -------------------------------------------------------------------- */

static void build_and_emit(void)
{
    struct tl_report r;
    if (tl_report_build(&r, TL_BUILD_WATCHDOG, 0) < 0)
        return;
    if (atomic_load(&wd.quiet)) {
        tl_report_free(&r);
        return;
    }
    if (prove_cycle(&r)) {
        tl_report_free(&r);
        proven(false, wd.cycle_sig);
        return;
    }
    uint64_t sig = findings_signature(&r);
    if (sig != wd.last_report_sig) {
        write_json(&r);
        wd.last_report_sig = sig;
    }
    emit_text(&r);
    size_t n = r.blocked + r.deadlocked;
    if (n > atomic_load(&wd.blocked_seen))
        atomic_store(&wd.blocked_seen, n);
    tl_report_free(&r);
}

static void tick(void)
{
    struct tl_wd_scan s = {.now_ns = tl_now_ns(),
                           .threshold_ns = tl_ctx.opts.threshold_ms * 1000000};
    tl_watchdog_scan(&s);
    prove_all_asleep(&s);
    if (atomic_load(&wd.quiet))
        return;
    if (s.stuck > 0)
        tl_proof_watch(); /* leak proofs: at most once per threshold, logs new ones */
    bool tasks = tl_gor_present();
    bool changed = s.stuck != wd.last_stuck || s.signature != wd.last_sig;
    bool anything = s.stuck > 0 || wd.last_report_sig != 0 || tasks;
    wd.last_stuck = s.stuck;
    wd.last_sig = s.signature;
    if (anything && (changed || tasks || wd.cycle_sig != 0 || repeat_pending()))
        build_and_emit();
}

/* ---- the thread --------------------------------------------------------------------------- */

/* True when no other thread of the process is alive (zombies excluded): then we leave, so the
 * process ends as it would without us. Only asked once no tracked unit is left. */
static bool alone(void)
{
    if (tl_registry_live() != 0)
        return false;
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return false;
    pid_t me = atomic_load(&wd.tid);
    int others = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && others == 0;) {
        pid_t tid = (pid_t)atoi(e->d_name);
        char comm[32];
        if (tid > 0 && tid != me) {
            char st = tl_thread_proc_info(tid, comm, sizeof comm);
            others += st != 'Z' && st != 'X' && st != '?';
        }
    }
    closedir(d);
    return others == 0;
}

static void serve_dumps(int requests)
{
    if (requests <= 0 || atomic_load(&wd.quiet))
        return;
    tl_gate_dump();
    char dir[TL_OPT_PATH_MAX];
    int n = atomic_load(&tl_ctx.dumps);
    if (tl_ctx.opts.report[0] != '\0' &&
        tl_options_expand_path(tl_ctx.opts.report, dir, sizeof dir) >= 0)
        tl_logf("dump-%d written to %s/taskleak.%d.dump-%d.json", n, dir, (int)getpid(), n);
}

/* Whether the main thread has ended (pthread_exit): from then on the last thread may end at any
 * moment, and we look for that more often than every interval. */
static bool main_gone(void)
{
    char comm[32];
    char st = tl_thread_proc_info(getpid(), comm, sizeof comm);
    return st == 'Z' || st == 'X';
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    atomic_store(&wd.tid, (pid_t)syscall(SYS_gettid));
    bool lonely = false;
    int64_t next_tick = now_ms() + tl_ctx.opts.interval_ms;
    for (;;) {
        lonely = lonely || main_gone() || tl_registry_live() == 0;
        int64_t left = next_tick - now_ms();
        int ms = left < 0 ? 0 : (int)left;
        int cap = lonely ? LONELY_POLL_MS : SLICE_MS;
        int dumps = tl_dump_wait(ms > cap ? cap : ms, tl_sigreport_fd());
        tl_sigreport_serve(); /* a fatal signal's report comes before anything else */
        serve_dumps(dumps);
        if (alone())
            break;
        if (now_ms() < next_tick)
            continue;
        next_tick = now_ms() + tl_ctx.opts.interval_ms;
        if (tl_ctx.opts.threshold_ms > 0)
            tick();
    }
    return NULL; /* the last thread: glibc runs exit(0), as for the program's own last thread */
}

/* glibc's own pthread_create, so that preloads after ours (which tl_real would reach) never see
 * the detector's thread: it is not the program's. Falls back to the table's entry. */
static int (*libc_pthread_create(void))(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                        void *)
{
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *f = libc ? dlsym(libc, "pthread_create") : NULL;
    if (libc != NULL)
        dlclose(libc); /* only drops the reference NOLOAD took */
    return f && !tl_real_is_self(f)
               ? (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))f
               : tl_real.pthread_create;
}

static void start_thread(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits "everything blocked" */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, WD_STACK);
    pthread_t t;
    int rc = libc_pthread_create()(&t, &attr, watchdog_main, NULL);
    if (rc != 0) {
        tl_logf("cannot start the watchdog thread: %s; no watchdog reports", strerror(rc));
    } else {
        if (tl_real.pthread_setname_np != NULL)
            tl_real.pthread_setname_np(t, "taskleak-wd");
        /* Reports leave our thread out by its tid: it must be known before any report can run
         * (a program may create a thread and exit at once). The thread publishes it first thing,
         * holding nothing, so this wait is a few microseconds, once per process. */
        while (atomic_load(&wd.tid) == 0)
            sched_yield();
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void tl_watchdog_maybe_start(void)
{
    if (atomic_load_explicit(&wd.started, memory_order_relaxed) ||
        atomic_exchange(&wd.started, 1) || atomic_load(&tl_ctx.state) != TL_CTX_ON)
        return;
    if (tl_ctx.opts.threshold_ms == 0 && tl_ctx.opts.dump_signal == 0)
        return;
    int saved = errno;
    start_thread();
    errno = saved;
}

pid_t tl_watchdog_tid(void)
{
    return atomic_load(&wd.tid);
}

void tl_watchdog_quiesce(void)
{
    atomic_store(&wd.quiet, true);
}

size_t tl_watchdog_blocked_seen(void)
{
    return atomic_load(&wd.blocked_seen);
}

void tl_watchdog_atfork_child(void)
{
    /* The remembered groups belong to the parent's thread, which may have been mid-update: they
     * are dropped without touching them (their stack references only keep entries alive). */
    wd.shown = NULL;
    wd.nshown = wd.capshown = 0;
    wd.last_stuck = 0;
    wd.last_sig = wd.last_report_sig = 0;
    wd.asleep_before = false;
    wd.asleep_sig = wd.cycle_sig = wd.deadlock_reported = 0;
    atomic_store(&wd.tid, 0);
    atomic_store(&wd.blocked_seen, 0);
    atomic_store(&wd.started, 0);
    tl_dump_atfork_child();
    tl_deadlock_atfork_child();
}
