/* tl_thread: creation, start and exit of tracked threads (see tl_thread.h).
 *
 * DESIGN. pthread_create is given our trampoline and a small malloc'd start record (the user's
 * routine and argument, the unit). The trampoline binds the unit to the thread (tid, TLS), sets
 * the exit key so that pthread_exit and cancellation also forget the unit, runs the routine, and
 * finishes the unit itself on a normal return (clearing the key first, so it is finished once):
 * a joinable thread's unit stays as an exited record until the thread is joined or detached.
 * The creation stack is captured on the creating thread, before the thread exists: the two frames
 * of ours (this module and the interposer) are skipped, so frame 0 is the caller of
 * pthread_create. When a gor task creates the thread, the stack is the task's, ending at its
 * start function, and the registry makes the task the thread's creator (Go's model: work is
 * created by the goroutine, not by the worker thread that ran it).
 */
#include "tl_input.h"
#include "tl_thread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_lockorder.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_stack.h"

struct start {
    void *(*fn)(void *); /* POSIX start routine, or NULL for C11 */
    thrd_start_t cfn;    /* C11 start routine */
    void *arg;
    struct tl_unit *unit;
};

static void forget(struct tl_unit *u)
{
    tl_lo_thread_exit();
    if (tl_ctx.exit_key_ok)
        pthread_setspecific(tl_ctx.exit_key, NULL);
    tl_registry_finish(u);
}

static void bind_unit(struct tl_unit *u)
{
    tl_registry_attach(u);
    if (tl_ctx.exit_key_ok)
        pthread_setspecific(tl_ctx.exit_key, u);
}

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    explicit_bzero(p, sizeof s); /* a freed copy of arg would keep it reachable (tl_proof) */
    free(p);
    bind_unit(s.unit);
    void *r = s.fn(s.arg);
    forget(s.unit);
    return r;
}

static int trampoline_c11(void *p)
{
    struct start s = *(struct start *)p;
    explicit_bzero(p, sizeof s);
    free(p);
    bind_unit(s.unit);
    int r = s.cfn(s.arg);
    forget(s.unit);
    return r;
}

void tl_thread_key_exit(void *unit)
{
    tl_lo_thread_exit();
    tl_registry_finish(unit);
}

/* A start record with a published unit, or NULL (then the caller forwards untracked). */
static struct start *prepare(uintptr_t start_fn, bool detached)
{
    uintptr_t ips[TL_STACK_MAX_FRAMES];
    int depth = tl_stack_depth();
    int n = tl_stack_capture(ips, depth < TL_STACK_MAX_FRAMES ? depth : TL_STACK_MAX_FRAMES, 2);
    n = tl_stack_strip_own(ips, n, NULL); /* a creator inside a gor task: its start box */
    if (tl_gor_current_task() != 0)       /* a task's stack ends at its start function */
        n = tl_gor_trim_tail(ips, n);
    struct start *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->unit = tl_registry_new(start_fn, tl_stack_intern(ips, n), detached);
    if (s->unit == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void discard(struct start *s)
{
    tl_registry_exit(s->unit);
    free(s);
}

int tl_thread_create(int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *),
                     pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!tl_ctx_ready())
        return real(t, attr, fn, arg);
    int saved = errno, ds = PTHREAD_CREATE_JOINABLE;
    if (attr != NULL)
        pthread_attr_getdetachstate(attr, &ds);
    struct start *s = prepare((uintptr_t)fn, ds == PTHREAD_CREATE_DETACHED);
    errno = saved;
    if (s == NULL)
        return real(t, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    size_t slot = s->unit->slot; /* s and its unit belong to the new thread once it runs */
    uint64_t seq = s->unit->seq;
    int rc = real(t, attr, trampoline, s);
    if (rc == 0)
        tl_registry_set_handle(slot, seq, *t);
    if (rc != 0) {
        saved = errno;
        discard(s);
        errno = saved;
    }
    return rc;
}

int tl_thread_create_c11(thrd_t *t, thrd_start_t fn, void *arg)
{
    if (!tl_ctx_ready())
        return tl_real.thrd_create(t, fn, arg);
    int saved = errno;
    struct start *s = prepare((uintptr_t)fn, false);
    errno = saved;
    if (s == NULL)
        return tl_real.thrd_create(t, fn, arg);
    s->cfn = fn;
    s->arg = arg;
    size_t slot = s->unit->slot;
    uint64_t seq = s->unit->seq;
    int rc = tl_real.thrd_create(t, trampoline_c11, s);
    if (rc == thrd_success)
        tl_registry_set_handle(slot, seq, *t);
    if (rc != thrd_success) {
        saved = errno;
        discard(s);
        errno = saved;
    }
    return rc;
}

size_t tl_thread_scan_unknown(pid_t *out, size_t max)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return 0;
    pid_t me = gettid();
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == me)
            continue;
        if (out != NULL && n < max)
            out[n] = tid;
        n++;
    }
    closedir(d);
    return n;
}

char tl_thread_proc_info(pid_t tid, char *buf, size_t n)
{
    char path[64], stat[512];
    buf[0] = '\0';
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    if (tl_input_small(path, buf, n, tl_real.read) > 0)
        buf[strcspn(buf, "\n")] = '\0';
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    if (tl_input_small(path, stat, sizeof stat, tl_real.read) <= 0)
        return '?';
    const char *p = strrchr(stat, ')'); /* comm may contain spaces and parentheses */
    return (p != NULL && p[1] == ' ' && p[2] != '\0') ? p[2] : '?';
}

int tl_thread_count(void)
{
    char stat[1024];
    if (tl_input_small("/proc/self/stat", stat, sizeof stat, tl_real.read) <= 0)
        return 0;
    const char *p = strrchr(stat, ')'); /* then " state ppid ...": num_threads is field 20 */
    for (int field = 2; p != NULL && *p != '\0'; p++) {
        if (*p == ' ' && ++field == 20) {
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + (*p - '0');
            return n;
        }
    }
    return 0;
}
