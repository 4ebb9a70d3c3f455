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
#include "tl_wd_text.h"
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
#include "tl_exits.h"
#include "tl_file.h"
#include "tl_gate.h"
#include "tl_gor.h"
#include "tl_group.h"
#include "tl_growth.h"
#include "tl_hint.h"
#include "tl_log.h"
#include "tl_metrics.h"
#include "tl_object.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_report.h"
#include "tl_sigreport.h"
#include "tl_fmt.h"
#include "tl_text.h"
#include "tl_thread.h"

#define SCAN_BATCH     4096 /* units per registry-lock hold */
#define LONELY_POLL_MS 20   /* re-check period once main has gone or no tracked thread is left */
#define SLICE_MS       250  /* longest sleep: main may pthread_exit at any time */
#define TASK_DUTY      100  /* task scans: at most 1/TASK_DUTY of the watchdog's time (scan) */
#define WD_STACK       (1u << 20) /* symbolization and formatting need some room */

static struct {
    _Atomic int started; /* 0 until the first maybe_start */
    /* Watchdog thread only. */
    size_t last_stuck;
    uint64_t last_sig, last_report_sig;
    bool asleep_before;         /* the last look found the whole process asleep */
    uint64_t asleep_sig;        /* and this progress signature */
    uint64_t cycle_sig;         /* the last build's cycles, all past the threshold (0: none) */
    uint64_t deadlock_reported; /* the deadlock last reported (on_deadlock=report says it once) */
    bool pending;               /* the stuck set changed since the last build */
    size_t deadlocked;          /* units the last build found deadlocked (metrics) */
    struct tl_wd_scan tasks;    /* the last task scan (scan) */
    int64_t tasks_next_ms;      /* when the next one is due */
    int64_t threads_ns, tasks_ns; /* what the last thread scan and the last task scan took */
    int64_t next_build_ms, build_gap_ms, per_threshold_ms; /* build rate limit (tick) */
} wd;

static const struct tl_options *opt; /* tl_watchdog_init, before any watchdog thread; read-only */
static struct tl_supp *supp;         /* tl_watchdog_init: the suppressions, NULL for none */

void tl_watchdog_init(const struct tl_options *o, struct tl_supp *s)
{
    opt = o;
    supp = s;
}

/* ---- layer 1: the light scan --------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Counts one blocked unit under its kind and reason (reasons are static strings: compared by
 * address, then by text for the rare copy). */
static void count_reason(struct tl_wd_scan *s, int kind, const char *reason, int64_t since)
{
    s->blocked[kind]++;
    if (reason == NULL)
        return;
    size_t i = 0;
    while (i < s->nreasons && (s->reasons[i].kind != kind || (s->reasons[i].reason != reason &&
                                                              strcmp(s->reasons[i].reason, reason))))
        i++;
    if (i == s->nreasons) {
        if (i == TL_WD_REASONS)
            return;
        s->reasons[s->nreasons++] = (struct tl_wd_reason){reason, kind, 0, since};
    }
    s->reasons[i].count++;
    if (since < s->reasons[i].oldest_ns)
        s->reasons[i].oldest_ns = since;
}

static void count_task(void *arg, const char *reason, int64_t since)
{
    count_reason(arg, TL_KIND_TASK, reason, since);
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
    const char *reason = u->wait.reason;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&u->progress, memory_order_relaxed) != p1 || u->internal)
        return;
    count_reason(s, TL_KIND_THREAD, reason, since);
    if (!durable || !tl_past_threshold(s->now_ns - since, s->threshold_ns))
        return;
    s->stuck++;
    s->signature += mix(u->seq * 0x9e3779b97f4a7c15ULL ^ p1); /* a sum: order does not matter */
}

/* Threads from the registry's slots (a few loads per unit). */
static void scan_threads(struct tl_wd_scan *s)
{
    s->units = s->stuck = s->tasks = s->tasks_stuck = s->nreasons = 0;
    s->blocked[0] = s->blocked[1] = 0;
    s->signature = 0;
    tl_registry_visit(SCAN_BATCH, scan_unit, s);
}

/* Adds gor's tasks to s from one copy of their states and waits (no unwinding, no stack table). */
static void scan_tasks(struct tl_wd_scan *s)
{
    uint64_t sig = 0;
    size_t live = 0;
    long stuck = tl_gor_present() ? tl_gor_scan_stuck(s->threshold_ns / 1000000, &sig, &live,
                                                      count_task, s)
                                  : 0;
    s->tasks += live;
    s->tasks_stuck += stuck > 0 ? (size_t)stuck : 0;
    s->units += live;
    s->stuck += stuck > 0 ? (size_t)stuck : 0;
    s->signature += mix(sig);
}

/* Both, in full: nothing built, nothing kept. */
void tl_watchdog_scan(struct tl_wd_scan *s)
{
    scan_threads(s);
    scan_tasks(s);
}

