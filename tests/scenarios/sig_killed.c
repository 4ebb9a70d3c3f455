/* Signal scenario: a hung program ended by a signal from outside, as a CI timeout ends it.
 *
 * A worker waits on a condition nobody signals (stuck_worker) and main joins it: the program never
 * ends by itself. Once the worker waits, a killer child process waits until main sleeps in its
 * join (its state in /proc is 'S') and then sends the signal to the program, the way timeout(1)
 * or a CI runner does.
 *
 *   sig_killed term|int|hup|quit      hung, then killed by that signal (quit: no core, rlimit 0)
 *   sig_killed hang                   hung, nobody kills it (for timeout(1) around the supervisor)
 *   sig_killed group                  leads a process group of its own, then hangs (only a
 *                                     supervisor that forwards signals can reach it); SIGUSR1
 *                                     makes it print "usr1" and exit 5
 *   sig_killed count_int              counts SIGINTs (prints "int" for each); SIGUSR1 makes it
 *                                     print "ints 1" (or 0, or many) and return 0
 *   sig_killed single                 one thread only, blocked in read(2) on a pipe, then SIGTERM
 *   sig_killed own_before             its SIGTERM handler is installed before the detector starts
 *                                     (preinit_array); the handler prints and re-raises
 *   sig_killed own_after              the same handler installed from main with
 *                                     SA_RESETHAND|SA_SIGINFO
 *   sig_killed own_exit               handler installed from main with signal(); it exits 3
 *   sig_killed view                   prints what sigaction(sig, NULL, &old) shows for the four
 *                                     (dfl, ign or other) and what signal(SIGINT, ...) returns
 *   sig_killed fork                   a fork child (one thread, blocked in read) is killed instead;
 *                                     the parent reports the child's end and exits 0
 *   sig_killed storm                  hung; the killer sends SIGTERM 20 times, then SIGINT
 *   sig_killed masked                 hung; main blocks SIGTERM, so the worker takes it
 *   sig_killed thread                 hung; SIGTERM is sent to the worker thread (tgkill), not to
 *                                     the process
 *   sig_killed traffic                hung, while four threads fight over a mutex without end
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int started;
static pid_t worker_tid; /* written before `started`, read by the killer (a fork) after it */
static int storm;        /* the killer sends its signal 20 times and then SIGINT */
static int to_thread;    /* the killer signals the worker thread, not the process */
static int mask_main;    /* main blocks SIGTERM before it joins */

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0)
        _exit(9);
}

static __attribute__((noinline)) void *stuck_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    worker_tid = gettid();
    started = 1;
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

/* State letter of process pid's main thread from /proc (its third field). */
static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* A child process that sends sig to `target` once its main thread sleeps. */
static void killer(pid_t target, int sig)
{
    if (fork() != 0)
        return;
    while (state_of(target) != 'S')
        usleep(1000);
    if (to_thread)
        tgkill(target, worker_tid, sig);
    else
        kill(target, sig);
    for (int i = 1; storm && i < 20; i++)
        kill(target, sig);
    if (storm)
        kill(target, SIGINT);
    _exit(0);
}

/* Starts the stuck worker, waits until it is in its wait, then (sig != 0) has the killer send sig
 * once main sleeps in the join. */
static void start_stuck_worker(int sig)
{
    pthread_t t;
    pthread_create(&t, NULL, stuck_worker, NULL);
    for (;;) { /* holding the lock means the worker is inside its cond wait */
        pthread_mutex_lock(&lock);
        int s = started;
        pthread_mutex_unlock(&lock);
        if (s)
            break;
        usleep(1000);
    }
    if (mask_main) {
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &term, NULL);
    }
    if (sig != 0)
        killer(getpid(), sig);
    say("ready\n");
    pthread_join(t, NULL);
}

static __attribute__((noinline, noclone)) void block_in_read(int sig)
{
    int p[2];
    char c;
    if (pipe(p) < 0)
        _exit(8);
    killer(getpid(), sig);
    say("ready\n");
    if (read(p[0], &c, 1) < 0) /* the write end stays open: never returns */
        _exit(7);
}

static __attribute__((noinline)) void *fighter(void *arg)
{
    static pthread_mutex_t contended = PTHREAD_MUTEX_INITIALIZER;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&contended);
        sched_yield();
        pthread_mutex_unlock(&contended);
    }
    return NULL;
}

