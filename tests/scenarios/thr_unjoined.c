/* Threads that finish but are never joined, and the ways of finishing that are fine.
 *
 *   thr_unjoined pool      a pool whose destroy path stops its 4 workers and waits for them to
 *                          say they are done, but never joins them: 4 threads unjoined (state
 *                          "exited", created in pool_start, start pool_worker), exit status 76
 *   thr_unjoined fixed     the same pool, destroyed with joins: clean, status 0
 *   thr_unjoined late      workers joined only after a long detour (and after they all ended),
 *                          one detached at creation, one detached after it finished, one joined
 *                          with pthread_tryjoin_np and one with pthread_timedjoin_np: clean
 *   thr_unjoined exit      two workers end with pthread_exit and are never joined, a third
 *                          leaves with pthread_exit and is joined: 2 unjoined (exit_worker)
 *   thr_unjoined c11       C11 threads: one joined with thrd_join, one detached with
 *                          thrd_detach after it ended: clean
 *   thr_unjoined c11leak   a C11 thread that returns and is never joined: 1 unjoined
 *   thr_unjoined check     a worker ends unjoined, taskleak_check() returns 1, the program then
 *                          joins it and a second taskleak_check() returns 0 (exit status 0)
 *   thr_unjoined reuse     200 rounds of create-and-join, each new thread likely given the
 * pthread_t of the one joined before, plus one thread left unjoined at the end: exactly 1 unjoined
 *   thr_unjoined grace     main returns while a worker still sleeps 200 ms; the worker ends during
 *                          the exit gate's grace wait, unjoined: 1 unjoined, not clean
 *   thr_unjoined dump      a worker ends unjoined, taskleak_dump() (a dump never calls a thread
 *                          unjoined, and leaves it out), then the program joins it: clean
 *   thr_unjoined holder     a worker locks a mutex and returns holding it, never joined; a second
 *                          worker then waits for that mutex forever: the holder is unjoined and
 *                          the waiter deadlocked, its wait's owner naming the holder (thread:2)
 *   thr_unjoined churn N   N threads created and joined one after the other; prints the resident
 *                          size after the first tenth and at the end ("rss KiB: A B"): clean
 * Threads say they are done through a pipe or a semaphore, never by sleeping.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "taskleak.h"

#define WORKERS 4

static sem_t done;

static __attribute__((noipa)) void *pool_worker(void *arg)
{
    (void)arg;
    sem_post(&done);
    return NULL;
}

static __attribute__((noipa)) void pool_start(pthread_t *t)
{
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, pool_worker, NULL);
}

/* Waits until n threads said they are done; their exit follows at once. */
static void wait_done(int n)
{
    for (int i = 0; i < n; i++)
        while (sem_wait(&done) != 0 && errno == EINTR)
            ;
}

static int pool(int join)
{
    pthread_t t[WORKERS];
    pool_start(t);
    wait_done(WORKERS);
    for (int i = 0; join && i < WORKERS; i++)
        pthread_join(t[i], NULL);
    return 0;
}

/* Joins t for sure, whether or not it has ended yet, with a non-blocking join. */
static void tryjoin_until(pthread_t t)
{
    struct timespec pause = {0, 1000000};
    while (pthread_tryjoin_np(t, NULL) == EBUSY)
        nanosleep(&pause, NULL);
}

static int late(void)
{
    pthread_t t[WORKERS], d, after, tj, tm;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pool_start(t);
    pthread_create(&d, &a, pool_worker, NULL);
    pthread_create(&after, NULL, pool_worker, NULL);
    pthread_create(&tj, NULL, pool_worker, NULL);
    pthread_create(&tm, NULL, pool_worker, NULL);
    wait_done(WORKERS + 4);
    tryjoin_until(tj);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_timedjoin_np(tm, NULL, &until);
    pthread_detach(after); /* it has ended: detaching it is as good as joining it */
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    pthread_attr_destroy(&a);
    return 0;
}

static __attribute__((noipa)) void *exit_worker(void *arg)
{
    sem_post(&done);
    pthread_exit(arg);
}

static int exits(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, exit_worker, NULL);
    wait_done(3);
    pthread_join(t[2], NULL);
    return 0;
}

static __attribute__((noipa)) int c11_worker(void *arg)
{
    (void)arg;
    sem_post(&done);
    return 7;
}

static int c11(int leak)
{
    thrd_t a, b;
    thrd_create(&a, c11_worker, NULL);
    thrd_create(&b, c11_worker, NULL);
    wait_done(2);
    int res = 0;
    thrd_join(a, &res);
    if (!leak)
        thrd_detach(b);
    return res == 7 ? 0 : 1;
}

static int check(void)
{
    pthread_t t;
    pthread_create(&t, NULL, pool_worker, NULL);
    wait_done(1);
    int first = taskleak_check();
    pthread_join(t, NULL);
    int second = taskleak_check();
    printf("check: %d then %d\n", first, second);
    return first == (taskleak_active() ? 1 : 0) && second == 0 ? 0 : 1;
}

static int reuse(void)
{
    pthread_t t;
    for (int i = 0; i < 200; i++) {
        pthread_create(&t, NULL, pool_worker, NULL);
        wait_done(1);
        pthread_join(t, NULL);
    }
    pthread_create(&t, NULL, pool_worker, NULL);
    wait_done(1);
    return 0;
}

static __attribute__((noipa)) void *slow_worker(void *arg)
{
    (void)arg;
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL); /* not for ordering: still at work when main returns, done in the grace */
    return NULL;
}

static int grace(void)
{
    pthread_t t;
    pthread_create(&t, NULL, slow_worker, NULL);
    return 0;
}

static int dump(void)
{
    pthread_t t;
    pthread_create(&t, NULL, pool_worker, NULL);
    wait_done(1);
    taskleak_dump();
    pthread_join(t, NULL);
    return 0;
}

static pthread_mutex_t kept = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noipa)) void *keep_locked(void *arg)
{
    pthread_mutex_lock(&kept);
    sem_post(&done);
    return arg;
}

static __attribute__((noipa)) void *wait_kept(void *arg)
{
    pthread_mutex_lock(&kept);
    return arg;
}

static int holder(void)
{
    pthread_t h, w;
    pthread_create(&h, NULL, keep_locked, NULL);
    wait_done(1);
    pthread_create(&w, NULL, wait_kept, NULL);
    return 0;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib;
}

static __attribute__((noipa)) void *empty_worker(void *arg)
{
    return arg;
}

static int churn(long n)
{
    long early = 0;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, empty_worker, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
        if (i == n / 10)
            early = rss_kib();
    }
    printf("rss KiB: %ld %ld\n", early, rss_kib());
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "pool";
    sem_init(&done, 0, 0);
    int rc = !strcmp(mode, "pool")      ? pool(0)
             : !strcmp(mode, "fixed")   ? pool(1)
             : !strcmp(mode, "late")    ? late()
             : !strcmp(mode, "exit")    ? exits()
             : !strcmp(mode, "c11")     ? c11(0)
             : !strcmp(mode, "c11leak") ? c11(1)
             : !strcmp(mode, "check")   ? check()
             : !strcmp(mode, "reuse")   ? reuse()
             : !strcmp(mode, "grace")   ? grace()
             : !strcmp(mode, "dump")    ? dump()
             : !strcmp(mode, "holder")  ? holder()
             : !strcmp(mode, "churn")   ? churn(argc > 2 ? atol(argv[2]) : 1000)
                                        : 2;
    printf("%s done\n", mode);
    return rc;
}