/* The watchdog's scan: threads every time; tasks, whose copy costs more, so that the task scans
 * take at most TASK_DUTY of the watchdog's time (a look every interval while they are cheap, every
 * few intervals with hundreds of thousands of tasks); between two, the last one's findings stand
 * (a wait crossing the threshold meanwhile is seen at the next). */
static void scan(struct tl_wd_scan *s, int64_t now)
{
    int64_t t0 = tl_now_ns();
    scan_threads(s);
    wd.threads_ns = tl_now_ns() - t0;
    if (now >= wd.tasks_next_ms) {
        int64_t t1 = tl_now_ns();
        wd.tasks = (struct tl_wd_scan){.now_ns = s->now_ns, .threshold_ns = s->threshold_ns};
        scan_tasks(&wd.tasks);
        wd.tasks_ns = tl_now_ns() - t1;
        int64_t took_ms = wd.tasks_ns / 1000000;
        wd.tasks_next_ms = now + (took_ms * TASK_DUTY > opt->interval_ms
                                      ? took_ms * TASK_DUTY
                                      : opt->interval_ms / 2);
    }
    const struct tl_wd_scan *t = &wd.tasks;
    s->tasks = t->tasks;
    s->tasks_stuck = t->tasks_stuck;
    s->units += t->units;
    s->stuck += t->stuck;
    s->signature += t->signature;
    s->blocked[TL_KIND_TASK] = t->blocked[TL_KIND_TASK];
    for (size_t i = 0; i < t->nreasons && s->nreasons < TL_WD_REASONS; i++)
        s->reasons[s->nreasons++] = t->reasons[i];
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
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].growth != NULL)
            sig += mix(fnv(FNV_START, r->groups[g].growth->site));
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        if (u->verdict != NULL)
            sig += mix(fnv(fnv(FNV_START, u->id), u->verdict));
    }
    return sig;
}

static void write_json(struct tl_report *r)
{
    if (opt->report[0] == '\0')
        return;
    char dir[TL_OPT_PATH_MAX], name[96];
    if (tl_options_expand_path(opt->report, dir, sizeof dir) < 0)
        return;
    snprintf(name, sizeof name, "taskleak.%d.watchdog.json", (int)getpid());
    size_t len = 0;
    char *doc = tl_report_json(r, &len);
    if (doc == NULL || tl_file_write_atomic(dir, name, doc, len) < 0)
        tl_logf("watchdog: cannot write %s/%s: %s", dir, name, strerror(errno));
    free(doc);
}


/* ---- proven deadlocks (on_deadlock) -------------------------------------------------------- */

/* The deadlock report, then (unless on_deadlock=report) the end of the process. */
static void proven(bool all_asleep, uint64_t sig)
{
    wd.deadlock_reported = sig;
    tl_gate_deadlock(all_asleep, opt->on_deadlock != TL_ON_DEADLOCK_REPORT);
}

/* The whole process asleep on two looks one interval apart, nothing moved in between. Runs while
 * the process is inside exit() too (the gate quiesced the watchdog's reports, not this). */
static void prove_all_asleep(const struct tl_wd_scan *s)
{
    struct tl_asleep_look l = {0};
    bool gor = tl_gor_present();
    if (gor && tl_gor_deadlocked())
        return; /* gor's runtime proved it first: its hook reports, and the runtime exits */
    if (s->stuck > 0 && s->tasks_stuck == s->tasks) /* a task not stuck: not all asleep */
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
            if (!u->has_wait ||
                !tl_past_threshold(u->wait_ms * 1000000, opt->threshold_ms * 1000000))
                return 0;
            sig += mix(fnv(FNV_START, u->id) ^ (uint64_t)u->wait.since_ns);
        }
    return sig;
}

static bool prove_cycle(const struct tl_report *r)
{
    if (opt->on_deadlock != TL_ON_DEADLOCK_ANY)
        return false;
    uint64_t sig = cycle_signature(r);
    bool same = sig != 0 && sig == wd.cycle_sig && sig != wd.deadlock_reported;
    wd.cycle_sig = sig;
    return same;
}

/* ---- layer 2: one tick -------------------------------------------------------------------- */

/* One watchdog report; true when it had something new to say (a new group). */
static bool build_and_emit(void)
{
    struct tl_report r;
    if (tl_report_build(&r, TL_BUILD_WATCHDOG, 0, opt, supp) < 0)
        return false;
    if (atomic_load(&tl_ctx.watchdog_quiet)) {
        tl_report_free(&r);
        return false;
    }
    if (prove_cycle(&r)) {
        tl_report_free(&r);
        proven(false, wd.cycle_sig);
        return true;
    }
    uint64_t sig = findings_signature(&r);
    if (sig != wd.last_report_sig) {
        write_json(&r);
        wd.last_report_sig = sig;
    }
    bool news = tl_wd_text_emit(&r);
    size_t n = r.blocked + r.deadlocked;
    wd.deadlocked = r.deadlocked;
    if (n > atomic_load(&tl_ctx.watchdog_seen))
        atomic_store(&tl_ctx.watchdog_seen, n);
    tl_report_free(&r);
    return news;
}

