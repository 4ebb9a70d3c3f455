/*
 * Two threads deadlocked on each other's mutexes, both mutexes in a heap block nothing else
 * points to: each thread's stack (which is not a root while it waits) is the only place their
 * addresses live, so the pair is proven together ("unreachable", verdict deadlocked). With
 * "global" a global keeps the block: the deadlock stays, the proof goes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pair {
    pthread_mutex_t a, b;
};

struct pair *volatile keep_global;
static pthread_barrier_t both_hold;

static void *left(void *arg)
{
    struct pair *p = arg;
    pthread_mutex_lock(&p->a);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&p->b);
    return NULL;
}

static void *right(void *arg)
{
    struct pair *p = arg;
    pthread_mutex_lock(&p->b);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&p->a);
    return NULL;
}

static __attribute__((noinline)) void start(const char *mode)
{
    struct pair *p = calloc(1, sizeof *p);
    pthread_mutex_init(&p->a, NULL);
    pthread_mutex_init(&p->b, NULL);
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, left, p);
    pthread_create(&t, NULL, right, p);
    if (strcmp(mode, "global") == 0)
        keep_global = p;
}

/* The setup runs on a thread of its own that then ends: no frame of main's ever held the
 * block's address (a conservative scan would count a stale copy there). */
static void *setup(void *mode)
{
    start(mode);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, setup, (void *)(argc > 1 ? argv[1] : "forgot"));
    pthread_join(t, NULL);
    return 0;
}
