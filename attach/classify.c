/*
 * What a stopped thread waits for, read from outside.
 *
 * The reason comes from the stack: the outermost frame (nearest the program's code) whose function
 * is a libc blocking call of the detector's table (docs/internals.md, Wait reasons) names the call
 * and its reason; glibc's internal aliases (__pthread_mutex_lock, ___pthread_join) match by their
 * name without leading underscores. The object comes from the futex the thread sleeps on (the first
 * argument of the interrupted futex syscall), mapped back to the call's argument through glibc's
 * x86-64 ABI layouts:
 *   pthread_mutex_t: the futex is __data.__lock at offset 0; __data.__owner (offset 8) holds the
 *                    owner's tid;
 *   pthread_cond_t:  waiters sleep on __data.__g_signals[g] at offset 40 or 44 (the condition is
 *                    8-byte aligned, so the offset tells which);
 *   pthread_join:    the joiner sleeps on the joined thread's descriptor field `tid` (at
 *                    TLA_PTHREAD_TID_OFFSET in glibc 2.34+'s struct pthread), which holds that
 *                    thread's tid while it runs: the pthread_t is the futex minus that offset;
 *   pthread_rwlock_t: readers and writers sleep on __wrphase_futex (offset 8) or
 *                    __writers_futex (offset 12);
 *   pthread_barrier_t: waiters sleep on current_round (offset 4);
 *   sem_t:           the futex is the value at offset 0.
 * A timeout argument on the futex makes the wait external whatever the call (a timed lock, cond or
 * join). IO waits name the descriptor (the syscall's first argument).
 */
#include <string.h>
#include <sys/syscall.h>

#include "attach.h"

#define TLA_PTHREAD_TID_OFFSET 0x2d0
#define COND_SIGNALS_OFFSET    40
#define MUTEX_OWNER_OFFSET     8
#define RWLOCK_WRPHASE_OFFSET  8
#define BARRIER_ROUND_OFFSET   4

struct entry {
    const char *call, *reason;
    bool durable;
};

static const struct entry table[] = {
    {"pthread_mutex_lock", "mutex lock", true},
    {"pthread_mutex_timedlock", "mutex lock", false},
    {"pthread_mutex_clocklock", "mutex lock", false},
    {"mtx_lock", "mutex lock", true},
    {"mtx_timedlock", "mutex lock", false},
    {"pthread_rwlock_rdlock", "rwlock read", true},
    {"pthread_rwlock_timedrdlock", "rwlock read", false},
    {"pthread_rwlock_clockrdlock", "rwlock read", false},
    {"pthread_rwlock_wrlock", "rwlock write", true},
    {"pthread_rwlock_timedwrlock", "rwlock write", false},
    {"pthread_rwlock_clockwrlock", "rwlock write", false},
    {"pthread_cond_wait", "cond wait", true},
    {"pthread_cond_timedwait", "cond wait", false},
    {"pthread_cond_clockwait", "cond wait", false},
    {"cnd_wait", "cond wait", true},
    {"cnd_timedwait", "cond wait", false},
    {"sem_wait", "semaphore", true},
    {"new_sem_wait", "semaphore", true},
    {"new_sem_wait_slow", "semaphore", true}, /* sem_wait's tail call: shown as sem_wait */
    {"sem_timedwait", "semaphore", false},
    {"sem_clockwait", "semaphore", false},
    {"pthread_join", "join", true},
    {"pthread_clockjoin_ex", "join", true}, /* pthread_join's tail call: shown as pthread_join */
    {"pthread_timedjoin_np", "join", false},
    {"pthread_clockjoin_np", "join", false},
    {"thrd_join", "join", true},
    {"pthread_barrier_wait", "barrier", true},
    {"nanosleep", "sleep", false},
    {"clock_nanosleep", "sleep", false},
    {"usleep", "sleep", false},
    {"sleep", "sleep", false},
    {"pause", "signal wait", false},
    {"sigsuspend", "signal wait", false},
    {"sigwait", "signal wait", false},
    {"sigwaitinfo", "signal wait", false},
    {"sigtimedwait", "signal wait", false},
    {"poll", "IO wait", false},
    {"ppoll", "IO wait", false},
    {"select", "IO wait", false},
    {"pselect", "IO wait", false},
    {"epoll_wait", "IO wait", false},
    {"epoll_pwait", "IO wait", false},
    {"read", "IO wait", false},
    {"recv", "IO wait", false},
    {"recvfrom", "IO wait", false},
    {"recvmsg", "IO wait", false},
    {"accept", "IO wait", false},
    {"accept4", "IO wait", false},
};

/* The call as the program wrote it, for glibc's internal entry points. */
static const char *public_name(const char *call)
{
    return !strcmp(call, "pthread_clockjoin_ex") ? "pthread_join"
           : !strncmp(call, "new_sem_wait", 12)  ? "sem_wait"
                                                 : call;
}

static const struct entry *find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].call) == len && strncmp(table[i].call, name, len) == 0)
            return &table[i];
    return NULL;
}

/* glibc's names for the same entry point: leading underscores (__pthread_mutex_lock), the
 * "libc_" of cancellation wrappers (__libc_read), the 64-bit time suffixes
 * (__pthread_cond_timedwait64, __clock_nanosleep_time64) and the compiler's clone suffixes
 * (__new_sem_wait_slow64.constprop.0) are not part of the call's name. */
