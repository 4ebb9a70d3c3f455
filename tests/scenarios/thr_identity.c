/* Who the program is and where it started, as reports must tell it whatever the program does
 * before it exits. Each mode leaves one worker thread unjoined, so the exit gate writes its text
 * report and fails the run (status 76).
 *
 *   thr_identity chdir DIR   moves to DIR before exiting: the reports still go where the
 *                            relative report= and log= pointed when the program started
 *   thr_identity wait DIR    moves to DIR, prints "ready" and waits for its standard input to
 *                            close (for `taskleak dump`, run from yet another directory)
 *   thr_identity owner       main holds a mutex a second worker waits for, and exits holding it:
 *                            the exit report names the waiter's owner, thread:1 (the thread
 *                            running the gate, itself left out of the report)
 *   thr_identity title       rewrites its argv strings in place (setproctitle style) to
 *                            "rewritten-title": the report still names argv as started
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sem_t done;

static __attribute__((noipa)) void *identity_worker(void *arg)
{
    (void)arg;
    sem_post(&done);
    return NULL;
}

/* Writes over the whole argv block, as setproctitle does: argv[0] .. the end of the last
 * argument, then the new title at its start. */
static void rewrite_title(int argc, char **argv)
{
    char *end = argv[argc - 1] + strlen(argv[argc - 1]);
    memset(argv[0], 0, (size_t)(end - argv[0]));
    snprintf(argv[0], (size_t)(end - argv[0]) + 1, "%s", "rewritten-title");
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noipa)) void *lock_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    sem_init(&done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, identity_worker, NULL);
    while (sem_wait(&done) != 0)
        ;
    bool wait = strcmp(mode, "wait") == 0;
    if ((wait || strcmp(mode, "chdir") == 0) && (argc < 3 || chdir(argv[2]) != 0)) {
        perror("thr_identity: chdir");
        return 2;
    }
    if (strcmp(mode, "owner") == 0) {
        pthread_t w;
        pthread_mutex_lock(&held); /* never unlocked: the gate sees the waiter stuck on it */
        pthread_create(&w, NULL, lock_waiter, NULL);
    }
    if (strcmp(mode, "title") == 0)
        rewrite_title(argc, argv);
    if (wait) {
        printf("ready\n");
        fflush(stdout);
        for (char c; read(0, &c, 1) > 0;)
            ;
    }
    printf("identity done\n");
    return 0;
}
