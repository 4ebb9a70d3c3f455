/*
 * Results and errno of wrapped calls (reliability cases 29-32). The test runs each mode with and
 * without the detector and compares stdout byte for byte, then checks a few lines by value.
 *
 *   table      one line per call: name, return value, errno name (errno is preset to a marker,
 *              so a success that clobbers errno shows)
 *   eintr      an app handler without SA_RESTART interrupts read/sem_wait/nanosleep/poll;
 *              with SA_RESTART interrupts read and sem_wait (sem_wait still fails: man 7 signal)
 *   dumpsig    (detector only) our dump signal hits a thread blocked in read and cond wait: the
 *              read completes and the app sees no EINTR
 *   sempost N  an app SIGUSR1 handler does sem_post N times while main loops in wrappers
 *   cancel     pthread_cancel in cond wait, sem_wait, join, read and nanosleep: cleanup runs,
 *              the mutex is free again
 *   syscall    syscall() with every futex operation's argument count and a six-argument mmap:
 *              each argument an operation reads reaches the kernel (case 10)
 *   relock     (detector only) a thread cancelled in a cond wait blocks again in its cleanup, on a
 *              mutex main holds; main dumps meanwhile (case 32: the cancelled wait is over)
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>

#include "taskleak.h"
#include "../../scenarios/await_common.h"

#define MARK 4242

static const char *ename(int e)
{
    switch (e) {
    case 0:
        return "0";
    case MARK:
        return "untouched";
    case EINTR:
        return "EINTR";
    case EAGAIN:
        return "EAGAIN";
    case EINVAL:
        return "EINVAL";
    case EBADF:
        return "EBADF";
    case ETIMEDOUT:
        return "ETIMEDOUT";
    case EDEADLK:
        return "EDEADLK";
    case ENOTSOCK:
        return "ENOTSOCK";
    case EBUSY:
        return "EBUSY";
    case ENOSYS:
        return "ENOSYS";
    case EPERM:
        return "EPERM";
    case ESRCH:
        return "ESRCH";
    default:
        return "other";
    }
}

static void row(const char *what, long ret, int err)
{
    printf("%-28s ret=%-4ld errno=%s\n", what, ret, ename(err));
}

#define ROW(what, call)                                                                            \
    do {                                                                                           \
        errno = MARK;                                                                              \
        long ret_ = (long)(call);                                                                  \
        row(what, ret_, errno);                                                                    \
    } while (0)

static struct timespec past_on(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec -= 1;
    return t;
}

static struct timespec past(void)
{
    return past_on(CLOCK_REALTIME);
}

static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t g_rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t g_gate;  /* the lock holder -> main: "I hold them" */
static sem_t g_leave; /* main -> the lock holder: "release them" */

static void *hold_locks(void *arg)
{
    pthread_mutex_lock(&g_held);
    pthread_rwlock_wrlock(&g_rw);
    sem_post(&g_gate);
    sem_wait(&g_leave);
    pthread_rwlock_unlock(&g_rw);
    pthread_mutex_unlock(&g_held);
    return arg;
}

static void table_locks(void)
{
    pthread_t t;
    struct timespec p = past(), mp = past_on(CLOCK_MONOTONIC);
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    sem_init(&g_gate, 0, 0);
    sem_init(&g_leave, 0, 0);
    pthread_create(&t, NULL, hold_locks, NULL);
    sem_wait(&g_gate);
    ROW("mutex_timedlock held", pthread_mutex_timedlock(&g_held, &p));
    ROW("mutex_clocklock held", pthread_mutex_clocklock(&g_held, CLOCK_MONOTONIC, &mp));
    ROW("rwlock_timedrdlock held", pthread_rwlock_timedrdlock(&g_rw, &p));
    ROW("rwlock_timedwrlock held", pthread_rwlock_timedwrlock(&g_rw, &p));
    ROW("timedjoin_np running", pthread_timedjoin_np(t, NULL, &p));
    pthread_mutex_lock(&m);
    ROW("cond_timedwait past", pthread_cond_timedwait(&c, &m, &p));
    ROW("cond_clockwait past", pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &mp));
    pthread_mutex_unlock(&m);
    ROW("mutex_lock free", pthread_mutex_lock(&m));
    pthread_mutex_unlock(&m);
    sem_post(&g_leave);
    ROW("join", pthread_join(t, NULL));
    ROW("join self", pthread_join(pthread_self(), NULL));
}