static const struct entry *lookup(const char *function)
{
    if (function == NULL)
        return NULL;
    while (*function == '_')
        function++;
    if (strncmp(function, "libc_", 5) == 0)
        function += 5;
    size_t len = strcspn(function, ".");
    const struct entry *e = find(function, len);
    if (!e && len > 7 && strncmp(function + len - 7, "_time64", 7) == 0)
        e = find(function, len - 7);
    if (!e && len > 2 && strncmp(function + len - 2, "64", 2) == 0)
        e = find(function, len - 2);
    return e;
}

const char *tla_reason_of(const char *function, bool *durable)
{
    const struct entry *e = lookup(function);
    *durable = e && e->durable;
    return e ? e->reason : NULL;
}

bool tla_in_libc(const struct tla_proc *p, const struct tla_frame *f)
{
    if (f->module < 0 || (size_t)f->module >= p->nmodules)
        return false;
    const char *path = p->modules[f->module].path;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0 ||
           strncmp(base, "libpthread", 10) == 0;
}

/* The futex the thread sleeps on, or 0 (not in a futex wait). */
static uint64_t futex_word(const struct tla_thread *t, bool *timed)
{
    *timed = false;
    if (t->sysno != SYS_futex)
        return 0;
    int op = (int)(t->args[1] & 0x7f);   /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
    *timed = t->args[3] != 0 && op != 6; /* FUTEX_LOCK_PI's timeout is absolute but still one */
    return t->args[0];
}

static void object_of(struct tla_proc *p, struct tla_thread *t, struct tla_wait *w)
{
    bool timed;
    uint64_t futex = futex_word(t, &timed);
    if (strcmp(w->reason, "IO wait") == 0) {
        w->object = t->sysno >= 0 && strcmp(w->call, "poll") && strcmp(w->call, "ppoll") &&
                            strcmp(w->call, "select") && strcmp(w->call, "pselect")
                        ? t->args[0]
                        : 0;
        return;
    }
    if (futex == 0)
        return;
    w->durable = !timed; /* the futex's timeout decides, whatever the frame's name says */
    if (strcmp(w->reason, "mutex lock") == 0) {
        w->object = futex;
        w->owner_tid = (pid_t)(t->futex_words[MUTEX_OWNER_OFFSET / 4] & 0x3fffffff);
    } else if (strcmp(w->reason, "cond wait") == 0) {
        w->object = futex - (futex % 8 == 0 ? COND_SIGNALS_OFFSET : COND_SIGNALS_OFFSET + 4);
    } else if (strncmp(w->reason, "rwlock", 6) == 0) {
        /* readers and writers sleep on __wrphase_futex (offset 8) or __writers_futex (12) */
        w->object = futex - (futex % 8 == 0 ? RWLOCK_WRPHASE_OFFSET : RWLOCK_WRPHASE_OFFSET + 4);
    } else if (strcmp(w->reason, "barrier") == 0) {
        w->object = futex - BARRIER_ROUND_OFFSET; /* waiters sleep on current_round */
    } else if (strcmp(w->reason, "join") == 0) {
        w->object = futex - TLA_PTHREAD_TID_OFFSET;
        w->owner_tid = t->futex_words[0] > 0 ? t->futex_words[0] : 0;
    } else {
        w->object = futex;
    }
}

/* Without glibc's debug symbols pthread_join's frame is hidden (it tail-calls an internal
 * function that no exported symbol names), but its futex is unmistakable: it sleeps on the joined
 * thread's tid field, which holds that thread's tid. */
static bool joins_a_thread(const struct tla_proc *p, const struct tla_thread *t)
{
    int tid = t->futex_words[0];
    for (size_t i = 0; tid > 0 && i < p->n; i++)
        if (p->t[i].tid == tid && &p->t[i] != t)
            return true;
    return false;
}

/* The frame index of the call into libc: the innermost frame outside libc, minus one. */
static int libc_entry(const struct tla_proc *p, const struct tla_thread *t)
{
    for (int k = 0; k < t->nframes; k++)
        if (!tla_in_libc(p, &t->frames[k]))
            return k - 1;
    return -1;
}

void tla_classify(struct tla_proc *p, struct tla_thread *t)
{
    struct tla_wait w = {.call_frame = -1};
    for (int k = t->nframes - 1; k >= 0; k--) {
        const struct entry *e = lookup(t->frames[k].function);
        if (e && tla_in_libc(p, &t->frames[k])) {
            w.reason = e->reason;
            w.call = public_name(e->call);
            w.durable = e->durable;
            w.call_frame = k;
            break;
        }
    }
    if (w.reason == NULL && t->sysno == SYS_futex) {
        for (int k = t->nframes - 1; k >= 0 && w.reason == NULL; k--)
            if (t->frames[k].function && !strcmp(t->frames[k].function, "syscall") &&
                tla_in_libc(p, &t->frames[k])) {
                bool timed;
                futex_word(t, &timed);
                w = (struct tla_wait){"futex", "syscall(SYS_futex)", t->args[0], !timed, 0, k};
            }
    }
    if (w.reason == NULL && t->sysno == SYS_futex && joins_a_thread(p, t))
        w = (struct tla_wait){"join", "pthread_join", 0, true, 0, libc_entry(p, t)};
    if (w.reason != NULL && t->state != 'R')
        object_of(p, t, &w);
    if (t->state == 'R')
        w.reason = NULL; /* on a CPU now: spinning, or just woken; not a wait */
    t->wait = w;
}
