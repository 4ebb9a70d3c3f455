/* fork with a leak only in the child: the parent forks; the child starts a thread that waits on
 * a condition forever and exits; the parent waits for the child and exits cleanly.
 * Expected: the parent's exit report has nothing; the child's (its own pid) has 1 leaked thread
 * (reason "cond wait", child_waiter blocked, run_child creating it). Any argument: the child
 * releases and joins its thread (the correct twin: both reports clean). The parent exits with
 * the child's status so the test sees the child's gate. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool go;

static __attribute__((noipa)) void *child_waiter(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&cv, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static __attribute__((noipa)) int run_child(bool fixed)
{
    pthread_t t;
    pthread_create(&t, NULL, child_waiter, NULL);
    if (fixed) {
        pthread_mutex_lock(&lock);
        go = true;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
    }
    printf("child %d done\n", (int)getpid());
    return 0;
}

int main(int argc, char **argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0)
        exit(run_child(argc > 1));
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent done, child pid %d status %d\n", (int)pid, WEXITSTATUS(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
