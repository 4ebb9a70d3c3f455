/* Programs that are merely idle: every unit waits, but something outside the process (a client, a
 * signal, a timer) can end a wait, so the watchdog must never call them deadlocked. Each is woken
 * from outside after `ms` milliseconds (second argument, default 3000) by a helper process
 * (dl_common.h), finishes cleanly and exits 0, printing "woken: <how>".
 *   accept  a server thread idle in accept(); main joins it. The helper connects.
 *   epoll   a thread idle in epoll_wait() on a pipe; main joins it. The helper writes the pipe.
 *   sigwait a daemon thread in sigwait(SIGTERM); main joins it. The helper sends SIGTERM.
 *   sem     a daemon parked in sem_wait() until its SIGTERM handler posts (sem_post is
 *           async-signal-safe); a worker thread waits for main on a condition. The helper sends
 *           SIGTERM.
 *   pool    four workers parked on a condition that a timer thread broadcasts after its sleeps;
 *           main joins them all. Nothing outside is needed: the timer is the way out.
 *   pshared a thread waits on a process-shared condition in shared memory; main joins it. The
 *           helper process signals the condition.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "dl_common.h"

static int delay_ms = 3000;
static int fds[2];
static struct sockaddr_in addr;

static void say(const char *how)
{
    printf("woken: %s\n", how);
    fflush(stdout);
}

static void connect_to(void *arg, pid_t parent)
{
    (void)arg;
    (void)parent;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    connect(s, (struct sockaddr *)&addr, sizeof addr);
    close(s);
}

static void write_pipe(void *arg, pid_t parent)
{
    (void)arg;
    (void)parent;
    (void)!write(fds[1], "x", 1);
}

static void send_term(void *arg, pid_t parent)
{
    (void)arg;
    kill(parent, SIGTERM);
}

static __attribute__((noipa)) void *serve(void *arg)
{
    int c = accept(*(int *)arg, NULL, NULL);
    close(c);
    say("accept");
    return NULL;
}

static void run_accept(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(s, (struct sockaddr *)&addr, sizeof addr);
    getsockname(s, (struct sockaddr *)&addr, &len);
    listen(s, 1);
    dl_later(delay_ms, connect_to, NULL);
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    pthread_join(t, NULL);
}

static __attribute__((noipa)) void *poll_loop(void *arg)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
    epoll_wait(ep, &out, 1, -1);
    say("epoll");
    return arg;
}

static void run_epoll(void)
{
    (void)!pipe(fds);
    dl_later(delay_ms, write_pipe, NULL);
    pthread_t t;
    pthread_create(&t, NULL, poll_loop, NULL);
    pthread_join(t, NULL);
}

static __attribute__((noipa)) void *signal_daemon(void *arg)
{
    int sig = 0;
    sigwait((sigset_t *)arg, &sig);
    say("sigwait");
    return NULL;
}

static void run_sigwait(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread: only sigwait takes it */
    pthread_t t;
    pthread_create(&t, NULL, signal_daemon, &set);
    dl_later(delay_ms, send_term, NULL);
    pthread_join(t, NULL);
}

static sem_t quit;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool done;
static int ticks;

static void on_term(int sig)
{
    (void)sig;
    sem_post(&quit);
}

static __attribute__((noipa)) void *wait_for_done(void *arg)
{
    pthread_mutex_lock(&mu);
    while (!done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

static void finish(void)
{
    pthread_mutex_lock(&mu);
    done = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void run_sem(void)
{
    sem_init(&quit, 0, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, wait_for_done, NULL);
    dl_later(delay_ms, send_term, NULL);
    while (sem_wait(&quit) != 0) {
    }
    finish();
    pthread_join(t, NULL);
    say("sem");
}

static __attribute__((noipa)) void *timer(void *arg)
{
    /* not for ordering: the timer is the case */
    for (int slept = 0; slept < delay_ms; slept += 100)
        usleep(100000);
    ticks++;
    finish();
    return arg;
}

static void run_pool(void)
{
    pthread_t w[4], t;
    for (int i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, wait_for_done, NULL);
    pthread_create(&t, NULL, timer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(w[i], NULL);
    pthread_join(t, NULL);
    say(ticks == 1 ? "pool" : "pool?");
}

static struct shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int flag;
} * sh;

static void signal_shared(void *arg, pid_t parent)
{
    (void)arg;
    (void)parent;
    pthread_mutex_lock(&sh->mu);
    sh->flag = 1;
    pthread_cond_signal(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

static __attribute__((noipa)) void *wait_shared(void *arg)
{
    pthread_mutex_lock(&sh->mu);
    while (!sh->flag)
        pthread_cond_wait(&sh->cv, &sh->mu);
    pthread_mutex_unlock(&sh->mu);
    say("pshared");
    return arg;
}

static void run_pshared(void)
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->mu, &ma);
    pthread_cond_init(&sh->cv, &ca);
    dl_later(delay_ms, signal_shared, NULL);
    pthread_t t;
    pthread_create(&t, NULL, wait_shared, NULL);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "accept";
    if (argc > 2)
        delay_ms = atoi(argv[2]);
    if (strcmp(mode, "accept") == 0)
        run_accept();
    else if (strcmp(mode, "epoll") == 0)
        run_epoll();
    else if (strcmp(mode, "sigwait") == 0)
        run_sigwait();
    else if (strcmp(mode, "sem") == 0)
        run_sem();
    else if (strcmp(mode, "pool") == 0)
        run_pool();
    else if (strcmp(mode, "pshared") == 0)
        run_pshared();
    else
        return 2;
    return 0;
}
