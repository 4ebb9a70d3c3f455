/* tl_mfast: the uncontended lock and unlock of a default pthread mutex, done in place the way
 * glibc does them, so that the mutex wrappers need not forward their commonest call.
 *
 * A forward costs one more indirect jump per call and the real function's own dispatch on the
 * mutex kind, which together are most of what an uncontended lock/unlock pair costs under a
 * preload. For a mutex of the default kind (kind word 0: PTHREAD_MUTEX_NORMAL, the same as glibc's
 * PTHREAD_MUTEX_TIMED_NP; private, no robust or priority protocol, no elision flag) glibc's
 * protocol is small and stable (nptl/pthread_mutex_lock.c, pthread_mutex_unlock.c, lowlevellock.h):
 * - lock: __lock 0 -> 1 (a compare-and-swap, or a plain store while the process has one thread),
 *   then __owner = the caller's kernel thread id and ++__nusers;
 * - unlock: __owner = 0, --__nusers, then __lock -> 0 (an exchange, or a plain store while the
 *   process has one thread) and, when the old value was above 1 (waiters), FUTEX_WAKE of one.
 * tl_mf_take and tl_mf_release do exactly that; a mutex that is held (the caller then goes to the
 * real blocking call) and every other kind stay glibc's. Since the words and the transitions are
 * glibc's own, glibc's other users of the same mutex (pthread_cond_wait's unlock and relock,
 * trylock, timedlock, callers that bypass the preload) interoperate with ours unchanged.
 *
 * The thread id glibc stores is its thread descriptor's tid field, read here at its fixed offset
 * from %fs. Nothing of this is assumed: tl_mf_probe locks and unlocks probe mutexes through the
 * real functions and through ours and checks every word (so another glibc, another layout, forced
 * lock elision, which rewrites the kind word on the first lock, or another architecture leave the
 * fast path off and the wrappers forward as before).
 */
#ifndef TL_MFAST_H
#define TL_MFAST_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/single_threaded.h>

#define TL_MF_TID_OFFSET 0x2d0 /* offsetof(struct pthread, tid) in glibc 2.3x on x86_64 */

/* Probes glibc's protocol with the real functions (the table's lock, unlock and trylock) and
 * returns whether tl_mf_take / tl_mf_release may be used. Initialisation only. */
bool tl_mf_probe(int (*lock)(pthread_mutex_t *), int (*unlock)(pthread_mutex_t *),
                 int (*trylock)(pthread_mutex_t *));

/* FUTEX_WAKE of one waiter of m's lock word; errno untouched. */
void tl_mf_wake(pthread_mutex_t *m);

/* The default kind: private, no protocol, no elision (glibc reads the word relaxed, too). */
static inline bool tl_mf_plain(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) == 0;
}

/* The caller's thread id as glibc keeps it (valid only once tl_mf_probe said yes). */
static inline int tl_mf_tid(void)
{
#if defined(__x86_64__)
    int tid;
    __asm__("movl %%fs:%c1, %0" : "=r"(tid) : "i"(TL_MF_TID_OFFSET));
    return tid;
#else
    return 0;
#endif
}

/* Takes plain mutex m if it is free and returns true; false leaves it untouched (held: the caller
 * goes to the real lock, which blocks or reports). */
static inline __attribute__((always_inline)) bool tl_mf_take(pthread_mutex_t *m)
{
    if (__libc_single_threaded) {
        if (m->__data.__lock != 0)
            return false;
        m->__data.__lock = 1; /* one thread: no other can race for it (glibc does the same) */
    } else {
        int free_word = 0;
        if (!__atomic_compare_exchange_n(&m->__data.__lock, &free_word, 1, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
            return false;
    }
    m->__data.__owner = tl_mf_tid();
    ++m->__data.__nusers;
    return true;
}

/* Releases plain mutex m (what glibc's unlock of the default kind does, waking a waiter). */
static inline __attribute__((always_inline)) void tl_mf_release(pthread_mutex_t *m)
{
    m->__data.__owner = 0;
    --m->__data.__nusers;
    if (__libc_single_threaded)
        __atomic_store_n(&m->__data.__lock, 0, __ATOMIC_RELEASE);
    else if (__builtin_expect(__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1, 0))
        tl_mf_wake(m);
}

#endif /* TL_MFAST_H */
