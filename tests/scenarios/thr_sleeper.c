/* A periodic sleeper never stopped: a housekeeping thread wakes every 20 ms forever.
 * Expected: 1 leaked thread, reason "sleep" (an external wait: grace runs in full), call
 * nanosleep, housekeeping_loop in the blocked stack, start_housekeeping in the creation stack.
 * Any argument: a stop flag is set and the thread joined. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_bool stop;

static __attribute__((noipa)) void *housekeeping_loop(void *arg)
{
    struct timespec period = {0, 20 * 1000 * 1000};
    while (!atomic_load(&stop))
        nanosleep(&period, NULL);
    return arg;
}

static __attribute__((noipa)) pthread_t start_housekeeping(void)
{
    pthread_t t;
    pthread_create(&t, NULL, housekeeping_loop, NULL);
    return t;
}

int main(int argc, char **argv)
{
    pthread_t t = start_housekeeping();
    if (argc > 1) {
        atomic_store(&stop, 1);
        pthread_join(t, NULL);
    }
    printf("main done\n");
    return 0;
}
