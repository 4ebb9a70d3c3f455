/* For taskleak attach, run WITHOUT the detector: a busy main thread beside an idle thread waiting
 * on a condition. Main computes for argv[1] milliseconds of CPU-bound work (checking the clock),
 * then signals the idle thread, joins it and exits 0; an attach in between must leave it running
 * and on time. Prints "ready" when the idle thread waits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int stop, waiting;

static __attribute__((noipa)) void *idle_worker(void *arg)
{
    pthread_mutex_lock(&m);
    waiting = 1;
    pthread_cond_broadcast(&go);
    while (!stop)
        pthread_cond_wait(&go, &m);
    pthread_mutex_unlock(&m);
    return arg;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __attribute__((noipa)) unsigned long spin(double until)
{
    volatile unsigned long x = 0;
    while (now_ms() < until)
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i * 2654435761u;
    return x;
}

int main(int argc, char **argv)
{
    double ms = argc > 1 ? atof(argv[1]) : 2000;
    pthread_t t;
    pthread_create(&t, NULL, idle_worker, NULL);
    pthread_mutex_lock(&m);
    while (!waiting)
        pthread_cond_wait(&go, &m);
    pthread_mutex_unlock(&m);
    printf("ready\n");
    fflush(stdout);
    spin(now_ms() + ms);
    pthread_mutex_lock(&m);
    stop = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
