/*
 * The interposition floor for bench-detector.sh: a preload library whose pthread_mutex_lock and
 * pthread_mutex_unlock only forward to the next definition (glibc's), through pointers resolved
 * once by its constructor. Timing det_mutex under it shows what any LD_PRELOAD wrapper of the
 * pair costs before it does anything (one more indirect jump per call), the floor beneath the
 * detector's own figure. The bench programs take no lock before constructors run.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

static int (*real_lock)(pthread_mutex_t *);
static int (*real_unlock)(pthread_mutex_t *);

__attribute__((constructor)) static void resolve(void)
{
    real_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
}

__attribute__((visibility("default"))) int pthread_mutex_lock(pthread_mutex_t *m)
{
    return real_lock(m);
}

__attribute__((visibility("default"))) int pthread_mutex_unlock(pthread_mutex_t *m)
{
    return real_unlock(m);
}
