/* tl_gate: the exit gate and the in-process checks (see tl_gate.h).
 *
 * DESIGN. The grace wait looks at the registry (and gor's tasks) every 10 ms without unwinding
 * anything: a look is a batched snapshot of wait states and progress counters. It ends when no
 * relevant unit is left, or when two consecutive looks saw every remaining unit in a durable wait
 * with the same progress signature: nothing outside the process can end those waits and nothing
 * inside moved, so waiting longer cannot change the verdict. External waits (sleep, IO, timed
 * waits) and running units keep it going up to `grace`. A thread that finishes during the wait
 * without being joined leaves an exited record behind: it no longer counts here, and the report
 * calls it unjoined.
 *
 * While the gate works, the thread running it is excluded from every report, and its own calls
 * into our wrappers (stdio locks, libelf) are recorded like anyone's but never reported.
 */
#include "tl_gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_proof.h"
#include "tl_group.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_report.h"

#define LOOK_NS 10000000 /* 10 ms between grace looks */

static const struct tl_options *opt; /* tl_gate_init, at start-up; read-only */
static struct tl_supp *supp;         /* tl_gate_init: the suppressions, NULL for none */

void tl_gate_init(const struct tl_options *o, struct tl_supp *s)
{
    opt = o;
    supp = s;
}

struct look {
    size_t relevant;    /* units that would be reported */
    bool all_durable;   /* every one of them in a durable wait */
    uint64_t signature; /* mix of (id, progress) of them: changes when anything moved */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL;
}

static void look_threads(struct look *l, uint64_t exclude_seq, int skip_ignored)
{
    struct tl_snapshot s;
    if (tl_registry_snapshot(&s, false, 0, 1024) < 0) {
        l->all_durable = false;
    }
    for (size_t i = 0; i < s.n; i++) {
        const struct tl_unit_view *v = &s.v[i];
        if (v->exited || v->seq == exclude_seq || v->internal || (skip_ignored && v->ignored) ||
            tl_gor_runtime_thread(v->start) || tl_gor_created_by_runtime(v->created_stack))
            continue;
        l->relevant++;
        l->all_durable &= v->blocked && v->wait.durable;
        l->signature = mix(mix(l->signature, v->seq), v->progress);
    }
    tl_snapshot_free(&s);
}

static void look_tasks(struct look *l)
{
    struct tl_gor_snapshot g = {0};
    if (!tl_gor_present() || tl_gor_snapshot_take(&g, 0) < 0)
        return;
    for (size_t i = 0; i < g.n; i++) {
        const struct tl_gor_unit *t = &g.units[i];
        if (strcmp(t->state, "exited") == 0)
            continue;
        l->relevant++;
        l->all_durable &= t->deadlocked || (t->reason != NULL && t->durable);
        l->signature = mix(mix(l->signature, (uint64_t)t->task), t->progress);
    }
    tl_gor_snapshot_free(&g);
}

static void nap(int64_t ns)
{
    struct timespec ts = {ns / 1000000000, ns % 1000000000};
    tl_real.nanosleep(&ts, NULL);
}

size_t tl_gate_grace(int64_t grace_ms, uint64_t exclude_seq, int skip_ignored)
{
    int64_t deadline = tl_now_ns() + grace_ms * 1000000;
    uint64_t prev = 0;
    bool have_prev = false;
    for (;;) {
        struct look l = {0, true, 0xcbf29ce484222325ULL};
        look_threads(&l, exclude_seq, skip_ignored);
        look_tasks(&l);
        if (l.relevant == 0 || (l.all_durable && have_prev && l.signature == prev))
            return l.relevant;
        /* every remaining unit proven leaked: waiting cannot change the answer (one scan) */
        if (l.all_durable && !have_prev && opt->proof &&
            tl_proof_all_proven(exclude_seq, skip_ignored))
            return l.relevant;
        if (tl_now_ns() >= deadline)
            return l.relevant;
        prev = l.signature;
        have_prev = true;
        nap(LOOK_NS);
    }
}

static uint64_t self_seq(void)
{
    struct tl_unit *u = tl_registry_self();
    return u ? u->seq : 0;
}

/* The program's buffered stdout goes out before our report, as it would have at exit; skipped
 * when another thread holds the stream (it may be blocked forever holding it). */
static void flush_stdout(void)
{
    if (ftrylockfile(stdout) == 0) {
        fflush_unlocked(stdout);
        funlockfile(stdout);
    }
}

