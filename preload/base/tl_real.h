/* tl_real: the one table of the real functions the interposers forward to (docs/internals.md,
 * Layers: start-up).
 *
 * Every entry is resolved once by tl_real_init with dlsym(RTLD_NEXT) (dlvsym for the older
 * versions glibc keeps beside the current one, TL_REAL_COMPAT_FUNCS), dlerror() checked, and an
 * answer that points back into libtaskleak.so refused: binding to ourselves would recurse forever.
 * A missing REQUIRED entry makes tl_real_init fail (the caller then switches the detector off with
 * one message); a missing OPTIONAL one stays NULL and its wrapper is never reached (glibc always
 * has them; a libc without, e.g. thrd_create on an old glibc, simply has no callers bound to our
 * wrapper for it).
 *
 * The table is written by tl_real_init before any interposer uses it and is read-only afterwards.
 */
#ifndef TL_REAL_H
#define TL_REAL_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <threads.h>
#include <time.h>

/* X(return type, name, parameter list, required) */
#define TL_REAL_FUNCS(X)                                                                           \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *), 1)    \
    X(int, pthread_join, (pthread_t, void **), 1)                                                  \
    X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *), 0)                 \
    X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *), 0)      \
    X(int, pthread_tryjoin_np, (pthread_t, void **), 0)                                            \
    X(int, pthread_detach, (pthread_t), 1)                                                         \
    X(int, pthread_setname_np, (pthread_t, const char *), 0)                                       \
    X(__sighandler_t, bsd_signal, (int, __sighandler_t), 0)                                       \
    X(__sighandler_t, sysv_signal, (int, __sighandler_t), 0)                                      \
    X(__sighandler_t, sigset, (int, __sighandler_t), 0)                                           \
    X(int, pthread_mutex_lock, (pthread_mutex_t *), 1)                                             \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *), 1)                                          \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *), 1)               \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *), 0)    \
    X(int, pthread_mutex_unlock, (pthread_mutex_t *), 1)                                           \
    X(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *), 1)                \
    X(int, pthread_mutex_destroy, (pthread_mutex_t *), 1)                                          \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *), 1)                                         \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *), 1)                                      \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *), 1)                                         \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *), 1)                                      \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *), 0)           \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *), 0)           \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *), 1)                                         \
    X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *), 1)             \
    X(int, pthread_rwlock_destroy, (pthread_rwlock_t *), 1)                                        \
    X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *), 1)                            \
    X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *), \
      1)                                                                                           \
    X(int, pthread_cond_clockwait,                                                                 \
      (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *), 0)                \
    X(int, pthread_barrier_wait, (pthread_barrier_t *), 0)                                         \
    X(int, sem_wait, (sem_t *), 1)                                                                 \
    X(int, sem_trywait, (sem_t *), 1)                                                              \
    X(int, sem_timedwait, (sem_t *, const struct timespec *), 1)                                   \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *), 0)                        \
    X(int, thrd_create, (thrd_t *, thrd_start_t, void *), 0)                                       \
    X(int, thrd_join, (thrd_t, int *), 0)                                                          \
    X(int, thrd_detach, (thrd_t), 0)                                                               \
    X(int, mtx_lock, (mtx_t *), 0)                                                                 \
    X(int, mtx_trylock, (mtx_t *), 0)                                                              \
    X(int, mtx_timedlock, (mtx_t *__restrict, const struct timespec *__restrict), 0)               \
    X(int, mtx_unlock, (mtx_t *), 0)                                                               \
    X(int, mtx_init, (mtx_t *, int), 0)                                                            \
    X(void, mtx_destroy, (mtx_t *), 0)                                                             \
    X(int, cnd_wait, (cnd_t *, mtx_t *), 0)                                                        \
    X(int, cnd_timedwait,                                                                          \
      (cnd_t *__restrict, mtx_t *__restrict, const struct timespec *__restrict), 0)                \
    X(int, nanosleep, (const struct timespec *, struct timespec *), 1)                             \
    X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *), 1)       \
    X(int, usleep, (useconds_t), 1)                                                                \
    X(unsigned, sleep, (unsigned), 1)                                                              \
    X(int, pause, (void), 1)                                                                       \
    X(int, sigsuspend, (const sigset_t *), 1)                                                      \
    X(int, sigwait, (const sigset_t *, int *), 1)                                                  \
    X(int, sigwaitinfo, (const sigset_t *, siginfo_t *), 1)                                        \
    X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *), 1)              \
    X(long, syscall, (long, ...), 1)                                                               \
    X(int, poll, (struct pollfd *, nfds_t, int), 1)                                                \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *), 1)         \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *), 1)                       \
    X(int, pselect,                                                                                \
      (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *), 1)           \
    X(int, epoll_wait, (int, struct epoll_event *, int, int), 1)                                   \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *), 1)                \
    X(int, accept, (int, struct sockaddr *, socklen_t *), 1)                                       \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int), 1)                                 \
    X(ssize_t, read, (int, void *, size_t), 1)                                                     \
    X(ssize_t, recv, (int, void *, size_t, int), 1)                                                \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *), 1)            \
    X(ssize_t, recvmsg, (int, struct msghdr *, int), 1)

/* Older versions glibc still exports beside the current one, for callers bound to them. On x86-64
 * the condition variables of before glibc 2.3.2 (GLIBC_2.2.5) keep a different object layout (one
 * pointer to a condvar glibc allocates on first use), so they must reach their own implementation:
 * the wrappers of those versions (ipose_sync.c) forward here. Always present in glibc on x86-64.
 * X(return type, field, symbol, version, parameter list) */
#if defined(__x86_64__)
#define TL_REAL_COMPAT_FUNCS(X)                                                                    \
    X(int, pthread_cond_wait_2_2_5, pthread_cond_wait, "GLIBC_2.2.5",                              \
      (pthread_cond_t *, pthread_mutex_t *))                                                       \
    X(int, pthread_cond_timedwait_2_2_5, pthread_cond_timedwait, "GLIBC_2.2.5",                    \
      (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
#else
#define TL_REAL_COMPAT_FUNCS(X)
#endif

struct tl_real {
#define TL_REAL_FIELD(ret, name, params, req) ret(*name) params;
    TL_REAL_FUNCS(TL_REAL_FIELD)
#undef TL_REAL_FIELD
#define TL_REAL_COMPAT_FIELD(ret, field, name, version, params) ret(*field) params;
    TL_REAL_COMPAT_FUNCS(TL_REAL_COMPAT_FIELD)
#undef TL_REAL_COMPAT_FIELD
};

/* The table. Read-only after tl_real_init returned 0. */
extern struct tl_real tl_real;

/* Resolves every entry (idempotent; the first call does the work, callers serialise through the
 * context's init state). Returns 0, or -1 after logging the first missing required symbol.
 * Not AS-safe (dlsym). errno preserved. */
int tl_real_init(void);

/* Writes the names of the optional entries left empty (this libc lacks them; their wrappers are
 * unreachable or answer ENOSYS) into buf, comma-separated and NUL-terminated (truncated to n).
 * Returns how many there are. Call after tl_real_init. */
size_t tl_real_missing(char *buf, size_t n);

/* True when addr lies inside libtaskleak.so (or, in the unit-test runner, inside the runner's own
 * image): a resolved "real" function there would be one of our wrappers. */
bool tl_real_is_self(const void *addr);

#endif /* TL_REAL_H */
