/* Interposers the lock-order graph needs beside the blocking ones of ipose_sync.c: releases,
 * trylocks, and init/destroy of mutexes, rwlocks and C11 mutexes.
 *
 * DESIGN. Each is a forward with one note to tl_lockorder: a release leaves the thread's held list
 * before the real unlock; a trylock that succeeds enters it marked as a trylock (it cannot wait, so
 * it adds no edge into itself); init and destroy make the graph forget the address, since the next
 * lock to live there (heap reuse) is another lock. Return values and errno are the real
 * function's; with lock_order=0 the held list stays empty and each costs one test.
 *
 * The unlocks are on every program's hottest path, so their common case (the lock released is
 * the newest the thread holds, noted when it was taken) is a few loads and compares with no call
 * and no stack frame, ending in a tail call to the real function; so is a release with nothing
 * held once the detector is ready (lock_order=0). A default pthread mutex is then released in
 * place, as glibc would (tl_mfast.h), instead of by the tail call. Everything else (first calls,
 * the detector off, a release out of order) goes to an out-of-line _slow twin. A held entry
 * exists only once initialisation filled the real-function table.
 */
#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include "ipose.h"
#include "tl_mfast.h"

static __attribute__((noinline)) int pthread_mutex_unlock_slow(pthread_mutex_t *m)
{
    tl_enter();
    tl_lo_released(m);
    return tl_real.pthread_mutex_unlock(m);
}

/* A mutex of the default kind is released in place once the probe allowed it (tl_mfast.h). */
TL_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (__builtin_expect(!tl_lo_pop_top(m), 0))
        return pthread_mutex_unlock_slow(m);
    if (__builtin_expect((tl_lo_fast_state() & TL_LO_MFAST) && tl_mf_plain(m), 1)) {
        tl_mf_release(m);
        return 0;
    }
    return tl_real.pthread_mutex_unlock(m);
}

TL_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    tl_enter();
    int rc = tl_real.pthread_mutex_trylock(m);
    if (rc == 0)
        HELD(m, TL_LG_MUTEX | TL_LO_TRY);
    return rc;
}

TL_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    tl_enter();
    tl_lo_forget(m);
    return tl_real.pthread_mutex_init(m, a);
}

TL_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    tl_enter();
    tl_lo_forget(m);
    return tl_real.pthread_mutex_destroy(m);
}

static __attribute__((noinline)) int pthread_rwlock_unlock_slow(pthread_rwlock_t *l)
{
    tl_enter();
    tl_lo_released(l);
    return tl_real.pthread_rwlock_unlock(l);
}

TL_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    if (__builtin_expect(!tl_lo_pop_top(l), 0))
        return pthread_rwlock_unlock_slow(l);
    return tl_real.pthread_rwlock_unlock(l);
}

TL_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_tryrdlock(l);
    if (rc == 0)
        HELD(l, TL_LG_RWLOCK | TL_LO_READ | TL_LO_TRY);
    return rc;
}

TL_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_trywrlock(l);
    if (rc == 0)
        HELD(l, TL_LG_RWLOCK | TL_LO_TRY);
    return rc;
}

TL_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
    tl_enter();
    tl_lo_forget(l);
    return tl_real.pthread_rwlock_init(l, a);
}

TL_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    tl_enter();
    tl_lo_forget(l);
    return tl_real.pthread_rwlock_destroy(l);
}

static __attribute__((noinline)) int mtx_unlock_slow(mtx_t *m)
{
    tl_enter();
    tl_lo_released(m);
    return tl_real.mtx_unlock(m);
}

TL_EXPORT int mtx_unlock(mtx_t *m)
{
    if (__builtin_expect(!tl_lo_pop_top(m), 0))
        return mtx_unlock_slow(m);
    return tl_real.mtx_unlock(m);
}

TL_EXPORT int mtx_trylock(mtx_t *m)
{
    tl_enter();
    int rc = tl_real.mtx_trylock(m);
    if (rc == thrd_success)
        HELD(m, TL_LG_MTX | TL_LO_TRY);
    return rc;
}

TL_EXPORT int mtx_init(mtx_t *m, int type)
{
    tl_enter();
    tl_lo_forget(m);
    return tl_real.mtx_init(m, type);
}

TL_EXPORT void mtx_destroy(mtx_t *m)
{
    tl_enter();
    tl_lo_forget(m);
    tl_real.mtx_destroy(m);
}
