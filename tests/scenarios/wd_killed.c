/* Watchdog scenario: a process killed with SIGKILL while its watchdog keeps rewriting its report.
 *
 * One thread stays blocked on a mutex held by main (a finding that never goes away); churners
 * block on a second mutex for a little longer than the threshold and then move on, over and
 * over, so the watchdog's findings change (and its report is rewritten) several times a second.
 * The program never ends by itself: the test's timeout SIGKILLs it, and the last watchdog report
 * on disk must still be whole, valid JSON.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

static pthread_mutex_t stuck = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t churn = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *blocked_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stuck);
    return NULL;
}

static __attribute__((noinline)) void *churner(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&churn);
        /* not for ordering: the holds are the case, past the threshold */
        usleep((useconds_t)(uintptr_t)arg);
        pthread_mutex_unlock(&churn);
        usleep(1000);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&stuck);
    pthread_create(&t, NULL, blocked_forever, NULL);
    for (uintptr_t i = 0; i < 3; i++)
        pthread_create(&t, NULL, churner, (void *)(250000 + 50000 * i));
    for (;;)
        pause();
}
