/* Threads detached and named by their creator the moment pthread_create returns, before they can
 * run: each must be reported detached and under its name (the creator records the new thread's
 * handle, so the detector finds the unit before the thread itself attached). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "await_common.h"

#define N 20

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t tids[N];

static void *wait_for_shutdown(void *arg)
{
    await_publish(arg);
    pthread_mutex_lock(&held);
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&held);
    for (int i = 0; i < N; i++) {
        pthread_t t;
        char name[16];
        if (pthread_create(&t, NULL, wait_for_shutdown, &tids[i]) != 0)
            return 1;
        snprintf(name, sizeof name, "early-%d", i);
        pthread_setname_np(t, name);
        pthread_detach(t);
    }
    for (int i = 0; i < N; i++) /* every thread has run and waits for the mutex */
        await_blocked(&tids[i], SYS_futex);
    puts("started");
    return 0;
}