static void table_sems(void)
{
    sem_t s;
    struct timespec p = past(), mp = past_on(CLOCK_MONOTONIC);
    struct timespec bad = {0, 2000000000L};
    sem_init(&s, 0, 1);
    ROW("sem_wait value 1", sem_wait(&s));
    ROW("sem_timedwait ETIMEDOUT", sem_timedwait(&s, &p));
    ROW("sem_timedwait bad nsec", sem_timedwait(&s, &bad));
    ROW("sem_clockwait ETIMEDOUT", sem_clockwait(&s, CLOCK_MONOTONIC, &mp));
    sem_post(&s);
    ROW("sem_timedwait value 1", sem_timedwait(&s, &p));
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 1);
    ROW("barrier_wait count 1", pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD);
    mtx_t cm;
    cnd_t cc;
    mtx_init(&cm, mtx_timed);
    cnd_init(&cc);
    mtx_lock(&cm);
    ROW("cnd_timedwait thrd_timedout", cnd_timedwait(&cc, &cm, &p) == thrd_timedout);
    mtx_unlock(&cm);
}

static void table_io(void)
{
    int fds[2];
    char buf[8];
    struct timespec bad = {0, -1};
    struct timespec zero = {0, 0};
    sigset_t none;
    unsigned int word = 1;
    sigemptyset(&none);
    sigaddset(&none, SIGUSR1);
    pipe(fds);
    write(fds[1], "abc", 3);
    ROW("read pipe data", read(fds[0], buf, sizeof buf));
    ROW("read bad fd", read(-1, buf, sizeof buf));
    ROW("recv not a socket", recv(fds[0], buf, sizeof buf, MSG_DONTWAIT));
    ROW("recvfrom bad fd", recvfrom(-1, buf, sizeof buf, 0, NULL, NULL));
    ROW("accept bad fd", accept(-1, NULL, NULL));
    ROW("accept4 not a socket", accept4(fds[0], NULL, NULL, 0));
    ROW("poll nothing", poll(NULL, 0, 0));
    ROW("select bad nfds", select(-1, NULL, NULL, NULL, NULL));
    struct epoll_event ev;
    ROW("epoll_wait bad fd", epoll_wait(-1, &ev, 1, 0));
    ROW("nanosleep bad nsec", nanosleep(&bad, NULL));
    ROW("clock_nanosleep bad clock", clock_nanosleep(12345, 0, &zero, NULL));
    ROW("usleep 0", usleep(0));
    ROW("sleep 0", sleep(0));
    ROW("sigtimedwait zero", sigtimedwait(&none, NULL, &zero));
    ROW("futex wait wrong value", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0));
    ROW("futex bad op", syscall(SYS_futex, &word, 99, 0, NULL, NULL, 0));
    ROW("futex wake none", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    ROW("syscall getpid matches", syscall(SYS_getpid) == getpid());
    ROW("syscall bad number", syscall(100000));
    close(fds[0]);
    close(fds[1]);
}

/* ---- eintr ---- */
static volatile sig_atomic_t g_hits;
static void on_usr1(int sig)
{
    (void)sig;
    g_hits++;
}

struct poke {
    pthread_t target;
    _Atomic pid_t tid; /* the target, published just before its call */
    long nr;           /* the system call the target sleeps in during that call */
    int wfd;           /* write end to feed after the signal, -1 for none */
    sem_t *sem;        /* posted after the signal, NULL for none */
};

/* Signals the target once it sleeps in its call, then, once the handler has run (the call was
 * interrupted by then), feeds what would complete the call. */
