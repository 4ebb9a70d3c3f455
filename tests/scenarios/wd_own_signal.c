/* Watchdog scenario: a program that owns SIGUSR2 keeps it.
 *
 * argv[1] chooses how the program installs its handler: "sigaction" or "signal". It then starts a
 * thread (so the watchdog exists), sends itself SIGUSR2 three times, and checks its handler ran
 * three times. The detector must step aside (no dump report) and say so once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int sig)
{
    (void)sig;
    handled++;
}

static void *idle(void *arg)
{
    (void)arg;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "signal") == 0) {
        signal(SIGUSR2, on_usr2);
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr2;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR2, &sa, NULL);
    }
    pthread_t t;
    pthread_create(&t, NULL, idle, NULL);
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++)
        raise(SIGUSR2);
    usleep(300000); /* a dump, wrongly triggered, would have time to appear */
    printf("handled %d\n", (int)handled);
    return handled == 3 ? 0 : 1;
}