/* Builds and emits one report; returns its failing count for fail_on, or -1. */
static long run_report(enum tl_build_mode mode, const char *file_kind)
{
    struct tl_report r;
    atomic_fetch_add(&tl_ctx.reporting, 1); /* no signal report from a handler meanwhile */
    /* A dump shows every unit, the one asking for it too (it may own what others wait for). */
    if (tl_report_build(&r, mode, mode == TL_BUILD_DUMP ? 0 : self_seq(), opt, supp) < 0) {
        atomic_fetch_sub(&tl_ctx.reporting, 1);
        return -1;
    }
    snprintf(r.file_kind, sizeof r.file_kind, "%s", file_kind);
    tl_report_emit(&r);
    atomic_fetch_sub(&tl_ctx.reporting, 1);
    long failing = (long)tl_report_failing(&r, opt->fail_on);
    if (mode == TL_BUILD_EXIT && (opt->fail_on & TL_FAIL_BLOCKED))
        failing += (long)atomic_load(&tl_ctx.watchdog_seen);
    if (mode == TL_BUILD_CHECK)
        failing = (long)(r.leaked + r.deadlocked + r.unjoined);
    tl_report_free(&r);
    return failing;
}

void tl_gate_atexit(void)
{
    if (atomic_load(&tl_ctx.state) != TL_CTX_ON || !opt->exit_check ||
        atomic_exchange(&tl_ctx.gate_ran, 1))
        return;
    int saved = errno;
    TL_PROOF_ENTRY(); /* the program's frames above this one are roots of leak proofs */
    atomic_store(&tl_ctx.watchdog_quiet, true); /* no watchdog report may race the exit report */
    flush_stdout();
    tl_gate_grace(opt->grace_ms, self_seq(), 1);
    long failing = run_report(TL_BUILD_EXIT, "exit");
    TL_PROOF_LEAVE();
    errno = saved;
    if (failing > 0 && opt->exitcode != 0)
        exit(opt->exitcode); /* glibc: remaining handlers run, the last status wins */
}

void tl_gate_exit_now(void)
{
    if (atomic_load(&tl_ctx.state) != TL_CTX_ON || atomic_exchange(&tl_ctx.gate_ran, 1))
        return;
    int saved = errno;
    TL_PROOF_ENTRY();
    atomic_store(&tl_ctx.watchdog_quiet, true);
    flush_stdout();
    long failing = run_report(TL_BUILD_EXIT, "exit");
    TL_PROOF_LEAVE();
    errno = saved;
    if (failing > 0 && opt->exitcode != 0) {
        fflush(stderr);
        _exit(opt->exitcode);
    }
}

void tl_gate_deadlock(bool all_asleep, bool end)
{
    if (!tl_ctx_ready())
        return;
    int saved = errno;
    flush_stdout();
    struct tl_report r;
    if (tl_report_build_deadlock(&r, all_asleep, opt, supp) == 0) {
        tl_report_emit(&r); /* the text leaves by write(2): no stdio lock a stuck unit may hold */
        tl_report_free(&r);
    }
    errno = saved;
    if (end && opt->exitcode != 0)
        _exit(opt->exitcode); /* no atexit handler: one may join the stuck units again */
}

/* "check-<n>" / "dump-<n>": the next number of this process whose report file does not exist
 * yet. An exec keeps the pid and restarts the counter, so numbers already used by an earlier image
 * of the same pid are skipped instead of overwritten. */
static void numbered_kind(const char *prefix, _Atomic int *counter, char *out, size_t n)
{
    char dir[TL_OPT_PATH_MAX], path[TL_OPT_PATH_MAX + 128];
    bool have_dir =
        opt->report[0] != '\0' && tl_options_expand_path(opt->report, dir, sizeof dir) >= 0;
    struct stat st;
    for (int tries = 0; tries < 100000; tries++) {
        snprintf(out, n, "%s-%d", prefix, atomic_fetch_add(counter, 1) + 1);
        if (!have_dir)
            return;
        snprintf(path, sizeof path, "%s/taskleak.%d.%s.json", dir, (int)getpid(), out);
        if (lstat(path, &st) != 0)
            return;
    }
}

int tl_gate_check(void)
{
    if (!tl_ctx_ready())
        return -1;
    int saved = errno;
    char kind[32];
    numbered_kind("check", &tl_ctx.checks, kind, sizeof kind);
    TL_PROOF_ENTRY();
    tl_gate_grace(opt->grace_ms, self_seq(), 1);
    long failing = run_report(TL_BUILD_CHECK, kind);
    TL_PROOF_LEAVE();
    errno = saved;
    return failing < 0 ? -1 : (int)failing;
}

void tl_gate_dump(void)
{
    if (!tl_ctx_ready())
        return;
    int saved = errno;
    char kind[32];
    numbered_kind("dump", &tl_ctx.dumps, kind, sizeof kind);
    TL_PROOF_ENTRY();
    run_report(TL_BUILD_DUMP, kind);
    TL_PROOF_LEAVE();
    errno = saved;
}

void tl_gate_ignore_current(void)
{
    if (!tl_ctx_ready())
        return;
    tl_registry_ignore_all();
    tl_group_ignore_unknown();
}
