/*
 * Reliability case 3: the gor runtime loaded by dlopen after start, then 32 plain threads make
 * their first channel calls at the same moment (a barrier releases them together), racing the
 * runtime's lazy initialisation under the detector.
 *
 * Usage: rel_lategor <path to libgor.so> global|local
 * Each thread makes its own buffered channel and sends and receives its index through it; no gor
 * call happens before, so the 32 gor_chan_make calls are the process's first. Main sums what came
 * back. Prints "threads 32 sum 496 own-ok 32".
 * The runtime is reached only through dlsym, so with "local" nothing else in the process can bind
 * to it (the RTLD_LOCAL plugin situation).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 32

struct gor_api {
    void *(*make)(size_t elem_size, size_t cap);
    void (*send)(void *c, const void *elem);
    bool (*recv)(void *c, void *elem);
};

static struct gor_api api;      /* written by main before any thread starts */
static pthread_barrier_t start; /* releases the NTHREADS first calls together */
static int own_ok[NTHREADS];    /* slot i written by thread i only, read after join */
static int back_of[NTHREADS];   /* same: what thread i received from its own channel */

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg, back = -1;
    pthread_barrier_wait(&start);
    void *own = api.make(sizeof i, 1);
    if (own != NULL) {
        api.send(own, &i);
        own_ok[i] = api.recv(own, &back) && back == i;
        back_of[i] = back;
    }
    return NULL;
}

static int load(const char *path, const char *mode)
{
    void *h = dlopen(path, RTLD_NOW | (strcmp(mode, "global") == 0 ? RTLD_GLOBAL : RTLD_LOCAL));
    if (h == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    *(void **)&api.make = dlsym(h, "gor_chan_make");
    *(void **)&api.send = dlsym(h, "gor_chan_send");
    *(void **)&api.recv = dlsym(h, "gor_chan_recv");
    return api.make && api.send && api.recv ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3 || load(argv[1], argv[2]) != 0)
        return 2;
    pthread_t t[NTHREADS];
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
            return 4;
    int sum = 0, ok = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        ok += own_ok[i];
        sum += back_of[i];
    }
    printf("threads %d sum %d own-ok %d\n", NTHREADS, sum, ok);
    return 0;
}
