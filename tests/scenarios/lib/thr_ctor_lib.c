/* A library (in the test program's DT_NEEDED) whose constructor starts a thread: libraries are
 * initialised before the preload's constructor, so the detector must already work when this
 * pthread_create runs. ctor_lib_stop() releases and joins the thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool stop;
static pthread_t worker;

static __attribute__((noipa)) void *ctor_worker(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!stop)
        pthread_cond_wait(&cv, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

__attribute__((constructor, noipa)) static void start_at_load(void)
{
    if (pthread_create(&worker, NULL, ctor_worker, NULL) != 0)
        abort(); /* also keeps the call out of tail position: start_at_load stays on the stack */
}

__attribute__((visibility("default"))) void ctor_lib_stop(void);
void ctor_lib_stop(void)
{
    pthread_mutex_lock(&lock);
    stop = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&lock);
    pthread_join(worker, NULL);
}
