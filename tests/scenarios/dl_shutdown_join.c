/* A shutdown that joins a worker stuck in a condition wait nobody will signal: the whole process
 * asleep ("all threads are asleep - deadlock!").
 *
 * The worker waits for `stop` under its condition; shutdown() sets `stop` but forgets to signal
 * (the bug), then joins. Nothing inside the process can ever move again. The first argument says
 * where the join happens:
 *   main    in main, before returning
 *   atexit  in an atexit handler (the process is inside exit())
 *   dtor    in a destructor, which runs after the exit gate
 *   fixed   main, and shutdown() signals the condition: the correct twin, exits 0
 *   watch   main, and a helper process kills the program with SIGKILL once the deadlock report has
 *           appeared and two more seconds passed: a program still alive then was not ended
 *           (on_deadlock=report)
 *   hidden  main, after starting a thread behind the interposer (glibc's own pthread_create, as a
 *           library bypassing us would) that waits on a condition forever: its wait cannot be
 *           seen, so it counts as able to move and the process is never called asleep; a helper
 *           process kills the program with SIGKILL after four seconds
 * Prints "worker waiting" once the worker is in its wait (the harness reads stdout at the end).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dl_common.h"
#include "wd_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, ready_cv = PTHREAD_COND_INITIALIZER;
static bool stop, fixed, ready;
static pthread_t worker;

static __attribute__((noipa)) void *wait_for_stop(void *arg)
{
    pthread_mutex_lock(&mu);
    printf("worker waiting\n");
    fflush(stdout);
    ready = true; /* main takes mu again only once we sit in pthread_cond_wait */
    pthread_cond_signal(&ready_cv);
    while (!stop)
        pthread_cond_wait(&wake, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

static __attribute__((noipa)) void shutdown_worker(void)
{
    pthread_mutex_lock(&mu);
    stop = true;
    if (fixed)
        pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mu);
    pthread_join(worker, NULL);
    __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame in the joiner's stack */
}

static bool in_dtor;
static __attribute__((destructor, noipa)) void join_in_destructor(void)
{
    if (in_dtor)
        shutdown_worker();
    __asm__ volatile("" ::: "memory");
}

static void kill_after_report(void *arg, pid_t parent)
{
    (void)arg;
    wd_await_report(parent, "deadlock", 50);
    /* Not for ordering: a detector that ended the program would have done so right after its
     * report; only the program still alive this much later shows that it was left alone. */
    sleep(2);
    kill(parent, SIGKILL);
}

static void kill_now(void *arg, pid_t parent)
{
    (void)arg;
    kill(parent, SIGKILL);
}

static void *unseen_wait(void *arg)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&never, &m);
    return arg;
}

static void start_hidden_thread(void)
{
    typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    create_fn create = libc ? (create_fn)dlsym(libc, "pthread_create") : NULL;
    pthread_t t;
    if (create == NULL || create(&t, NULL, unseen_wait, NULL) != 0)
        exit(1);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "main";
    fixed = strcmp(mode, "fixed") == 0;
    if (strcmp(mode, "watch") == 0)
        dl_later(0, kill_after_report, NULL);
    if (strcmp(mode, "hidden") == 0) {
        dl_later(4000, kill_now, NULL);
        start_hidden_thread();
    }
    pthread_create(&worker, NULL, wait_for_stop, NULL);
    pthread_mutex_lock(&mu); /* the handshake: the worker is waiting before any shutdown */
    while (!ready)
        pthread_cond_wait(&ready_cv, &mu);
    pthread_mutex_unlock(&mu);
    if (strcmp(mode, "atexit") == 0) {
        atexit(shutdown_worker);
        exit(0);
    }
    if (strcmp(mode, "dtor") == 0) {
        in_dtor = true;
        return 0;
    }
    shutdown_worker();
    printf("joined\n");
    return 0;
}
