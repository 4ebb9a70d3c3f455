/* Interposers: mutexes, rwlocks, condition variables, semaphores, barriers, C11 (wait reasons:
 * docs/internals.md).
 *
 * DESIGN. Locks try first: an uncontended pthread_mutex_lock costs one trylock and nothing else
 * (no clock read, no TLS write); for a default mutex that try is glibc's own, done in place
 * (tl_mfast.h). Only when the try fails with "busy" does the wrapper open the
 * bracket and call the real blocking function, whose return value is returned untouched; errno
 * is restored to its entry value before the real call, so a failed probe leaves no trace.
 * Condition waits and barriers cannot be probed: they are bracketed whenever called. Timed forms
 * are external waits (a timeout ends them), untimed ones durable, except on a process-shared
 * object: another process may end that wait, so it is external too (glibc marks such objects:
 * the pshared bit of a mutex's kind, bit 0 of a condvar's __wrefs, a non-zero `shared` word in
 * rwlocks, barriers and semaphores; sem_open's semaphores are always shared).
 *
 * Every successful acquisition is also noted in the thread's held list for the lock-order graph
 * (HELD, tl_lockorder.h: two stores when nothing else is held); releases, trylocks, init and
 * destroy are in ipose_lock.c.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <threads.h>

#include "ipose.h"
#include "tl_mfast.h"

#include <sys/single_threaded.h>

/* Only another unit of this process can end an untimed wait on these (see above). */
static bool private_mutex(const pthread_mutex_t *m)
{
    return !(m->__data.__kind & 128 /* PTHREAD_MUTEX_PSHARED_BIT */);
}

static bool private_cond(const pthread_cond_t *c)
{
    return !(c->__data.__wrefs & 1);
}

static bool private_rwlock(const pthread_rwlock_t *l)
{
    return l->__data.__shared == 0;
}

/* glibc's struct pthread_barrier {in, current_round, count, shared, out} and struct new_sem
 * {value (64 bits), private, pad}: the word is non-zero for a process-shared object. */
static bool private_barrier(const pthread_barrier_t *b)
{
    return ((const unsigned *)(const void *)b)[3] == 0;
}

static bool private_sem(const sem_t *s)
{
    return ((const int *)(const void *)s)[sizeof(void *) == 8 ? 2 : 1] == 0;
}

/* The blocking halves live in their own noinline functions so that the fast paths need no
 * callee-saved registers (the whole bracket would otherwise be paid in every prologue). Their
 * frame stays live during the real call, which is what tl_block_begin needs. */
static __attribute__((noinline)) int pthread_mutex_lock_blocking(pthread_mutex_t *m)
{
    int rc;
    BRACKET("mutex lock", "pthread_mutex_lock", m, private_mutex(m), tl_real.pthread_mutex_lock(m));
    return rc;
}

/* A free private mutex of a plain kind (normal, recursive, error-checking or adaptive: no robust,
 * priority or process-shared bit, no elision flag) in a process with one thread: glibc's lock
 * takes it at once and returns 0, since nothing else can hold it or race for it. */
static inline bool sure_to_take(const pthread_mutex_t *m)
{
    return __libc_single_threaded && m->__data.__lock == 0 && (unsigned)m->__data.__kind <= 3;
}

/* A contended lock: the bracket around the real blocking call, then the held list. ip and sp are
 * the exported wrapper's (HELD). */
static __attribute__((noinline)) int pthread_mutex_lock_contended(pthread_mutex_t *m, uintptr_t ip,
                                                                  uintptr_t sp)
{
    int rc = pthread_mutex_lock_blocking(m);
    if (rc == 0)
        tl_lo_acquired(m, TL_LG_MUTEX, ip, sp);
    return rc;
}

/* The detector ready, other threads running: the try first, then the held list; a busy try goes
 * to the bracket. Any other error of the try (a robust mutex's EOWNERDEAD, for one) is the call's
 * result, as the real lock would return it. */
