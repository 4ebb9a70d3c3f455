/* Interposers: thread creation, joins, detach, names (wait reasons: docs/internals.md).
 *
 * DESIGN. pthread_create has two versions in glibc on x86-64 (GLIBC_2.2.5 and GLIBC_2.34); the
 * unversioned definition exported here (base version: preload/exports.map names no node for it)
 * satisfies references to either, and tl_real forwards to the current implementation. Joins try
 * pthread_tryjoin_np first: a thread that already ended is joined without recording anything;
 * EDEADLK (self-join), EINVAL and ESRCH come back from it exactly as from pthread_join. Only EBUSY
 * means the join will block.
 *
 * Every successful join and every detach forgets the thread's exited record (tl_registry_joined,
 * tl_registry_set_detached): the thread is looked up before the join, since glibc may give its
 * pthread_t to a new thread as soon as the join returned.
 */
#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include "ipose.h"
#include "tl_registry.h"
#include "tl_thread.h"
#include "tl_watchdog.h"

/* The watchdog starts with the program's first thread (it keeps errno and does nothing once
 * started, or when the detector is off). */
TL_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    tl_enter();
    int rc = tl_thread_create(tl_real.pthread_create, t, attr, fn, arg);
    if (rc == 0)
        tl_watchdog_maybe_start();
    return rc;
}

TL_EXPORT int thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
    tl_enter();
    int rc = tl_thread_create_c11(t, fn, arg);
    if (rc == thrd_success)
        tl_watchdog_maybe_start();
    return rc;
}

/* The joined thread's record, looked up before the join (its handle may be reused after). */
static void ref_of(pthread_t t, struct tl_join_ref *ref)
{
    ref->slot = 0;
    ref->seq = 0;
    if (atomic_load(&tl_ctx.state) == TL_CTX_ON)
        tl_registry_join_ref(t, ref);
}

/* rc of a join: on success the thread's exited record is forgotten. Returns rc, errno kept. */
static int joined(int rc, const struct tl_join_ref *ref, pthread_t t)
{
    if (rc == 0 && atomic_load(&tl_ctx.state) == TL_CTX_ON) {
        int saved = errno;
        tl_registry_joined(ref, t);
        errno = saved;
    }
    return rc;
}

/* 0 when the join can complete without blocking (done: *rc holds the answer). */
static int try_join(pthread_t t, void **ret, int *rc)
{
    if (tl_real.pthread_tryjoin_np == NULL)
        return -1;
    int saved = errno;
    *rc = tl_real.pthread_tryjoin_np(t, ret);
    if (*rc == EBUSY) {
        errno = saved;
        return -1;
    }
    return 0;
}

TL_EXPORT int pthread_join(pthread_t t, void **ret)
{
    tl_enter();
    struct tl_join_ref ref;
    ref_of(t, &ref);
    int rc;
    if (try_join(t, ret, &rc) == 0)
        return joined(rc, &ref, t);
    BRACKET("join", "pthread_join", (void *)t, true, tl_real.pthread_join(t, ret));
    return joined(rc, &ref, t);
}

TL_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
    tl_enter();
    if (tl_real.pthread_tryjoin_np == NULL)
        return ENOSYS;
    struct tl_join_ref ref;
    ref_of(t, &ref);
    return joined(tl_real.pthread_tryjoin_np(t, ret), &ref, t);
}

TL_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
    tl_enter();
    struct tl_join_ref ref;
    ref_of(t, &ref);
    int rc;
    if (try_join(t, ret, &rc) == 0)
        return joined(rc, &ref, t);
    BRACKET("join", "pthread_timedjoin_np", (void *)t, false,
            tl_real.pthread_timedjoin_np(t, ret, abstime));
    return joined(rc, &ref, t);
}

TL_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
                                   const struct timespec *abstime)
{
    tl_enter();
    struct tl_join_ref ref;
    ref_of(t, &ref);
    int rc;
    if (try_join(t, ret, &rc) == 0)
        return joined(rc, &ref, t);
    BRACKET("join", "pthread_clockjoin_np", (void *)t, false,
            tl_real.pthread_clockjoin_np(t, ret, clk, abstime));
    return joined(rc, &ref, t);
}

TL_EXPORT int thrd_join(thrd_t t, int *res)
{
    tl_enter();
    struct tl_join_ref ref;
    ref_of((pthread_t)t, &ref);
    void *ret = NULL;
    int rc;
    if (try_join((pthread_t)t, &ret, &rc) == 0) {
        if (rc == 0 && res != NULL)
            *res = (int)(intptr_t)ret;
        joined(rc, &ref, (pthread_t)t);
        return rc == 0 ? thrd_success : thrd_error;
    }
    BRACKET("join", "thrd_join", (void *)t, true, tl_real.thrd_join(t, res));
    joined(rc == thrd_success ? 0 : -1, &ref, (pthread_t)t);
    return rc;
}

TL_EXPORT int pthread_detach(pthread_t t)
{
    tl_enter();
    int rc = tl_real.pthread_detach(t);
    if (rc == 0 && atomic_load(&tl_ctx.state) == TL_CTX_ON)
        tl_registry_set_detached(t);
    return rc;
}

TL_EXPORT int thrd_detach(thrd_t t)
{
    tl_enter();
    if (tl_real.thrd_detach == NULL)
        return thrd_error;
    int rc = tl_real.thrd_detach(t);
    if (rc == thrd_success && atomic_load(&tl_ctx.state) == TL_CTX_ON)
        tl_registry_set_detached((pthread_t)t);
    return rc;
}

TL_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    tl_enter();
    int rc = tl_real.pthread_setname_np ? tl_real.pthread_setname_np(t, name) : ENOSYS;
    if (rc == 0 && atomic_load(&tl_ctx.state) == TL_CTX_ON)
        tl_registry_set_name(t, name);
    return rc;
}
