/* 200 identical waiters: every thread blocks on the same barrier-like condition from the same
 * place. Expected: ONE group of 200 leaked threads (same reason, same creation and blocked
 * stacks), reason "cond wait". Any argument: released and joined. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#define N 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t release_cv = PTHREAD_COND_INITIALIZER;
static bool released;

static __attribute__((noipa)) void *wait_release(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!released)
        pthread_cond_wait(&release_cv, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static __attribute__((noipa)) void spawn_all(pthread_t *t)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (int i = 0; i < N; i++)
        if (pthread_create(&t[i], &a, wait_release, NULL) != 0)
            t[i] = 0;
    pthread_attr_destroy(&a);
}

int main(int argc, char **argv)
{
    static pthread_t t[N];
    spawn_all(t);
    if (argc > 1) {
        pthread_mutex_lock(&lock);
        released = true;
        pthread_cond_broadcast(&release_cv);
        pthread_mutex_unlock(&lock);
        for (int i = 0; i < N; i++)
            if (t[i])
                pthread_join(t[i], NULL);
    }
    printf("main done\n");
    return 0;
}
