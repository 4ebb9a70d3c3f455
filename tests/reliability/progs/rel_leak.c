/*
 * A small leaky program for build variants and preload chains (reliability cases 51, 54): one
 * thread blocks on a mutex main holds, one waits on a condition nobody signals. With "fixed" it
 * releases both and joins them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../scenarios/await_common.h"

static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_c = PTHREAD_COND_INITIALIZER;
static int g_go;
static _Atomic pid_t g_locker, g_waiter;

static void *want_lock(void *arg)
{
    await_publish(&g_locker);
    pthread_mutex_lock(&g_held);
    pthread_mutex_unlock(&g_held);
    return arg;
}

static void *want_signal(void *arg)
{
    pthread_mutex_lock(&g_m);
    await_publish(&g_waiter);
    while (!g_go)
        pthread_cond_wait(&g_c, &g_m);
    pthread_mutex_unlock(&g_m);
    return arg;
}

int main(int argc, char **argv)
{
    pthread_t a, b;
    pthread_mutex_lock(&g_held);
    pthread_create(&a, NULL, want_lock, NULL);
    pthread_create(&b, NULL, want_signal, NULL);
    await_blocked(&g_locker, SYS_futex); /* on g_held */
    await_blocked(&g_waiter, SYS_futex); /* in its condition wait */
    if (argc > 1 && strcmp(argv[1], "fixed") == 0) {
        pthread_mutex_unlock(&g_held);
        pthread_mutex_lock(&g_m);
        g_go = 1;
        pthread_cond_signal(&g_c);
        pthread_mutex_unlock(&g_m);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    }
    printf("leak program done\n");
    return 0;
}
