/* Binaries bound to either symbol version of pthread_create (GLIBC_2.2.5 from before glibc 2.34,
 * GLIBC_2.34 today) are both intercepted. One thread is created through each version and both
 * block on a condition nobody signals. Expected: 2 leaked threads (ids thread:N, not unknown),
 * starts via_old_version and via_new_version. Any argument: released and joined. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

__asm__(".symver create_2_2_5, pthread_create@GLIBC_2.2.5");
int create_2_2_5(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
__asm__(".symver create_2_34, pthread_create@GLIBC_2.34");
int create_2_34(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool go;

static void wait_go(void)
{
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&cv, &lock);
    pthread_mutex_unlock(&lock);
}

static __attribute__((noipa)) void *via_old_version(void *arg)
{
    wait_go();
    return arg;
}

static __attribute__((noipa)) void *via_new_version(void *arg)
{
    wait_go();
    return arg;
}

int main(int argc, char **argv)
{
    pthread_t a, b;
    if (create_2_2_5(&a, NULL, via_old_version, NULL) != 0 ||
        create_2_34(&b, NULL, via_new_version, NULL) != 0)
        return 1;
    if (argc > 1) {
        pthread_mutex_lock(&lock);
        go = true;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&lock);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    }
    printf("main done\n");
    return 0;
}
