/* Lock-order scenarios (run with one argument naming the case). Each case runs its code paths one
 * after another in threads of its own, so nothing ever hangs; the detector must see the latent
 * deadlock from the order the locks were taken in, or see that there is none.
 *   abba         two paths take mutexes A and B in opposite orders: one inversion
 *   abba-fixed   the fixed twin: both take A then B
 *   three        A->B, B->C, C->A in three threads: one inversion of three locks
 *   three-fixed  A->B, B->C, A->C
 *   mtx          C11 mtx_t in opposite orders: one inversion
 *   rw           A written then B written, against B read then A read: one inversion
 *   rw-read      both read: readers never wait for readers, no inversion
 *   heap         10000 pairs of heap mutexes, freed and reused in alternating order: none
 *   recursive    a recursive mutex relocked while another lock is held: none
 *   trylock      the back-off pattern (hold B, trylock A, give up B on failure): none
 *   gate         A and B in opposite orders, but always under gate lock G: none
 * The -main cases run their paths in the main thread and never create a thread, so every lock is
 * taken while the process is single-threaded (the wrappers' fastest path, where the lock is noted
 * before the real call and the same nested pair again is noted without a call):
 *   abba-main          A->B a thousand times, then B->A once: one inversion
 *   abba-main-fixed    A->B twice: none
 *   heap-main          the heap case: none
 *   recursive-main     the recursive case: none
 *   errorcheck-main    an error-checking mutex relocked under A returns EDEADLK (exit 3 if not),
 *                      then A->B and B->A: one inversion of A and B only
 * Prints "ok <case>" on stdout and exits 0 (the detector's status is its own). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER,
                       c = PTHREAD_MUTEX_INITIALIZER, g = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t ra = PTHREAD_RWLOCK_INITIALIZER, rb = PTHREAD_RWLOCK_INITIALIZER;
static mtx_t ma, mb;
static pthread_mutex_t rec, chk;

static __attribute__((noipa)) void lock_pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

static __attribute__((noipa)) void *path_ab(void *arg)
{
    lock_pair(&a, &b);
    return arg;
}

static __attribute__((noipa)) void *path_ba(void *arg)
{
    lock_pair(&b, &a);
    return arg;
}

static __attribute__((noipa)) void *path_bc(void *arg)
{
    lock_pair(&b, &c);
    return arg;
}

static __attribute__((noipa)) void *path_ca(void *arg)
{
    lock_pair(&c, &a);
    return arg;
}

static __attribute__((noipa)) void *path_ac(void *arg)
{
    lock_pair(&a, &c);
    return arg;
}

static __attribute__((noipa)) void *mtx_ab(void *arg)
{
    mtx_lock(&ma);
    mtx_lock(&mb);
    mtx_unlock(&mb);
    mtx_unlock(&ma);
    return arg;
}

static __attribute__((noipa)) void *mtx_ba(void *arg)
{
    mtx_lock(&mb);
    mtx_lock(&ma);
    mtx_unlock(&ma);
    mtx_unlock(&mb);
    return arg;
}

static __attribute__((noipa)) void *write_ab(void *arg)
{
    pthread_rwlock_wrlock(&ra);
    pthread_rwlock_wrlock(&rb);
    pthread_rwlock_unlock(&rb);
    pthread_rwlock_unlock(&ra);
    return arg;
}

static __attribute__((noipa)) void *read_ab(void *arg)
{
    pthread_rwlock_rdlock(&ra);
    pthread_rwlock_rdlock(&rb);
    pthread_rwlock_unlock(&rb);
    pthread_rwlock_unlock(&ra);
    return arg;
}

static __attribute__((noipa)) void *read_ba(void *arg)
{
    pthread_rwlock_rdlock(&rb);
    pthread_rwlock_rdlock(&ra);
    pthread_rwlock_unlock(&ra);
    pthread_rwlock_unlock(&rb);
    return arg;
}

static __attribute__((noipa)) void *heap_churn(void *arg)
{
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_t *x = malloc(sizeof *x), *y = malloc(sizeof *y);
        pthread_mutex_init(x, NULL);
        pthread_mutex_init(y, NULL);
        lock_pair(x, y);
        pthread_mutex_destroy(x);
        pthread_mutex_destroy(y);
        free(x); /* freed first, handed out last: the next pair comes back in reverse order */
        free(y);
    }
    return arg;
}