static void own_handler(int sig)
{
    say("handler ran\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

static void own_siginfo(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    say("handler ran\n");
    raise(sig); /* SA_RESETHAND put SIG_DFL back: this ends the process */
}

static void own_exit(int sig)
{
    (void)sig;
    say("handler ran\n");
    _exit(3);
}

static void on_usr1(int sig)
{
    (void)sig;
    say("usr1\n");
    _exit(5);
}

static volatile sig_atomic_t ints;

static void count_int(int sig)
{
    (void)sig;
    ints++;
    say("int\n");
}

static volatile sig_atomic_t usr1;

static void note_usr1(int sig)
{
    (void)sig;
    usr1 = 1;
}

static void install_before(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1 && strcmp(argv[1], "own_before") == 0) {
        struct sigaction sa = {.sa_handler = own_handler};
        sigaction(SIGTERM, &sa, NULL);
    }
}
__attribute__((section(".preinit_array"), used)) static void (*preinit)(int, char **,
                                                                        char **) = install_before;

static int killed(int sig)
{
    start_stuck_worker(sig);
    return 1;
}

static int view(void)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    for (int i = 0; i < 4; i++) {
        struct sigaction old;
        memset(&old, 0xff, sizeof old);
        sigaction(sigs[i], NULL, &old);
        const char *what = old.sa_handler == SIG_DFL   ? "dfl"
                           : old.sa_handler == SIG_IGN ? "ign"
                                                       : "other";
        printf("%s%s", what, i < 3 ? " " : "\n");
    }
    void (*prev)(int) = signal(SIGINT, SIG_IGN);
    printf("signal returned %s\n", prev == SIG_DFL ? "dfl" : "other");
    return 0;
}

static int in_fork_child(void)
{
    pthread_t t;
    pthread_create(&t, NULL, stuck_worker, NULL); /* the parent has threads and a watchdog */
    pid_t child = fork();
    if (child == 0) {
        block_in_read(SIGTERM);
        _exit(6);
    }
    int st = 0;
    waitpid(child, &st, 0);
    printf("child %s %d\n", WIFSIGNALED(st) ? "signaled" : "exited",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "term";
    if (strcmp(m, "term") == 0 || strcmp(m, "own_before") == 0)
        return killed(SIGTERM);
    if (strcmp(m, "int") == 0)
        return killed(SIGINT);
    if (strcmp(m, "hup") == 0)
        return killed(SIGHUP);
    if (strcmp(m, "quit") == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        return killed(SIGQUIT);
    }
    if (strcmp(m, "hang") == 0) {
        start_stuck_worker(0);
        return 1;
    }
    if (strcmp(m, "group") == 0) {
        setpgid(0, 0);
        signal(SIGUSR1, on_usr1);
        start_stuck_worker(0);
        return 1;
    }
    if (strcmp(m, "count_int") == 0) {
        sigset_t usr1_set, waiting;
        sigemptyset(&usr1_set);
        sigaddset(&usr1_set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1_set, &waiting); /* SIGUSR1 only inside sigsuspend */
        sigdelset(&waiting, SIGUSR1);
        signal(SIGINT, count_int);
        signal(SIGUSR1, note_usr1);
        say("ready\n");
        while (!usr1)
            sigsuspend(&waiting);
        say(ints == 1 ? "ints 1\n" : ints == 0 ? "ints 0\n" : "ints many\n");
        return 0;
    }
    if (strcmp(m, "single") == 0) {
        block_in_read(SIGTERM);
        return 1;
    }
    if (strcmp(m, "own_after") == 0) {
        struct sigaction sa = {.sa_sigaction = own_siginfo, .sa_flags = SA_SIGINFO | SA_RESETHAND};
        sigaction(SIGTERM, &sa, NULL);
        return killed(SIGTERM);
    }
    if (strcmp(m, "own_exit") == 0) {
        signal(SIGTERM, own_exit);
        return killed(SIGTERM);
    }
    if (strcmp(m, "view") == 0)
        return view();
    if (strcmp(m, "fork") == 0)
        return in_fork_child();
    storm = strcmp(m, "storm") == 0;
    mask_main = strcmp(m, "masked") == 0;
    to_thread = strcmp(m, "thread") == 0;
    for (int i = 0; strcmp(m, "traffic") == 0 && i < 4; i++) {
        pthread_t t;
        pthread_create(&t, NULL, fighter, NULL);
    }
    if (storm || mask_main || to_thread || strcmp(m, "traffic") == 0)
        return killed(SIGTERM);
    return 2;
}
