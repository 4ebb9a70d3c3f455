/* The target of bench-attach.sh: 39 threads asleep on a condition variable (as in a hung server)
 * and one ticker thread that reads CLOCK_MONOTONIC in a loop and keeps the largest gap between two
 * reads. While a tool holds the whole process stopped the ticker is stopped too, so the gap is how
 * long the process was stopped, measured from inside, the same way for every tool. Each line read
 * on stdin makes it print the largest gap since the previous line (ms) and start again. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define SLEEPERS 39

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static _Atomic long long max_gap_ns;
static _Atomic int reset;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *sleeper(void *arg)
{
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&never, &m);
    return arg;
}

static void *ticker(void *arg)
{
    long long last = now_ns(), best = 0;
    for (;;) {
        long long t = now_ns();
        if (atomic_exchange(&reset, 0))
            best = 0;
        if (t - last > best) {
            best = t - last;
            atomic_store(&max_gap_ns, best);
        }
        last = t;
    }
    return arg;
}

int main(void)
{
    pthread_t t;
    for (int i = 0; i < SLEEPERS; i++)
        pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, ticker, NULL);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        printf("%.3f\n", atomic_load(&max_gap_ns) / 1e6);
        fflush(stdout);
        atomic_store(&max_gap_ns, 0);
        atomic_store(&reset, 1);
    }
    return 0;
}
