/*
 * Mutex kinds (reliability cases 35-36): every return code must be what glibc returns without
 * the detector, and none of these is a deadlock. Prints one line per call; the test compares the
 * run with the baseline and checks the values.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t g_robust;
static pthread_mutex_t g_static_rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t g_static_chk = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;

static void show(const char *what, int rc)
{
    printf("%-32s %s\n", what, rc == 0 ? "0" : strerror(rc));
}

static void *die_holding(void *arg)
{
    pthread_mutex_lock(&g_robust);
    return arg; /* exits owning it */
}

static void kind(pthread_mutex_t *m, int type, int protocol)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setprotocol(&a, protocol);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static void *try_from_other(void *arg)
{
    return (void *)(long)pthread_mutex_trylock(arg);
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_t t;
    pthread_mutex_t chk, rec, pi;
    struct timespec soon;

    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&g_robust, &a);
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    show("robust lock after owner died", pthread_mutex_lock(&g_robust));
    show("robust consistent", pthread_mutex_consistent(&g_robust));
    show("robust unlock", pthread_mutex_unlock(&g_robust));
    show("robust relock", pthread_mutex_lock(&g_robust));
    show("robust unlock again", pthread_mutex_unlock(&g_robust));

    kind(&chk, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE);
    show("errorcheck lock", pthread_mutex_lock(&chk));
    show("errorcheck self relock", pthread_mutex_lock(&chk));
    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_sec += 1;
    show("errorcheck self timedlock", pthread_mutex_timedlock(&chk, &soon));
    show("errorcheck unlock", pthread_mutex_unlock(&chk));
    show("errorcheck unlock unowned", pthread_mutex_unlock(&chk));

    kind(&rec, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_NONE);
    show("recursive lock 1", pthread_mutex_lock(&rec));
    show("recursive lock 2", pthread_mutex_lock(&rec));
    show("recursive timedlock 3", pthread_mutex_timedlock(&rec, &soon));
    pthread_create(&t, NULL, try_from_other, &rec);
    void *res;
    pthread_join(t, &res);
    show("recursive trylock other thread", (int)(long)res);
    for (int i = 0; i < 3; i++)
        pthread_mutex_unlock(&rec);

    kind(&pi, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT);
    show("pi lock", pthread_mutex_lock(&pi));
    pthread_create(&t, NULL, try_from_other, &pi);
    pthread_join(t, &res);
    show("pi trylock other thread", (int)(long)res);
    show("pi unlock", pthread_mutex_unlock(&pi));

    show("static recursive lock", pthread_mutex_lock(&g_static_rec));
    show("static recursive relock", pthread_mutex_lock(&g_static_rec));
    pthread_mutex_unlock(&g_static_rec);
    pthread_mutex_unlock(&g_static_rec);
    show("static errorcheck lock", pthread_mutex_lock(&g_static_chk));
    show("static errorcheck relock", pthread_mutex_lock(&g_static_chk));
    pthread_mutex_unlock(&g_static_chk);
    return 0;
}
