/* Transparency: the detector must not change return values, errno or EINTR behaviour. Every
 * check prints "FAIL <what>: got ..., want ..." when it differs and the program exits 1; all
 * good prints "all transparent" and exits 0. The test runs it with and without the detector. */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t holder_go, holder_ready;

static void expect(const char *what, long got, long want, int got_errno, int want_errno)
{
    if (got != want || got_errno != want_errno) {
        printf("FAIL %s: got %ld errno %d (%s), want %ld errno %d\n", what, got, got_errno,
               strerror(got_errno), want, want_errno);
        failures++;
    }
}

/* The call is evaluated before errno is read (function arguments have no order). */
#define EXPECT_E(what, call, want, want_errno)                                                     \
    do {                                                                                           \
        long rc_ = (long)(call);                                                                   \
        int e_ = errno;                                                                            \
        expect(what, rc_, want, e_, want_errno);                                                   \
    } while (0)
#define EXPECT(what, call, want) EXPECT_E(what, call, want, errno)

static struct timespec in_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += (ms % 1000) * 1000000;
    t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000;
    t.tv_nsec %= 1000000000;
    return t;
}

static void *holder(void *arg)
{
    pthread_mutex_lock(&held);
    pthread_rwlock_wrlock(&rw);
    sem_post(&holder_ready);
    sem_wait(&holder_go);
    pthread_rwlock_unlock(&rw);
    pthread_mutex_unlock(&held);
    return arg;
}

static void check_locks(void)
{
    errno = 1234;
    EXPECT_E("trylock on a held mutex", pthread_mutex_trylock(&held), EBUSY, 1234);
    struct timespec t = in_ms(30);
    errno = 1234;
    EXPECT_E("timedlock on a held mutex", pthread_mutex_timedlock(&held, &t), ETIMEDOUT, 1234);
    pthread_mutexattr_t a;
    pthread_mutex_t ec;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&ec, &a);
    pthread_mutex_lock(&ec);
    EXPECT("errorcheck self-relock", pthread_mutex_lock(&ec), EDEADLK);
    pthread_mutex_unlock(&ec);
    errno = 77;
    EXPECT_E("uncontended lock keeps errno", pthread_mutex_lock(&ec), 0, 77);
    pthread_mutex_unlock(&ec);
    EXPECT("tryrdlock on a written rwlock", pthread_rwlock_tryrdlock(&rw), EBUSY);
    t = in_ms(30);
    EXPECT("timedrdlock on a written rwlock", pthread_rwlock_timedrdlock(&rw, &t), ETIMEDOUT);
}

static void check_waits(void)
{
    sem_t s;
    sem_init(&s, 0, 0);
    errno = 0;
    EXPECT_E("sem_trywait on zero", sem_trywait(&s), -1, EAGAIN);
    struct timespec t = in_ms(20);
    errno = 0;
    EXPECT_E("sem_timedwait times out", sem_timedwait(&s, &t), -1, ETIMEDOUT);
    t.tv_nsec = 2000000000;
    errno = 0;
    EXPECT_E("sem_timedwait bad timeout", sem_timedwait(&s, &t), -1, EINVAL);
    sem_post(&s);
    errno = 55;
    EXPECT_E("sem_wait available keeps errno", sem_wait(&s), 0, 55);
    EXPECT("self-join", pthread_join(pthread_self(), NULL), EDEADLK);
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    t = in_ms(20);
    EXPECT("cond_timedwait times out", pthread_cond_timedwait(&c, &m, &t), ETIMEDOUT);
    pthread_mutex_unlock(&m);
    int word = 0;
    errno = 0;
    EXPECT_E("futex wait on a changed word",
             syscall(SYS_futex, &word, FUTEX_WAIT, 1, NULL, NULL, 0), -1, EAGAIN);
    struct timespec bad = {0, -1};
    errno = 0;
    EXPECT_E("nanosleep bad request", nanosleep(&bad, NULL), -1, EINVAL);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void check_eintr(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: read must fail with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[8];
    errno = 0;
    EXPECT_E("read interrupted by a handler", read(fds[0], buf, sizeof buf), -1, EINTR);
    struct pollfd p = {fds[0], POLLIN, 0};
    EXPECT("poll with a timeout on an empty pipe", poll(&p, 1, 10), 0);
    write(fds[1], "x", 1);
    EXPECT("read with data ready", read(fds[0], buf, sizeof buf), 1);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    pthread_t h;
    sem_init(&holder_go, 0, 0);
    sem_init(&holder_ready, 0, 0);
    pthread_create(&h, NULL, holder, NULL);
    sem_wait(&holder_ready);
    check_locks();
    sem_post(&holder_go);
    pthread_join(h, NULL);
    check_waits();
    check_eintr();
    if (failures == 0)
        printf("all transparent\n");
    return failures ? 1 : 0;
}