static __attribute__((noinline)) int pthread_mutex_lock_threaded(pthread_mutex_t *m, uintptr_t ip,
                                                                 uintptr_t sp)
{
    int rc = tl_real.pthread_mutex_trylock(m);
    if (__builtin_expect(rc == EBUSY, 0))
        return pthread_mutex_lock_contended(m, ip, sp);
    if (__builtin_expect(rc == 0, 1))
        tl_lo_acquired(m, TL_LG_MUTEX, ip, sp);
    return rc;
}

/* First calls and the detector off or initialising, and a single-threaded lock that is not sure
 * to be taken (held already: a self-deadlock goes through the bracket; or an unusual kind). */
static __attribute__((noinline)) int pthread_mutex_lock_general(pthread_mutex_t *m, uintptr_t ip,
                                                                uintptr_t sp)
{
    tl_enter();
    /* While the process has one thread nobody can contend: a free lock is taken by the real call
     * at once, and glibc then skips the atomic instruction that trylock always pays. */
    int rc;
    if (__libc_single_threaded && m->__data.__lock == 0 && !(m->__data.__kind & 128 /* pshared */))
        rc = tl_real.pthread_mutex_lock(m);
    else if (__builtin_expect((rc = tl_real.pthread_mutex_trylock(m)) == EBUSY, 0))
        return pthread_mutex_lock_contended(m, ip, sp);
    if (__builtin_expect(rc == 0, 1))
        tl_lo_acquired(m, TL_LG_MUTEX, ip, sp);
    return rc;
}

/* A mutex taken in place whose note did not fit the inline forms of the held list. */
static __attribute__((noinline)) int pthread_mutex_lock_noted(pthread_mutex_t *m, uintptr_t ip,
                                                              uintptr_t sp)
{
    tl_lo_acquired_slow(m, TL_LG_MUTEX, ip, sp);
    return 0;
}

/* Laid out for the uncontended lock every loop pays, with no call of its own (so no stack frame).
 * A mutex of the default kind, once the probe allowed it, is taken in place as glibc would take it
 * (tl_mfast.h), then noted in the held list (inline when the thread holds nothing or repeats its
 * last nested pair); held already, it goes to the bracket around the real blocking call. Other
 * kinds: single-threaded, the lock is sure to be taken (sure_to_take), so the held list is entered
 * first and the real call is a tail call; with other threads, a tail call to
 * pthread_mutex_lock_threaded. */
TL_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    uintptr_t ip = (uintptr_t)__builtin_return_address(0), sp = TL_CALLER_SP();
    unsigned s = tl_lo_fast_state();
    if (__builtin_expect((s & TL_LO_MFAST) && tl_mf_plain(m), 1)) {
        if (__builtin_expect(!tl_mf_take(m), 0))
            return pthread_mutex_lock_contended(m, ip, sp);
        if (!(s & TL_LO_RECORDING) || tl_lo_take_empty(m, TL_LG_MUTEX, ip, sp) ||
            tl_lo_take_repeat(m, TL_LG_MUTEX, ip, sp))
            return 0;
        return pthread_mutex_lock_noted(m, ip, sp);
    }
    if (__builtin_expect(s == 0, 0))
        return pthread_mutex_lock_general(m, ip, sp);
    if (__builtin_expect(sure_to_take(m), 1)) {
        if (!(s & TL_LO_RECORDING) || tl_lo_take_empty(m, TL_LG_MUTEX, ip, sp) ||
            tl_lo_take_repeat(m, TL_LG_MUTEX, ip, sp))
            return tl_real.pthread_mutex_lock(m);
        return pthread_mutex_lock_general(m, ip, sp);
    }
    if (__libc_single_threaded)
        return pthread_mutex_lock_general(m, ip, sp);
    return pthread_mutex_lock_threaded(m, ip, sp);
}

TL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
    tl_enter();
    int rc = tl_real.pthread_mutex_trylock(m);
    if (rc == EBUSY)
        BRACKET("mutex lock", "pthread_mutex_timedlock", m, false,
                tl_real.pthread_mutex_timedlock(m, t));
    if (rc == 0)
        HELD(m, TL_LG_MUTEX);
    return rc;
}

TL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *t)
{
    tl_enter();
    int rc = tl_real.pthread_mutex_trylock(m);
    if (rc == EBUSY)
        BRACKET("mutex lock", "pthread_mutex_clocklock", m, false,
                tl_real.pthread_mutex_clocklock(m, clk, t));
    if (rc == 0)
        HELD(m, TL_LG_MUTEX);
    return rc;
}