static void *poke_later(void *arg)
{
    struct poke *p = arg;
    await_blocked(&p->tid, p->nr);
    int hits = g_hits;
    pthread_kill(p->target, SIGUSR1);
    for (int ms = 0; g_hits == hits && ms < AWAIT_LIMIT_MS; ms++)
        await_tick();
    if (p->wfd >= 0)
        write(p->wfd, "x", 1);
    if (p->sem)
        sem_post(p->sem);
    return NULL;
}

static void interrupt(const char *what, int restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    int fds[2];
    pipe(fds);
    char buf[4];
    sem_t s;
    sem_init(&s, 0, 0);
    long nr = strcmp(what, "read") == 0        ? SYS_read
              : strcmp(what, "sem_wait") == 0  ? SYS_futex
              : strcmp(what, "nanosleep") == 0 ? SYS_clock_nanosleep
                                               : SYS_poll;
    struct poke p = {pthread_self(), 0, nr, fds[1], &s};
    pthread_t t;
    pthread_create(&t, NULL, poke_later, &p);
    /* Long enough never to end before the signal: the signal ends nanosleep and poll. */
    struct timespec ts = {30, 0};
    struct pollfd pf = {fds[0], POLLIN, 0};
    char name[64];
    snprintf(name, sizeof name, "%s %s", what, restart ? "restart" : "norestart");
    await_publish(&p.tid);
    if (strcmp(what, "read") == 0)
        ROW(name, read(fds[0], buf, 1));
    else if (strcmp(what, "sem_wait") == 0)
        ROW(name, sem_wait(&s));
    else if (strcmp(what, "nanosleep") == 0)
        ROW(name, nanosleep(&ts, NULL));
    else
        ROW(name, poll(&pf, 1, 30000));
    pthread_join(t, NULL);
    close(fds[0]);
    close(fds[1]);
}

static int eintr(void)
{
    static const char *const calls[] = {"read", "sem_wait", "nanosleep", "poll"};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 4; i++)
            interrupt(calls[i], r);
    printf("handler ran %d times\n", (int)g_hits);
    return 0;
}

/* ---- dumpsig: our signal must not surface as EINTR ---- */
static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_c = PTHREAD_COND_INITIALIZER;
static int g_flag;
static _Atomic pid_t g_waiter;

static void *cond_waiter(void *arg)
{
    pthread_mutex_lock(&g_m);
    await_publish(&g_waiter);
    while (!g_flag)
        pthread_cond_wait(&g_c, &g_m);
    pthread_mutex_unlock(&g_m);
    return arg;
}

static int dumpsig(void)
{
    int fds[2];
    pthread_t w;
    pipe(fds);
    pthread_create(&w, NULL, cond_waiter, NULL);
    await_blocked(&g_waiter, SYS_futex);
    pid_t self = getpid();
    if (fork() == 0) { /* a separate process sends the storm so main sits in read() */
        for (int ms = 0; ms < AWAIT_LIMIT_MS && await_task_syscall(self, self) != SYS_read; ms++)
            await_tick();
        for (int i = 0; i < 20; i++) {
            usleep(10000); /* not for ordering: apart, the signals are not merged into one */
            kill(self, SIGUSR2);
        }
        write(fds[1], "done", 4);
        _exit(0);
    }
    close(fds[1]);
    char buf[8];
    ROW("read across dump signals", read(fds[0], buf, 4));
    pthread_mutex_lock(&g_m);
    g_flag = 1;
    pthread_cond_broadcast(&g_c);
    pthread_mutex_unlock(&g_m);
    ROW("join cond waiter", pthread_join(w, NULL));
    return 0;
}

/* ---- sempost from a handler ---- */
static sem_t g_posts, g_ack;
static volatile sig_atomic_t g_finished;
static void post_twice(int sig)
{
    (void)sig;
    sem_post(&g_posts);
    sem_post(&g_ack);
}