/* Builds are rate-limited like hung_task's warnings: after a build that had no new group to show
 * the next waits at least the threshold, then twice as long each time (up to 8 thresholds); a
 * build that showed something new resets the wait to the interval. A growing set of stuck units
 * thus costs a few builds, not one per interval. */
static bool build_allowed(int64_t now)
{
    return now >= wd.next_build_ms;
}

static void built(int64_t now, bool news)
{
    int64_t thr = tl_wd_repeat_gap_ms(opt);
    if (news)
        wd.build_gap_ms = opt->interval_ms;
    else
        wd.build_gap_ms = wd.build_gap_ms < thr ? thr
                          : wd.build_gap_ms * 2 > 8 * thr ? 8 * thr
                                                          : wd.build_gap_ms * 2;
    wd.next_build_ms = now + wd.build_gap_ms - opt->interval_ms / 2;
}

/* The scans that may run at most once per threshold while blocked units exist (deeper looks than
 * the every-interval scan) are called from here. */
static void per_threshold(const struct tl_wd_scan *s, int64_t now)
{
    if (s->stuck == 0 || now - wd.per_threshold_ms < opt->threshold_ms)
        return;
    wd.per_threshold_ms = now;
    /* Leak proofs: tl_proof_watch keeps them within the watchdog's budget for them. */
    if (opt->proof)
        tl_proof_watch(s->units, opt->threshold_ms); /* logs each newly proven unit once */
}

static void tick(void)
{
    int64_t t0 = tl_now_ns(), now = now_ms();
    struct tl_wd_scan s = {.now_ns = t0, .threshold_ns = opt->threshold_ms * 1000000};
    scan(&s, now);
    bool grew = tl_growth_look(now);
    tl_metrics_write(&s, wd.threads_ns + wd.tasks_ns, wd.deadlocked); /* a full look's cost */
    prove_all_asleep(&s);
    if (atomic_load(&tl_ctx.watchdog_quiet))
        return;
    per_threshold(&s, now);
    bool changed = s.stuck != wd.last_stuck || s.signature != wd.last_sig;
    bool anything = s.stuck > 0 || wd.last_report_sig != 0;
    wd.last_stuck = s.stuck;
    wd.last_sig = s.signature;
    wd.pending |= anything && changed;
    if (grew || wd.cycle_sig != 0 ||
        (build_allowed(now) && (wd.pending || tl_wd_text_repeat_pending()))) {
        wd.pending = false;
        /* the build took its own look: the next task scan starts afresh, not from this one's
         * duty-limited schedule */
        wd.tasks = (struct tl_wd_scan){0};
        wd.tasks_next_ms = wd.threads_ns = wd.tasks_ns = 0;
        built(now, build_and_emit() || grew);
    }
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
    pid_t me = atomic_load(&tl_ctx.watchdog_tid);
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
    if (requests <= 0 || atomic_load(&tl_ctx.watchdog_quiet))
        return;
    tl_gate_dump();
    char dir[TL_OPT_PATH_MAX];
    int n = atomic_load(&tl_ctx.dumps);
    if (opt->report[0] != '\0' &&
        tl_options_expand_path(opt->report, dir, sizeof dir) >= 0)
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
    atomic_store(&tl_ctx.watchdog_tid, (pid_t)syscall(SYS_gettid));
    bool lonely = false;
    int64_t next_tick = now_ms() + opt->interval_ms;
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
        next_tick = now_ms() + opt->interval_ms;
        if (opt->threshold_ms > 0)
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
        while (atomic_load(&tl_ctx.watchdog_tid) == 0)
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
    if (opt->threshold_ms == 0 && opt->dump_signal == 0)
        return;
    int saved = errno;
    start_thread();
    errno = saved;
}

void tl_watchdog_atfork_child(void)
{
    tl_wd_text_atfork_child();
    wd.last_stuck = 0;
    wd.last_sig = wd.last_report_sig = 0;
    wd.pending = false;
    wd.tasks = (struct tl_wd_scan){0};
    wd.tasks_next_ms = wd.threads_ns = wd.tasks_ns = 0;
    wd.next_build_ms = wd.build_gap_ms = wd.per_threshold_ms = 0;
    wd.asleep_before = false;
    wd.asleep_sig = wd.cycle_sig = wd.deadlock_reported = 0;
    atomic_store(&tl_ctx.watchdog_tid, 0);
    atomic_store(&tl_ctx.watchdog_seen, 0);
    atomic_store(&wd.started, 0);
    tl_dump_atfork_child();
    tl_exits_atfork_child();
    tl_growth_atfork_child();
}
