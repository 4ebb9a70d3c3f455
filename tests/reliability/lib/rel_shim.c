/*
 * Another preload for the chain tests (reliability case 54): counts pthread_create and
 * pthread_mutex_lock calls and forwards them with dlsym(RTLD_NEXT), the way libfaketime or a
 * malloc shim sits next to us. Prints its counts at exit.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static int g_creates, g_locks;

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!real)
        real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(
            RTLD_NEXT, "pthread_create");
    __atomic_add_fetch(&g_creates, 1, __ATOMIC_RELAXED);
    return real(t, a, fn, arg);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    if (!real)
        real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    __atomic_add_fetch(&g_locks, 1, __ATOMIC_RELAXED);
    return real(m);
}

__attribute__((destructor)) static void shim_report(void)
{
    fprintf(stderr, "rel_shim: creates=%d locks>0=%d\n", g_creates, g_locks > 0);
}
