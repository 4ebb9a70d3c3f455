/* tl_mfast: the probe that decides whether the in-place mutex fast path may be used, and its
 * futex wake (see tl_mfast.h).
 *
 * DESIGN. The probe runs the real functions and the in-place ones against each other on two
 * probe mutexes and compares every word with what glibc's protocol promises; any difference, or
 * a build for another architecture, answers no. The wake is a raw system call so that it touches
 * neither errno nor the syscall() wrapper this library interposes.
 */
#include "tl_mfast.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void tl_mf_wake(pthread_mutex_t *m)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_futex), "D"(&m->__data.__lock), "S"((long)FUTEX_WAKE_PRIVATE),
                       "d"(1L)
                     : "rcx", "r11", "memory");
    (void)ret; /* as glibc's wake: nothing to do about a failure */
#else
    (void)m;
#endif
}

/* The words of m: free and unused, held once by the caller, or the same with nusers. */
static bool words(const pthread_mutex_t *m, int lock, int owner, unsigned nusers)
{
    return m->__data.__lock == lock && m->__data.__owner == owner && m->__data.__nusers == nusers &&
           m->__data.__count == 0 && m->__data.__kind == 0;
}

/* The real functions alone: what they leave in a default mutex. */
static bool real_protocol(int (*lock)(pthread_mutex_t *), int (*unlock)(pthread_mutex_t *), int tid)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    if (!tl_mf_plain(&m) || lock(&m) != 0)
        return false;
    bool held = words(&m, 1, tid, 1);
    return unlock(&m) == 0 && held && words(&m, 0, 0, 0);
}

/* Ours and the real ones on one mutex: each sees what the other did. */
static bool mixed_protocol(int (*lock)(pthread_mutex_t *), int (*unlock)(pthread_mutex_t *),
                           int (*trylock)(pthread_mutex_t *), int tid)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    if (!tl_mf_take(&m))
        return false;
    bool ok = words(&m, 1, tid, 1) && trylock(&m) == EBUSY && !tl_mf_take(&m);
    if (unlock(&m) != 0 || !ok || !words(&m, 0, 0, 0) || lock(&m) != 0)
        return false;
    ok = words(&m, 1, tid, 1) && !tl_mf_take(&m);
    tl_mf_release(&m);
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    return ok && memcmp(&m, &fresh, sizeof m) == 0;
}

bool tl_mf_probe(int (*lock)(pthread_mutex_t *), int (*unlock)(pthread_mutex_t *),
                 int (*trylock)(pthread_mutex_t *))
{
#if defined(__x86_64__) && defined(__GLIBC__)
    if (lock == NULL || unlock == NULL || trylock == NULL)
        return false;
    int saved = errno;
    int tid = (int)gettid();
    bool ok = tid > 0 && tl_mf_tid() == tid && real_protocol(lock, unlock, tid) &&
              mixed_protocol(lock, unlock, trylock, tid);
    errno = saved;
    return ok;
#else
    (void)lock, (void)unlock, (void)trylock;
    return false;
#endif
}