static __attribute__((noinline)) int pthread_rwlock_rdlock_blocking(pthread_rwlock_t *l)
{
    int rc;
    BRACKET("rwlock read", "pthread_rwlock_rdlock", l, private_rwlock(l),
            tl_real.pthread_rwlock_rdlock(l));
    return rc;
}

TL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_tryrdlock(l);
    if (__builtin_expect(rc == EBUSY, 0))
        rc = pthread_rwlock_rdlock_blocking(l);
    if (__builtin_expect(rc == 0, 1))
        HELD(l, TL_LG_RWLOCK | TL_LO_READ);
    return rc;
}

static __attribute__((noinline)) int pthread_rwlock_wrlock_blocking(pthread_rwlock_t *l)
{
    int rc;
    BRACKET("rwlock write", "pthread_rwlock_wrlock", l, private_rwlock(l),
            tl_real.pthread_rwlock_wrlock(l));
    return rc;
}

TL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_trywrlock(l);
    if (__builtin_expect(rc == EBUSY, 0))
        rc = pthread_rwlock_wrlock_blocking(l);
    if (__builtin_expect(rc == 0, 1))
        HELD(l, TL_LG_RWLOCK);
    return rc;
}

TL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_tryrdlock(l);
    if (rc == EBUSY)
        BRACKET("rwlock read", "pthread_rwlock_timedrdlock", l, false,
                tl_real.pthread_rwlock_timedrdlock(l, t));
    if (rc == 0)
        HELD(l, TL_LG_RWLOCK | TL_LO_READ);
    return rc;
}

TL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
    tl_enter();
    int rc = tl_real.pthread_rwlock_trywrlock(l);
    if (rc == EBUSY)
        BRACKET("rwlock write", "pthread_rwlock_timedwrlock", l, false,
                tl_real.pthread_rwlock_timedwrlock(l, t));
    if (rc == 0)
        HELD(l, TL_LG_RWLOCK);
    return rc;
}

/* Condition variables carry two symbol versions on x86-64: GLIBC_2.3.2 (the current layout) and
 * GLIBC_2.2.5 (binaries linked before 2002, or pinned with .symver: one pointer to a condvar glibc
 * allocates on first use). A caller reaches the wrapper of the version it is bound to, and each
 * forwards to glibc's implementation of that same version; an unversioned wrapper would hand an
 * old-layout object to the new code. The versions are attached here and the nodes declared in
 * preload/exports.map; elsewhere one unversioned wrapper per name serves every caller. */
#if defined(__x86_64__)
#define TL_COND_VERSIONED 1
__asm__(".symver tl_cond_wait_2_3_2, pthread_cond_wait@@GLIBC_2.3.2, remove");
__asm__(".symver tl_cond_timedwait_2_3_2, pthread_cond_timedwait@@GLIBC_2.3.2, remove");
__asm__(".symver tl_cond_wait_2_2_5, pthread_cond_wait@GLIBC_2.2.5, remove");
__asm__(".symver tl_cond_timedwait_2_2_5, pthread_cond_timedwait@GLIBC_2.2.5, remove");
#define TL_COND_WAIT      tl_cond_wait_2_3_2
#define TL_COND_TIMEDWAIT tl_cond_timedwait_2_3_2
/* Declared here only: the names exist in no header (the symbols are renamed by .symver). */
int tl_cond_wait_2_3_2(pthread_cond_t *c, pthread_mutex_t *m);
int tl_cond_timedwait_2_3_2(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int tl_cond_wait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m);
int tl_cond_timedwait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
#else
#define TL_COND_WAIT      pthread_cond_wait
#define TL_COND_TIMEDWAIT pthread_cond_timedwait
#endif

TL_EXPORT int TL_COND_WAIT(pthread_cond_t *c, pthread_mutex_t *m)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "pthread_cond_wait", c, private_cond(c), tl_real.pthread_cond_wait(c, m));
    return rc;
}

TL_EXPORT int TL_COND_TIMEDWAIT(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "pthread_cond_timedwait", c, false,
            tl_real.pthread_cond_timedwait(c, m, t));
    return rc;
}