static void *signaller(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        kill(getpid(), SIGUSR1);
        while (sem_wait(&g_ack) != 0 && errno == EINTR) {
        }
    }
    g_finished = 1;
    return NULL;
}

static int sempost(long n)
{
    struct sigaction sa;
    sigset_t s;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = post_twice;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sem_init(&g_posts, 0, 0);
    sem_init(&g_ack, 0, 0);
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_t t;
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* only main takes the signal */
    pthread_create(&t, NULL, signaller, (void *)n);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    long got = 0;
    while (!g_finished || got < n) { /* main lives in wrappers while the handler posts */
        pthread_mutex_lock(&g_m);
        pthread_mutex_unlock(&g_m);
        if (sem_trywait(&g_posts) == 0)
            got++;
    }
    pthread_join(t, NULL);
    printf("posted %ld of %ld\n", got, n);
    return 0;
}

/* ---- cancel ---- */
static sem_t g_zero;
static int g_cleanups;
static pthread_t g_sleeper;

static void count_cleanup(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&g_cleanups, 1, __ATOMIC_SEQ_CST);
}

static void unlock_cleanup(void *arg)
{
    pthread_mutex_unlock(arg);
    count_cleanup(NULL);
}

static _Atomic pid_t g_target; /* cancel_target, just before its wait */

static void *cancel_target(void *arg)
{
    const char *what = arg;
    int fds[2];
    char buf[1];
    struct timespec ts = {60, 0};
    pthread_cleanup_push(count_cleanup, NULL);
    if (strcmp(what, "cond wait") == 0) {
        pthread_mutex_lock(&g_m);
        pthread_cleanup_push(unlock_cleanup, &g_m);
        await_publish(&g_target);
        for (;;)
            pthread_cond_wait(&g_c, &g_m);
        pthread_cleanup_pop(0);
    } else if (strcmp(what, "sem_wait") == 0) {
        await_publish(&g_target);
        sem_wait(&g_zero);
    } else if (strcmp(what, "join") == 0) {
        await_publish(&g_target);
        pthread_join(g_sleeper, NULL);
    } else if (strcmp(what, "read") == 0) {
        pipe(fds);
        await_publish(&g_target);
        read(fds[0], buf, 1);
    } else {
        await_publish(&g_target);
        nanosleep(&ts, NULL);
    }
    pthread_cleanup_pop(0);
    return NULL;
}

static void *sleep_long(void *arg)
{
    sleep(60);
    return arg;
}

static int cancel_all(void)
{
    static const char *const waits[] = {"cond wait", "sem_wait", "join", "read", "nanosleep"};
    static const long calls[] = {SYS_futex, SYS_futex, SYS_futex, SYS_read, SYS_clock_nanosleep};
    sem_init(&g_zero, 0, 0);
    pthread_create(&g_sleeper, NULL, sleep_long, NULL);
    for (int i = 0; i < 5; i++) {
        pthread_t t;
        void *res = NULL;
        int before = g_cleanups;
        atomic_store(&g_target, 0);
        pthread_create(&t, NULL, cancel_target, (void *)waits[i]);
        await_blocked(&g_target, calls[i]); /* canceled inside the wait, not before it */
        pthread_cancel(t);
        pthread_join(t, &res);
        int lockable = pthread_mutex_trylock(&g_m) == 0;
        if (lockable)
            pthread_mutex_unlock(&g_m);
        printf("cancel in %s: canceled=%d cleanups=%d mutex_free=%d\n", waits[i],
               res == PTHREAD_CANCELED, g_cleanups - before, lockable);
    }
    pthread_cancel(g_sleeper);
    pthread_join(g_sleeper, NULL);
    return 0;
}

/* ---- syscall ---- */
static int g_bits_word;
static _Atomic pid_t g_parker;

static void *park_on_bit_2(void *arg)
{
    await_publish(&g_parker);
    syscall(SYS_futex, &g_bits_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0x2);
    return arg;
}

