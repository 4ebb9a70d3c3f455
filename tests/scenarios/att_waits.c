/* For taskleak attach, run WITHOUT the detector: one thread in each kind of wait glibc offers,
 * started by a function of its own name: a semaphore (sem_wait), a write lock on a read-locked
 * rwlock, a barrier of two, a read on an empty pipe, epoll_wait, sleep; main sits in pause().
 * Prints "ready" once every thread is started (their waits are seen through /proc). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

sem_t jobs;
pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_barrier_t phase;
static int pipefd[2];
static pthread_barrier_t started;

static __attribute__((noipa)) void *sem_waiter(void *a)
{
    pthread_barrier_wait(&started);
    sem_wait(&jobs);
    return a;
}

static __attribute__((noipa)) void *rw_writer(void *a)
{
    pthread_barrier_wait(&started);
    pthread_rwlock_wrlock(&table_lock);
    return a;
}

static __attribute__((noipa)) void *barrier_waiter(void *a)
{
    pthread_barrier_wait(&started);
    pthread_barrier_wait(&phase);
    return a;
}

static __attribute__((noipa)) void *pipe_reader(void *a)
{
    char c;
    pthread_barrier_wait(&started);
    return read(pipefd[0], &c, 1) < 0 ? NULL : a;
}

static __attribute__((noipa)) void *epoller(void *a)
{
    struct epoll_event ev;
    int ep = epoll_create1(0);
    pthread_barrier_wait(&started);
    epoll_wait(ep, &ev, 1, -1);
    return a;
}

static __attribute__((noipa)) void *sleeper(void *a)
{
    pthread_barrier_wait(&started);
    sleep(600);
    return a;
}

int main(void)
{
    void *(*fns[])(void *) = {sem_waiter, rw_writer, barrier_waiter, pipe_reader, epoller, sleeper};
    if (pipe(pipefd) != 0)
        return 1;
    sem_init(&jobs, 0, 0);
    pthread_barrier_init(&phase, NULL, 2);
    pthread_barrier_init(&started, NULL, 7);
    pthread_rwlock_rdlock(&table_lock);
    pthread_t t;
    for (int i = 0; i < 6; i++)
        pthread_create(&t, NULL, fns[i], NULL);
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
