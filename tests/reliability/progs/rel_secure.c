/*
 * What a process can see of the detector in itself (reliability case 43): run as a set-user-ID
 * copy with the detector listed in /etc/ld.so.preload (which the dynamic linker honours even in
 * secure mode), the detector is mapped but must stay inert. Prints whether libtaskleak.so is
 * mapped, whether a handler is installed for SIGUSR2 (the default dump signal), then leaves one
 * thread blocked forever and prints how many threads the process has (a watchdog would make it
 * three). Exits 0: an exit status other than 0 comes from the detector.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../scenarios/await_common.h"

static bool mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, name) != NULL;
    if (f != NULL)
        fclose(f);
    return found;
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t g_blocked;

static void *blocked_forever(void *arg)
{
    await_publish(&g_blocked);
    pthread_mutex_lock(&g_held);
    return arg;
}

int main(void)
{
    struct sigaction sa;
    sigaction(SIGUSR2, NULL, &sa);
    printf("detector mapped: %s\n", mapped("libtaskleak.so") ? "yes" : "no");
    printf("SIGUSR2 handler: %s\n", sa.sa_handler == SIG_DFL ? "default" : "installed");
    pthread_t t;
    pthread_mutex_lock(&g_held);
    pthread_create(&t, NULL, blocked_forever, NULL);
    /* A live detector started its watchdog before pthread_create returned; the thread waits. */
    await_blocked(&g_blocked, SYS_futex);
    printf("threads: %d\n", count_threads());
    fflush(stdout);
    return 0;
}