static __attribute__((noipa)) void *recursive_then_a(void *arg)
{
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&rec); /* held already: a recursion, not an order */
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&rec);
    return arg;
}

static __attribute__((noipa)) void *recursive_plain(void *arg)
{
    lock_pair(&rec, &a);
    return arg;
}

static __attribute__((noipa)) void *backoff_ba(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&b);
        if (pthread_mutex_trylock(&a) == 0)
            break;
        pthread_mutex_unlock(&b); /* never wait for A while holding B */
    }
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return arg;
}

static __attribute__((noipa)) void *gated_ab(void *arg)
{
    pthread_mutex_lock(&g);
    path_ab(arg);
    pthread_mutex_unlock(&g);
    return arg;
}

static __attribute__((noipa)) void *gated_ba(void *arg)
{
    pthread_mutex_lock(&g);
    path_ba(arg);
    pthread_mutex_unlock(&g);
    return arg;
}

static __attribute__((noipa)) void *path_ab_often(void *arg)
{
    for (int i = 0; i < 1000; i++)
        lock_pair(&a, &b);
    return arg;
}

/* Relocking an error-checking mutex fails with EDEADLK and takes nothing: exits 3 otherwise. */
static __attribute__((noipa)) void *errorcheck_relock(void *arg)
{
    pthread_mutex_lock(&a);
    if (pthread_mutex_lock(&chk) != 0 || pthread_mutex_lock(&chk) != EDEADLK ||
        pthread_mutex_unlock(&chk) != 0 || pthread_mutex_unlock(&chk) != EPERM)
        exit(3);
    pthread_mutex_unlock(&a);
    return arg;
}

/* Runs each path in a thread of its own, one after the other. */
static void run(void *(*const *paths)(void *))
{
    for (int i = 0; paths[i] != NULL; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, paths[i], NULL) != 0 || pthread_join(t, NULL) != 0)
            exit(2);
    }
}

/* Runs each path in the calling thread. */
static void run_here(void *(*const *paths)(void *))
{
    for (int i = 0; paths[i] != NULL; i++)
        paths[i](NULL);
}

struct scase {
    const char *name;
    void *(*paths[4])(void *);
};

static const struct scase CASES[] = {
    {"abba", {path_ab, path_ba}},
    {"abba-fixed", {path_ab, path_ab}},
    {"three", {path_ab, path_bc, path_ca}},
    {"three-fixed", {path_ab, path_bc, path_ac}},
    {"mtx", {mtx_ab, mtx_ba}},
    {"rw", {write_ab, read_ba}},
    {"rw-read", {read_ab, read_ba}},
    {"heap", {heap_churn}},
    {"recursive", {recursive_then_a, recursive_plain}},
    {"trylock", {path_ab, backoff_ba}},
    {"gate", {gated_ab, gated_ba}},
    {"abba-main", {path_ab_often, path_ba}},
    {"abba-main-fixed", {path_ab, path_ab}},
    {"heap-main", {heap_churn}},
    {"recursive-main", {recursive_then_a, recursive_plain}},
    {"errorcheck-main", {errorcheck_relock, path_ab, path_ba}},
};

int main(int argc, char **argv)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&chk, &attr);
    mtx_init(&ma, mtx_plain);
    mtx_init(&mb, mtx_plain);
    for (size_t i = 0; argc > 1 && i < sizeof CASES / sizeof CASES[0]; i++) {
        if (strcmp(argv[1], CASES[i].name) == 0) {
            if (strstr(CASES[i].name, "-main") != NULL)
                run_here(CASES[i].paths);
            else
                run(CASES[i].paths);
            printf("ok %s\n", argv[1]);
            return 0;
        }
    }
    fprintf(stderr, "usage: thr_lockorder CASE\n");
    return 2;
}