#if defined(TL_COND_VERSIONED)
TL_EXPORT int tl_cond_wait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "pthread_cond_wait", c, true, tl_real.pthread_cond_wait_2_2_5(c, m));
    return rc;
}

TL_EXPORT int tl_cond_timedwait_2_2_5(pthread_cond_t *c, pthread_mutex_t *m,
                                      const struct timespec *t)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "pthread_cond_timedwait", c, false,
            tl_real.pthread_cond_timedwait_2_2_5(c, m, t));
    return rc;
}
#endif

TL_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *t)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "pthread_cond_clockwait", c, false,
            tl_real.pthread_cond_clockwait(c, m, clk, t));
    return rc;
}

TL_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    tl_enter();
    int rc;
    BRACKET("barrier", "pthread_barrier_wait", b, private_barrier(b),
            tl_real.pthread_barrier_wait(b));
    return rc;
}

/* 0 when the semaphore was taken at once; errno as on entry otherwise (or the trywait's error
 * for anything but EAGAIN, returned as -1 through *rc). */
static int sem_probe(sem_t *s, int *rc)
{
    int saved = errno;
    *rc = tl_real.sem_trywait(s);
    if (*rc == 0 || errno != EAGAIN)
        return 0;
    errno = saved;
    return -1;
}

static bool valid_abstime(const struct timespec *t)
{
    return t != NULL && t->tv_nsec >= 0 && t->tv_nsec < 1000000000;
}

static __attribute__((noinline)) int sem_wait_blocking(sem_t *s)
{
    int rc;
    BRACKET("semaphore", "sem_wait", s, private_sem(s), tl_real.sem_wait(s));
    return rc;
}

TL_EXPORT int sem_wait(sem_t *s)
{
    tl_enter();
    int rc;
    if (sem_probe(s, &rc) == 0)
        return rc;
    rc = sem_wait_blocking(s);
    __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame in blocked stacks */
    return rc;
}

TL_EXPORT int sem_timedwait(sem_t *s, const struct timespec *t)
{
    tl_enter();
    int rc;
    if (!valid_abstime(t)) /* glibc checks the timeout before trying: keep its EINVAL */
        return tl_real.sem_timedwait(s, t);
    if (sem_probe(s, &rc) == 0)
        return rc;
    BRACKET("semaphore", "sem_timedwait", s, false, tl_real.sem_timedwait(s, t));
    return rc;
}

TL_EXPORT int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *t)
{
    tl_enter();
    int rc;
    if (!valid_abstime(t))
        return tl_real.sem_clockwait(s, clk, t);
    if (sem_probe(s, &rc) == 0)
        return rc;
    BRACKET("semaphore", "sem_clockwait", s, false, tl_real.sem_clockwait(s, clk, t));
    return rc;
}

static __attribute__((noinline)) int mtx_lock_blocking(mtx_t *m)
{
    int rc;
    BRACKET("mutex lock", "mtx_lock", m, true, tl_real.mtx_lock(m));
    return rc;
}

TL_EXPORT int mtx_lock(mtx_t *m)
{
    tl_enter();
    int rc = tl_real.mtx_trylock(m);
    if (__builtin_expect(rc == thrd_busy, 0))
        rc = mtx_lock_blocking(m);
    if (__builtin_expect(rc == thrd_success, 1))
        HELD(m, TL_LG_MTX);
    return rc;
}

TL_EXPORT int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict t)
{
    tl_enter();
    int rc = tl_real.mtx_trylock(m);
    if (rc == thrd_busy)
        BRACKET("mutex lock", "mtx_timedlock", m, false, tl_real.mtx_timedlock(m, t));
    if (rc == thrd_success)
        HELD(m, TL_LG_MTX);
    return rc;
}

TL_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "cnd_wait", c, true, tl_real.cnd_wait(c, m));
    return rc;
}

TL_EXPORT int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                            const struct timespec *__restrict t)
{
    tl_enter();
    int rc;
    BRACKET("cond wait", "cnd_timedwait", c, false, tl_real.cnd_timedwait(c, m, t));
    return rc;
}
