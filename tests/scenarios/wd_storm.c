/* Watchdog scenario: a storm of dump signals while threads hammer a contended mutex.
 *
 * Four workers lock and unlock one mutex 200000 times each (so they sit in the detector's
 * wrappers) while main sends itself 10000 SIGUSR2. The handler only wakes the watchdog, so the
 * program must finish with the right total, no deadlock, and the requests coalesced into a few
 * dumps rather than 10000.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "wd_common.h"

#define WORKERS 4
#define ROUNDS  200000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        total++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 10000; i++)
        kill(getpid(), SIGUSR2);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    if (wd_await_report(getpid(), "dump-1", 30) != 0) /* the watchdog writes dumps: wait for one */
        return 2;
    printf("total %ld\n", total);
    return total == (long)WORKERS * ROUNDS ? 0 : 1;
}