static int syscall_args(void)
{
    int word = 0, word2 = 0;
    struct timespec soon;
    clock_gettime(CLOCK_MONOTONIC, &soon); /* FUTEX_WAIT_BITSET takes an absolute time */
    soon.tv_nsec += 1000000;
    if (soon.tv_nsec >= 1000000000) {
        soon.tv_sec++;
        soon.tv_nsec -= 1000000000;
    }
    /* val3, the sixth argument, on the caller's stack: bitset 0 is refused, ~0 waits */
    ROW("wait_bitset bitset 0",
        syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, &soon, NULL, 0));
    ROW("wait_bitset times out",
        syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, &soon, NULL, ~0));
    ROW("wake_bitset bitset 0",
        syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));
    pthread_t t;
    pthread_create(&t, NULL, park_on_bit_2, NULL);
    await_blocked(&g_parker, SYS_futex); /* parked: a wake for another bit must pass it by */
    ROW("wake_bitset other bit",
        syscall(SYS_futex, &g_bits_word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x1));
    int woken =
        (int)syscall(SYS_futex, &g_bits_word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x2);
    pthread_join(t, NULL);
    row("wake_bitset its bit", woken, 0);
    ROW("wake_op", syscall(SYS_futex, &word, FUTEX_WAKE_OP_PRIVATE, 1, 1, &word2,
                           FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0)));
    row("wake_op stored", word2, 0);
    ROW("cmp_requeue mismatch",
        syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &word2, 99));
    ROW("lock_pi2 free word", syscall(SYS_futex, &word, FUTEX_LOCK_PI2_PRIVATE, 0, NULL));
    ROW("unlock_pi not owner", syscall(SYS_futex, &word2, FUTEX_UNLOCK_PI_PRIVATE));
    ROW("mmap offset 1",
        syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));
    long p = syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    row("mmap offset 0 maps", p != -1, 0);
    return 0;
}

/* ---- relock ---- */
static pthread_mutex_t g_relock = PTHREAD_MUTEX_INITIALIZER;

static void unlock_then_relock(void *arg)
{
    pthread_mutex_unlock(arg);
    pthread_mutex_lock(&g_relock); /* main holds it until it has dumped */
    pthread_mutex_unlock(&g_relock);
}

static void *relock_target(void *arg)
{
    pthread_mutex_lock(&g_m);
    pthread_cleanup_push(unlock_then_relock, &g_m);
    await_publish(&g_target);
    for (;;)
        pthread_cond_wait(&g_c, &g_m);
    pthread_cleanup_pop(0);
    return arg;
}

static int relock(void)
{
    pthread_t t;
    void *res = NULL;
    pthread_mutex_lock(&g_relock);
    atomic_store(&g_target, 0);
    pthread_create(&t, NULL, relock_target, NULL);
    await_blocked(&g_target, SYS_futex); /* in pthread_cond_wait */
    pthread_cancel(t);
    /* glibc marks a mutex word 2 once a locker sleeps on it: the cleanup is inside its relock */
    while (__atomic_load_n(&g_relock.__data.__lock, __ATOMIC_ACQUIRE) != 2)
        await_tick();
    taskleak_dump();
    pthread_mutex_unlock(&g_relock);
    pthread_join(t, &res);
    printf("relock: canceled=%d\n", res == PTHREAD_CANCELED);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "table";
    if (strcmp(m, "table") == 0) {
        table_locks();
        table_sems();
        table_io();
        return 0;
    }
    if (strcmp(m, "eintr") == 0)
        return eintr();
    if (strcmp(m, "dumpsig") == 0)
        return dumpsig();
    if (strcmp(m, "sempost") == 0)
        return sempost(argc > 2 ? atol(argv[2]) : 100000);
    if (strcmp(m, "cancel") == 0)
        return cancel_all();
    if (strcmp(m, "syscall") == 0)
        return syscall_args();
    if (strcmp(m, "relock") == 0)
        return relock();
    return 2;
}
