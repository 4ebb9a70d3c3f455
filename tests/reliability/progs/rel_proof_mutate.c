/*
 * Hostile case 66: the reachability scan while other threads mutate the heap.
 *
 * Three threads wait on a condition variable in a heap block; the only pointer to it hops between
 * random slots of a large heap table (a global points to the table) in the hands of two mutator
 * threads that never stop: read a slot, clear it, write another. At any instant the pointer is in
 * a slot or in a mutator's register, so the waiters can always be woken: a scan must never prove
 * them leaked. main calls taskleak_check() CHECKS times while this goes on, then prints "done".
 * argv[1]: table size in MiB (default 64).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "taskleak.h"

#define CHECKS 4

struct waitee {
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static uintptr_t *volatile table;
static size_t slots;
static atomic_int stop, waiting;

static void *waiter(void *arg)
{
    struct waitee *w = arg;
    pthread_mutex_lock(&w->mu);
    atomic_fetch_add(&waiting, 1);
    while (!atomic_load(&stop))
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Moves the pointer from wherever it is to a random slot, forever. */
static void *mutator(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    size_t at = 0;
    while (!atomic_load(&stop)) {
        size_t to = (size_t)rand_r(&seed) % slots;
        uintptr_t p = __atomic_exchange_n(&table[at], 0, __ATOMIC_ACQ_REL);
        if (p != 0)
            __atomic_store_n(&table[to], p, __ATOMIC_RELEASE);
        at = (size_t)rand_r(&seed) % slots;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    slots = (mib << 20) / sizeof(uintptr_t);
    table = calloc(slots, sizeof(uintptr_t));
    struct waitee *w = calloc(1, sizeof *w);
    if (table == NULL || w == NULL)
        return 1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_t t[5];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, waiter, w);
    while (atomic_load(&waiting) < 3)
        sched_yield();
    pthread_mutex_lock(&w->mu); /* each waiter released it inside pthread_cond_wait */
    pthread_mutex_unlock(&w->mu);
    table[0] = (uintptr_t)w;
    w = NULL;
    for (int i = 3; i < 5; i++)
        pthread_create(&t[i], NULL, mutator, (void *)(uintptr_t)(i * 7919));
    for (int i = 0; i < CHECKS; i++)
        taskleak_check();
    printf("done\n");
    fflush(stdout);
    _Exit(0); /* the threads keep running: no exit gate, the checks are the test */
}
