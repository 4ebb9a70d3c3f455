/* The in-process API (taskleak.h). Prints one line per step so the test can compare:
 *   active=<0|1>
 *   check1=<n>   after starting a labelled worker that starts a grandchild (both blocked): 2
 *   check2=<n>   after taskleak_ignore_current(): 0
 * then taskleak_dump(), releases both threads and joins them, and exits 0 (clean exit report).
 * Without the detector every call is a no-op: active=0, check1=0, check2=0. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "taskleak.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool go;

static __attribute__((noipa)) void *labelled_grandchild(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&cv, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static __attribute__((noipa)) void *labelled_worker(void *arg)
{
    pthread_t g;
    pthread_create(&g, NULL, labelled_grandchild, NULL);
    labelled_grandchild(NULL);
    pthread_join(g, NULL);
    return arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("active=%d\n", taskleak_active());
    taskleak_set_label("test_spawns_two");
    pthread_t w;
    pthread_create(&w, NULL, labelled_worker, NULL);
    taskleak_set_label(NULL);
    printf("check1=%d\n", taskleak_check());
    taskleak_ignore_current();
    printf("check2=%d\n", taskleak_check());
    taskleak_dump();
    pthread_mutex_lock(&lock);
    go = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&lock);
    pthread_join(w, NULL);
    printf("done\n");
    return 0;
}
