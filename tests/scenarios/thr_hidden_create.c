/* A thread created behind the interposer (glibc's pthread_create looked up in libc.so.6 itself,
 * as a library resolving it with dlsym from an object after ours would) and named
 * "hidden-worker"; it sleeps forever. Expected: one leaked unit "thread:?TID", unknown_origin
 * true, name "hidden-worker". The program also closes its stderr before exiting: the text report
 * must still arrive (the detector keeps its own copy). Any argument: the thread is told to stop
 * and joined (the correct twin). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static atomic_bool stop, running;

static void *hidden_worker(void *arg)
{
    struct timespec t = {0, 5 * 1000 * 1000};
    atomic_store(&running, 1); /* main leaves only once this frame exists: its start is known */
    while (!atomic_load(&stop))
        nanosleep(&t, NULL);
    return arg;
}

int main(int argc, char **argv)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    create_fn create = libc ? (create_fn)dlsym(libc, "pthread_create") : NULL;
    pthread_t t;
    if (create == NULL || create(&t, NULL, hidden_worker, NULL) != 0)
        return 1;
    pthread_setname_np(t, "hidden-worker");
    struct timespec tick = {0, 1000 * 1000};
    while (!atomic_load(&running))
        nanosleep(&tick, NULL);
    if (argc > 1) {
        atomic_store(&stop, 1);
        pthread_join(t, NULL);
    }
    printf("main done\n");
    fflush(stdout);
    close(2);
    return 0;
}
