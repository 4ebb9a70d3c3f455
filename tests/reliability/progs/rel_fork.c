/*
 * fork, vfork, posix_spawn and exec (reliability cases 20-24, 47).
 *
 *   fork_busy N      four threads hammer thread creation and a mutex while main forks N
 *                    children; each child creates and joins threads, locks, and exits 0
 *   fork_server N    N children (no exec) each leak one thread and exit 0: each child's own gate
 *   vfork N          N times vfork + execve(/bin/true) with a canary around the parent's stack
 *                    (every 100th child with the detector)
 *   spawn            posix_spawn of ourselves ("leaker") with the inherited and with a bare envp
 *   exec_chain STEP  writes a check report, then execs itself with STEP-1 (same pid)
 *   exec_fds         opens what the detector opens (a dump), then execs `fds` without LD_PRELOAD
 *   fds              lists its fds above 2 (what it inherited)
 *   leaker           leaks one thread in sem_wait and exits 0
 * Child pids and statuses are printed so the test can find each process's report.
 */
#include <dirent.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "taskleak.h"

extern char **environ;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_done;
static sem_t g_never;

static void *nothing(void *arg)
{
    pthread_mutex_lock(&g_lock);
    pthread_mutex_unlock(&g_lock);
    return arg;
}

static void *churn(void *arg)
{
    while (!g_done) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) == 0)
            pthread_join(t, NULL);
        pthread_mutex_lock(&g_lock);
        pthread_mutex_unlock(&g_lock);
    }
    return arg;
}

static void *park(void *arg)
{
    sem_wait(&g_never);
    return arg;
}

static int child_body(void)
{
    alarm(20); /* a hung child dies of SIGALRM and the parent counts it */
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 3;
    }
    return 0;
}

static int fork_busy(int n)
{
    pthread_t th[4];
    int ok = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, churn, NULL);
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid_t p = fork();
        if (p == 0)
            exit(child_body());
        int st = -1;
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    g_done = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("children ok %d/%d\n", ok, n);
    return 0;
}

static void leak_one(void)
{
    pthread_t t;
    pthread_create(&t, NULL, park, NULL);
    pthread_detach(t);
}

static int fork_server(int n)
{
    for (int i = 0; i < n; i++) {
        fflush(stdout); /* the child's exit() must not print the parent's buffer again */
        pid_t p = fork();
        if (p == 0) {
            leak_one();
            exit(0);
        }
        int st = -1;
        waitpid(p, &st, 0);
        printf("child %d status %d\n", (int)p, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
    }
    return 0;
}

/* environ without LD_PRELOAD (the strings are shared with environ). */
static char *g_bare[256];

static void environ_without_preload(void)
{
    size_t k = 0;
    for (char **e = environ; *e != NULL && k + 1 < sizeof g_bare / sizeof g_bare[0]; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
            g_bare[k++] = *e;
    g_bare[k] = NULL;
}

/* Every 100th child execs with the detector (it writes its own exit report); the others without,
 * so that 10 000 rounds stay quick while the parent's state is what is being checked. */
static int vfork_loop(int n)
{
    volatile unsigned long canary[8];
    volatile int ok = 0, with_detector = 0;
    environ_without_preload();
    for (int i = 0; i < 8; i++)
        canary[i] = 0x5eed0000UL + (unsigned long)i;
    for (volatile int i = 0; i < n; i++) {
        char *args[] = {"true", NULL};
        with_detector += i % 100 == 0;
        pid_t p = vfork();
        if (p == 0) {
            execve("/bin/true", args, i % 100 == 0 ? environ : g_bare);
            _exit(127);
        }
        int st = -1;
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    int intact = 1;
    for (int i = 0; i < 8; i++)
        intact &= canary[i] == 0x5eed0000UL + (unsigned long)i;
    printf("vfork ok %d/%d canary %s, %d with the detector\n", ok, n, intact ? "intact" : "BROKEN",
           with_detector);
    return 0;
}

static void spawn_one(const char *self, char **envp, const char *what)
{
    char *args[] = {(char *)self, "leaker", NULL};
    pid_t p;
    int st = -1;
    if (posix_spawn(&p, self, NULL, NULL, args, envp) != 0) {
        printf("spawn %s failed\n", what);
        return;
    }
    waitpid(p, &st, 0);
    printf("spawn %s pid %d status %d\n", what, (int)p, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
}

static int exec_chain(const char *self, int step)
{
    printf("step %d pid %d checked %d\n", step, (int)getpid(), taskleak_check());
    fflush(stdout);
    if (step == 0)
        return 0;
    char n[16];
    snprintf(n, sizeof n, "%d", step - 1);
    char *args[] = {(char *)self, "exec_chain", n, NULL};
    execv(self, args);
    return 127;
}

static int list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    printf("fds:");
    while (d && (e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
            continue;
        char link[256] = "";
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(path, link, sizeof link - 1);
        link[k > 0 ? k : 0] = 0;
        printf(" %d=%s", fd, link);
        n++;
    }
    printf("%s\n", n ? "" : " none");
    if (d)
        closedir(d);
    return 0;
}

static int exec_fds(const char *self)
{
    leak_one();
    taskleak_dump();
    taskleak_check();
    char *args[] = {(char *)self, "fds", NULL};
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    fflush(stdout);
    execve(self, args, env);
    return 127;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    sem_init(&g_never, 0, 0);
    if (strcmp(m, "fork_busy") == 0)
        return fork_busy(n);
    if (strcmp(m, "fork_server") == 0)
        return fork_server(n);
    if (strcmp(m, "vfork") == 0)
        return vfork_loop(n);
    if (strcmp(m, "spawn") == 0) {
        char *bare[] = {"REL_SPAWNED=1", NULL};
        spawn_one(argv[0], environ, "inherited");
        spawn_one(argv[0], bare, "bare");
        return 0;
    }
    if (strcmp(m, "exec_chain") == 0)
        return exec_chain(argv[0], n);
    if (strcmp(m, "exec_fds") == 0)
        return exec_fds(argv[0]);
    if (strcmp(m, "fds") == 0)
        return list_fds();
    if (strcmp(m, "leaker") == 0) {
        leak_one();
        return 0;
    }
    return 2;
}
