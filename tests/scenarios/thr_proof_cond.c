/*
 * Threads waiting on a condition variable inside a heap block their creator forgot: nothing
 * can ever signal it, so the exit report proves them leaked ("unreachable"). With "global" a
 * global variable still points at the block: someone could still signal, so no proof. With
 * "running" the only pointer sits on the stack of a thread that keeps running (spinning until
 * the process exits): no proof either, since a running thread's stack is a root.
 * With "large_global" the address sits in a 1 MiB heap block (a large block: its own mapping in
 * glibc and ASan alike) a global points to: no proof. With "freed_large" it sat in such a block
 * that was freed since: a stale copy (ASan keeps the block in quarantine), proven all the same.
 * A second argument, seconds, keeps main asleep that long before it exits, so that the watchdog
 * can prove the workers while the program runs.
 * A pipe is the handshake: each worker writes one byte holding the mutex, and once main has read
 * them all and taken the mutex once, every worker sits inside pthread_cond_wait.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 3

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd;
    int stop;
};

struct pool *volatile keep_global;
void *volatile keep_large;
static atomic_int spinning;

static void *worker(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->mu);
    char b = 'w';
    if (write(p->fd, &b, 1) != 1)
        abort();
    while (!p->stop)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Holds the pool's address in its own frame and keeps running. */
static void *holder(void *arg)
{
    struct pool *volatile mine = arg;
    atomic_store(&spinning, 1);
    for (;;)
        if (mine->stop == 42)
            break;
    return NULL;
}

static __attribute__((noinline)) void start_pool(const char *mode)
{
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    struct pool *p = calloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->fd = fds[1];
    pthread_t t;
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&t, NULL, worker, p) != 0)
            abort();
    char buf[WORKERS];
    for (int got = 0; got < WORKERS;) {
        ssize_t k = read(fds[0], buf, sizeof buf - (size_t)got);
        if (k <= 0)
            abort();
        got += (int)k;
    }
    pthread_mutex_lock(&p->mu); /* every worker is now inside pthread_cond_wait */
    pthread_mutex_unlock(&p->mu);
    close(fds[0]);
    close(fds[1]);
    if (strcmp(mode, "global") == 0)
        keep_global = p;
    if (strcmp(mode, "large_global") == 0 || strcmp(mode, "freed_large") == 0) {
        struct pool *volatile *big = malloc(1 << 20);
        big[1000] = p;
        if (mode[0] == 'l')
            keep_large = (void *)big;
        else
            free((void *)big);
    }
    if (strcmp(mode, "running") == 0) {
        pthread_create(&t, NULL, holder, p);
        while (!atomic_load(&spinning))
            ;
    }
}

/* The setup runs on a thread of its own that then ends: no frame of main's ever held the
 * block's address (a conservative scan would count a stale copy there). */
static void *setup(void *mode)
{
    start_pool(mode);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, setup, (void *)(argc > 1 ? argv[1] : "forgot"));
    pthread_join(t, NULL);
    printf("pool started\n");
    fflush(stdout);
    if (argc > 2) {
        struct timespec nap = {atoi(argv[2]), 0};
        while (nanosleep(&nap, &nap) != 0)
            ;
    }
    return 0;
}
