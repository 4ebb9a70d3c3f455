/*
 * Exit paths (reliability cases 14-19): one program, the first argument picks how it leaves.
 *
 *   return | exit            join a worker, then leave normally
 *   worker_exit              a worker calls exit(5) while three others block in wrappers
 *   _exit | _exit0 | abort | sigterm | segv | quick_exit   leave without (or around) the exit
 *                            handlers (_exit: status 7, _exit0: status 0)
 *   main_pthread_exit        main calls pthread_exit; two workers finish a little later
 *   term_after_main          main pthread_exits; the last worker raises SIGTERM (blocked in
 *                            itself) and exits, so only the detector's threads can take it
 *   atexit_join              an atexit handler stops and joins a worker blocked in cond wait
 *   status LEAK CODE N [FILE] leave with CODE after printing N numbered lines (to FILE when
 *                            given, via dup2 onto fd 1); LEAK "leak" parks a thread in sem_wait
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "../../scenarios/await_common.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static sem_t g_sem;
static int g_stop;
static pthread_t g_worker; /* atexit_join: the worker the handler joins */
/* worker_exit: who must be asleep before the worker exits (await_common.h) */
static _Atomic pid_t g_in_cond, g_in_held, g_in_sem, g_in_join;

/* Works for arg microseconds: not for ordering, the work itself (main_pthread_exit's workers
 * outlive main by it). */
static void *short_work(void *arg)
{
    usleep((useconds_t)(long)arg);
    return NULL;
}

static void *wait_cond(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    await_publish(&g_in_cond);
    while (!g_stop)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static void *wait_held(void *arg)
{
    (void)arg;
    await_publish(&g_in_held);
    pthread_mutex_lock(&g_held);
    return NULL;
}

static void *wait_sem(void *arg)
{
    (void)arg;
    await_publish(&g_in_sem);
    sem_wait(&g_sem);
    return NULL;
}

static void *exit_from_worker(void *arg)
{
    (void)arg;
    await_blocked(&g_in_cond, SYS_futex);
    await_blocked(&g_in_held, SYS_futex);
    await_blocked(&g_in_sem, SYS_futex);
    await_blocked(&g_in_join, SYS_futex); /* main, in pthread_join */
    printf("worker exits\n");
    exit(5);
}

static void start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        abort();
    pthread_detach(t);
}

static int join_one(void)
{
    pthread_t t;
    pthread_create(&t, NULL, short_work, (void *)1000L);
    return pthread_join(t, NULL);
}

static int worker_exit(void)
{
    pthread_t t;
    pthread_mutex_lock(&g_held);
    start(wait_cond, NULL);
    start(wait_held, NULL);
    start(wait_sem, NULL);
    await_publish(&g_in_join);
    pthread_create(&t, NULL, exit_from_worker, NULL);
    pthread_join(t, NULL); /* never returns: the worker exits the process */
    return 1;
}

static void *raise_term_and_leave(void *arg)
{
    sigset_t s;
    (void)arg;
    await_main_exited();
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGTERM);
    return NULL;
}

static void stop_and_join(void)
{
    pthread_mutex_lock(&g_lock);
    g_stop = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    printf("atexit joined %d\n", pthread_join(g_worker, NULL));
    fflush(stdout);
}

static int with_status(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    if (argc > 5) {
        int fd = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0)
            return 2;
        close(fd);
    }
    if (strcmp(argv[2], "leak") == 0)
        start(wait_sem, NULL);
    join_one();
    long n = atol(argv[4]);
    for (long i = 0; i < n; i++)
        printf("line %ld of the program's own output\n", i);
    return atoi(argv[3]);
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "return";
    sem_init(&g_sem, 0, 0);
    if (strcmp(m, "status") == 0)
        return with_status(argc, argv);
    if (strcmp(m, "worker_exit") == 0)
        return worker_exit();
    if (strcmp(m, "main_pthread_exit") == 0) {
        start(short_work, (void *)100000L);
        start(short_work, (void *)200000L);
        pthread_exit(NULL);
    }
    if (strcmp(m, "term_after_main") == 0) {
        start(raise_term_and_leave, NULL);
        pthread_exit(NULL);
    }
    if (strcmp(m, "atexit_join") == 0) {
        pthread_create(&g_worker, NULL, wait_cond, NULL);
        atexit(stop_and_join);
        printf("main returns\n");
        return 0;
    }
    join_one();
    start(wait_sem, NULL); /* a leaked thread the abnormal exits leave behind */
    printf("mode %s\n", m);
    fflush(stdout);
    if (strcmp(m, "return") == 0 || strcmp(m, "exit") == 0) {
        sem_post(&g_sem); /* release it: these two modes are clean */
        await_gone(&g_in_sem);
        if (m[0] == 'e')
            exit(0);
        return 0;
    }
    if (strcmp(m, "_exit") == 0)
        _exit(7);
    if (strcmp(m, "_exit0") == 0)
        _exit(0);
    if (strcmp(m, "quick_exit") == 0)
        quick_exit(4);
    if (strcmp(m, "abort") == 0)
        abort();
    if (strcmp(m, "sigterm") == 0)
        raise(SIGTERM);
    if (strcmp(m, "segv") == 0)
        raise(SIGSEGV);
    return 2;
}
