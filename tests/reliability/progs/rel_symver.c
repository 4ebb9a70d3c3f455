/*
 * Symbol versions (reliability cases 4-5). Calls bound to old glibc versions must reach the
 * implementation of that version through the detector:
 *  - pthread_cond_*@GLIBC_2.2.5 use the compat condvar (one pointer, allocated on first use);
 *    a canary right after that pointer must survive, a wait must be woken by a signal, a timed
 *    wait must time out with ETIMEDOUT, and a thread parked in one ("condleak") is reported as a
 *    cond wait in pthread_cond_wait;
 *  - pthread_create@GLIBC_2.2.5 and @GLIBC_2.34 must both be recorded: each parks a thread that
 *    the exit report lists with its own start function.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../scenarios/await_common.h"

int old_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int old_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int old_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int old_cond_signal(pthread_cond_t *c);
int old_cond_destroy(pthread_cond_t *c);
int create_225(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int create_234(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
__asm__(".symver old_cond_init,pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver old_cond_wait,pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver old_cond_timedwait,pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver old_cond_signal,pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver old_cond_destroy,pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver create_225,pthread_create@GLIBC_2.2.5");
__asm__(".symver create_234,pthread_create@GLIBC_2.34");

#define CANARY 0xa5

static struct {
    void *compat; /* all the 2.2.5 condvar uses */
    unsigned char guard[64];
} g_cv;
static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_ready;
static sem_t g_never;
static _Atomic pid_t g_parked, g_main_waits;

/* Signals once main sleeps in the compat wait, so the round trip goes through it. */
static void *signal_soon(void *arg)
{
    await_blocked(&g_main_waits, SYS_futex);
    pthread_mutex_lock(&g_m);
    g_ready = 1;
    old_cond_signal((pthread_cond_t *)&g_cv);
    pthread_mutex_unlock(&g_m);
    return arg;
}

/* Parks forever in the compat wait (nothing signals the condvar). */
static void *park_in_old_cond_wait(void *arg)
{
    pthread_mutex_lock(&g_m);
    await_publish(&g_parked);
    for (;;)
        old_cond_wait((pthread_cond_t *)&g_cv, &g_m);
    return arg;
}

static void *park_225(void *arg)
{
    sem_wait(&g_never);
    return arg;
}

static void *park_234(void *arg)
{
    sem_wait(&g_never);
    return arg;
}

/* "cond": the compat condvar round trip and a compat timed wait; "condleak": a thread left parked
 * in the compat wait; "create": one thread through each pthread_create. */
int main(int argc, char **argv)
{
    pthread_t t, a, b;
    if (argc > 1 && strcmp(argv[1], "create") == 0) {
        sem_init(&g_never, 0, 0);
        printf("create@2.2.5 %d\n", create_225(&a, NULL, park_225, NULL));
        printf("create@2.34 %d\n", create_234(&b, NULL, park_234, NULL));
        return 0;
    }
    memset(g_cv.guard, CANARY, sizeof g_cv.guard);
    sem_init(&g_never, 0, 0);
    old_cond_init((pthread_cond_t *)&g_cv, NULL);
    if (argc > 1 && strcmp(argv[1], "condleak") == 0) {
        pthread_create(&t, NULL, park_in_old_cond_wait, NULL);
        await_blocked(&g_parked, SYS_futex);
        pthread_mutex_lock(&g_m); /* the waiter released it inside the wait */
        pthread_mutex_unlock(&g_m);
        puts("parked");
        return 0;
    }
    struct timespec soon;
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_nsec += 20 * 1000 * 1000;
    if (soon.tv_nsec >= 1000000000L) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_m);
    int rc = old_cond_timedwait((pthread_cond_t *)&g_cv, &g_m, &soon);
    pthread_mutex_unlock(&g_m);
    printf("timed wait: %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "unexpected");
    pthread_create(&t, NULL, signal_soon, NULL);
    pthread_mutex_lock(&g_m);
    await_publish(&g_main_waits);
    while (!g_ready)
        old_cond_wait((pthread_cond_t *)&g_cv, &g_m);
    pthread_mutex_unlock(&g_m);
    pthread_join(t, NULL);
    int intact = 1;
    for (size_t i = 0; i < sizeof g_cv.guard; i++)
        intact &= g_cv.guard[i] == CANARY;
    old_cond_destroy((pthread_cond_t *)&g_cv);
    printf("woken, canary %s\n", intact ? "intact" : "BROKEN");
    return 0;
}
