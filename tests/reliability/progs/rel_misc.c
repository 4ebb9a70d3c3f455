/*
 * Hosts that are unusual in one way each (reliability cases 7, 11, 13, 42, 44, 46, 49). The first
 * argument picks the case:
 *
 *   c11_ok          C11 threads, mutex and condition used correctly
 *   c11_abba        two C11 threads lock two mtx_t in opposite orders and deadlock
 *   foreign         raw clone(CLONE_VM), glibc aio and a SIGEV_THREAD timer, all finishing
 *   dlopen LIB      (run without LD_PRELOAD) two threads exist, then LIB is dlopened and asked
 *                   for a check; the threads are released and joined
 *   small_stack     a thread with a PTHREAD_STACK_MIN stack blocks in several wrappers and
 *                   creates a thread; main dumps while it is blocked
 *   single          no threads: prints the task count and __libc_single_threaded
 *   plant           plants a symlink to a victim file and a FIFO at this process's report names
 *   closed_std      closes fds 0-2, then opens an app file (gets fd 0) and leaks a thread
 *   close_range     leaks a thread, then closes every fd from 3 up
 *   thread_exits    four threads end by return / deep pthread_exit, joined / detached
 *   many_stacks     1000 parked threads are dumped; fd count before and after the dump
 *   cond_owner      A re-acquires M inside pthread_cond_wait, then wants N; B holds N, wants M
 *   sigwait         SIGUSR2 (our dump signal) blocked everywhere; a thread takes it with sigwait
 *   deepbind LIB    dlopens LIB with RTLD_DEEPBIND and runs its plugin_run()
 *   no_cfi          a thread blocks in sem_wait below an asm frame without unwind info; main
 *                   dumps it, then releases it
 *   load_race LIB   one thread dlopens/dlcloses LIB (its constructor locks and creates a thread)
 *                   2000 times while two others create and join threads
 */
#include <aio.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "taskleak.h"
#include "../../scenarios/await_common.h"

static mtx_t g_a, g_b;
static cnd_t g_cv;
static int g_flag;
static sem_t g_sem;
static pthread_barrier_t g_both_hold; /* c11_abba: both threads hold their first lock */
static _Atomic pid_t g_tids[2];       /* threads a case waits for, before their blocking call */

static int c11_worker(void *arg)
{
    mtx_lock(&g_a);
    g_flag = 1;
    cnd_signal(&g_cv);
    mtx_unlock(&g_a);
    return (int)(long)arg;
}

static int c11_ok(void)
{
    thrd_t t;
    int res = -1;
    mtx_init(&g_a, mtx_plain);
    cnd_init(&g_cv);
    thrd_create(&t, c11_worker, (void *)7L);
    mtx_lock(&g_a);
    while (!g_flag)
        cnd_wait(&g_cv, &g_a);
    mtx_unlock(&g_a);
    thrd_join(t, &res);
    printf("c11 joined %d\n", res);
    return 0;
}

static int lock_ab(void *arg)
{
    mtx_t *first = arg ? &g_b : &g_a, *second = arg ? &g_a : &g_b;
    mtx_lock(first);
    /* both hold their first lock before either takes the second */
    pthread_barrier_wait(&g_both_hold);
    await_publish(&g_tids[arg ? 1 : 0]);
    mtx_lock(second);
    return 0;
}

static int c11_abba(void)
{
    thrd_t t1, t2;
    mtx_init(&g_a, mtx_plain);
    mtx_init(&g_b, mtx_plain);
    pthread_barrier_init(&g_both_hold, NULL, 2);
    thrd_create(&t1, lock_ab, NULL);
    thrd_create(&t2, lock_ab, (void *)1L);
    thrd_detach(t1);
    thrd_detach(t2);
    for (int i = 0; i < 2; i++) /* the cycle is closed: each waits for the other's lock */
        await_blocked(&g_tids[i], SYS_futex);
    printf("c11 abba set up\n");
    return 0;
}

static int clone_child(void *arg)
{
    *(volatile int *)arg = 42;
    return 0;
}

static void timer_fired(union sigval v)
{
    sem_post(v.sival_ptr);
}

static int foreign(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    volatile int shared = 0;
    int st = -1;
    pid_t p = clone(clone_child, stack + sizeof stack, CLONE_VM | SIGCHLD, (void *)&shared);
    waitpid(p, &st, 0);
    printf("clone shared=%d status=%d\n", shared, WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    char path[] = "/tmp/rel_aio_XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    struct aiocb cb;
    memset(&cb, 0, sizeof cb);
    cb.aio_fildes = fd;
    static char payload[] = "aio payload";
    cb.aio_buf = payload;
    cb.aio_nbytes = 11;
    const struct aiocb *list[] = {&cb};
    aio_write(&cb);
    aio_suspend(list, 1, NULL);
    printf("aio wrote %zd\n", aio_return(&cb));
    close(fd);

    sem_t fired;
    sem_init(&fired, 0, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = timer_fired;
    ev.sigev_value.sival_ptr = &fired;
    timer_t tm;
    timer_create(CLOCK_MONOTONIC, &ev, &tm);
    struct itimerspec its = {{0, 20000000}, {0, 20000000}};
    timer_settime(tm, 0, &its, NULL);
    for (int i = 0; i < 3; i++)
        sem_wait(&fired);
    timer_delete(tm);
    printf("timer fired 3\n");
    return 0;
}

/* Parks in sem_wait until posted; arg, when not NULL, is where it publishes its tid first. */
static void *wait_flag(void *arg)
{
    if (arg != NULL)
        await_publish(arg);
    sem_wait(&g_sem);
    return NULL;
}

static int dlopen_late(const char *lib)
{
    pthread_t t[2];
    sem_init(&g_sem, 0, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, wait_flag, &g_tids[i]);
    for (int i = 0; i < 2; i++) /* both run, parked, before the detector arrives */
        await_blocked(&g_tids[i], SYS_futex);
    void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*active)(void) = (int (*)(void))dlsym(h, "taskleak_active");
    int (*check)(void) = (int (*)(void))dlsym(h, "taskleak_check");
    printf("active %d\n", active ? active() : -1);
    printf("check returned %d\n", check ? check() : -1);
    sem_post(&g_sem);
    sem_post(&g_sem);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("joined\n");
    return 0;
}

static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t g_on_held, g_on_sem; /* small_stack's worker, before each wait */

static void *nested(void *arg)
{
    return arg;
}

static void *small_worker(void *arg)
{
    pthread_t t;
    struct timespec ts = {0, 1000000};
    await_publish(&g_on_held);
    pthread_mutex_lock(&g_held); /* main holds it: contended path */
    pthread_mutex_unlock(&g_held);
    nanosleep(&ts, NULL); /* not for ordering: one more blocking wrapper on the small stack */
    pthread_create(&t, NULL, nested, NULL);
    pthread_join(t, NULL);
    await_publish(&g_on_sem);
    sem_wait(&g_sem); /* blocked here while main dumps */
    return arg;
}

static int small_stack(void)
{
    pthread_attr_t a;
    pthread_t t;
    sem_init(&g_sem, 0, 0);
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
    pthread_mutex_lock(&g_held);
    if (pthread_create(&t, &a, small_worker, NULL) != 0)
        return 3;
    await_blocked(&g_on_held, SYS_futex);
    pthread_mutex_unlock(&g_held);
    await_blocked(&g_on_sem, SYS_futex);
    taskleak_dump(); /* written before it returns, while the worker is parked */
    sem_post(&g_sem);
    pthread_join(t, NULL);
    printf("small stack %ld ok\n", (long)PTHREAD_STACK_MIN);
    return 0;
}

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int single(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec ts = {0, 1000000};
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    /* not for ordering: a blocking wrapper must not start a watchdog either */
    nanosleep(&ts, NULL);
    printf("tasks %d single_threaded %d\n", count_tasks(), (int)__libc_single_threaded);
    return 0;
}

/* The report directory from TASKLEAK_OPTIONS (report=DIR is last: the harness appends it). */
static const char *report_dir(void)
{
    const char *o = getenv("TASKLEAK_OPTIONS");
    const char *r = o ? strstr(o, "report=") : NULL;
    return r ? r + 7 : NULL;
}

static void leak_thread(void)
{
    pthread_t t;
    sem_init(&g_sem, 0, 0);
    pthread_create(&t, NULL, wait_flag, NULL);
    pthread_detach(t);
}

static int plant(void)
{
    const char *dir = report_dir();
    char victim[PATH_MAX], link[PATH_MAX], fifo[PATH_MAX];
    if (!dir)
        return 2;
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    snprintf(link, sizeof link, "%s/taskleak.%d.exit.json", dir, (int)getpid());
    snprintf(fifo, sizeof fifo, "%s/taskleak.%d.check-1.json", dir, (int)getpid());
    FILE *f = fopen(victim, "w");
    fputs("precious\n", f);
    fclose(f);
    if (symlink(victim, link) != 0 || mkfifo(fifo, 0600) != 0)
        return 2;
    leak_thread();
    printf("check %d\n", taskleak_check());
    return 0;
}

static int closed_std(const char *appfile)
{
    close(0);
    close(1);
    close(2);
    int fd = open(appfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    leak_thread();
    taskleak_dump();
    dprintf(fd, "app fd %d\n", fd);
    return 0;
}

static int closing_range(void)
{
    leak_thread();
    taskleak_dump();
    syscall(SYS_close_range, 3U, ~0U, 0);
    printf("closed 3..max\n");
    return 0;
}

static int exit_deep(int depth)
{
    if (depth > 64) /* never: callers pass 8; gives the function a way back */
        return 0;
    if (depth == 0)
        pthread_exit(NULL);
    return exit_deep(depth - 1) + 1; /* not a tail call: the frames stay */
}

static void *end_thread(void *arg)
{
    await_publish(&g_tids[0]);
    if (arg)
        exit_deep(8);
    return NULL;
}

static int thread_exits(void)
{
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        atomic_store(&g_tids[0], 0);
        pthread_create(&t, i & 2 ? &det : NULL, end_thread, i & 1 ? (void *)1 : NULL);
        if (!(i & 2))
            pthread_join(t, NULL);
        else
            await_gone(&g_tids[0]); /* the kernel saw the detached one end: so did the detector */
    }
    printf("four threads ended\n");
    return 0;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int many_stacks(void)
{
    enum { N = 1000 };
    static pthread_t t[N];
    static _Atomic pid_t tids[N];
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    sem_init(&g_sem, 0, 0);
    for (int i = 0; i < N; i++)
        if (pthread_create(&t[i], &a, wait_flag, &tids[i]) != 0)
            return 3;
    for (int i = 0; i < N; i++)
        await_blocked(&tids[i], SYS_futex);
    int before = count_fds();
    taskleak_dump(); /* unwinds all of them and writes the dump before it returns */
    int after = count_fds();
    for (int i = 0; i < N; i++)
        sem_post(&g_sem);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    printf("fds before %d after %d\n", before, after);
    return 0;
}

static pthread_mutex_t g_mm = PTHREAD_MUTEX_INITIALIZER, g_nn = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cc = PTHREAD_COND_INITIALIZER;
static int g_signalled;
static sem_t g_a_owns;          /* A is back from pthread_cond_wait, owning g_mm */
static _Atomic pid_t g_a_on_nn; /* A, before it asks for g_nn */

static void *owner_a(void *arg)
{
    pthread_mutex_lock(&g_mm);
    await_publish(&g_tids[0]);
    while (!g_signalled)
        pthread_cond_wait(&g_cc, &g_mm); /* returns owning g_mm: no lock wrapper ran */
    sem_post(&g_a_owns);
    await_publish(&g_a_on_nn);
    pthread_mutex_lock(&g_nn); /* B holds it */
    return arg;
}

static void *owner_b(void *arg)
{
    pthread_mutex_lock(&g_nn);
    pthread_mutex_lock(&g_mm);
    g_signalled = 1;
    pthread_cond_signal(&g_cc);
    pthread_mutex_unlock(&g_mm);
    sem_wait(&g_a_owns);
    await_publish(&g_tids[1]);
    pthread_mutex_lock(&g_mm); /* A owns it again */
    return arg;
}

static int cond_owner(void)
{
    pthread_t a, b;
    sem_init(&g_a_owns, 0, 0);
    pthread_create(&a, NULL, owner_a, NULL);
    await_blocked(&g_tids[0], SYS_futex); /* A sits in pthread_cond_wait before B signals */
    pthread_create(&b, NULL, owner_b, NULL);
    pthread_detach(a);
    pthread_detach(b);
    await_blocked(&g_tids[1], SYS_futex); /* B waits for g_mm, which A holds */
    await_blocked(&g_a_on_nn, SYS_futex); /* A waits for g_nn, which B holds */
    printf("cond owner set up\n");
    return 0;
}

static sem_t g_ack;

static void *take_usr2(void *arg)
{
    sigset_t s;
    int sig, got = 0;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    for (int i = 0; i < 3; i++)
        if (sigwait(&s, &sig) == 0 && sig == SIGUSR2) {
            got++;
            sem_post(&g_ack);
        }
    return (void *)(long)got;
}

static int app_sigwait(void)
{
    sigset_t s;
    pthread_t t;
    void *got;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* inherited by every thread created from here */
    sem_init(&g_ack, 0, 0);
    pthread_create(&t, NULL, take_usr2, NULL);
    for (int i = 0; i < 3; i++) {
        kill(getpid(), SIGUSR2);
        struct timespec limit;
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += 5;
        if (sem_timedwait(&g_ack, &limit) != 0) {
            printf("signal %d lost\n", i);
            return 1;
        }
    }
    pthread_join(t, &got);
    printf("sigwait got %ld\n", (long)got);
    return 0;
}

static int deepbind(const char *lib)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_DEEPBIND);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*run)(void) = (int (*)(void))dlsym(h, "plugin_run");
    printf("plugin returned %d\n", run ? run() : -1);
    return 0;
}

static volatile int g_loading_done;

static void *create_until_done(void *arg)
{
    long n = 0;
    while (!g_loading_done) {
        pthread_t t;
        if (pthread_create(&t, NULL, nested, NULL) == 0 && pthread_join(t, NULL) == 0)
            n++;
    }
    return (void *)n;
}

static int load_race(const char *lib)
{
    pthread_t c[2];
    int loads = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&c[i], NULL, create_until_done, NULL);
    for (int i = 0; i < 2000; i++) {
        void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
        if (h) {
            loads++;
            dlclose(h);
        }
    }
    g_loading_done = 1;
    void *n0, *n1;
    pthread_join(c[0], &n0);
    pthread_join(c[1], &n1);
    printf("loads %d, creators ran %d\n", loads, (long)n0 > 0 && (long)n1 > 0);
    return 0;
}

/* Calls fn(NULL) from a frame with no CFI and no frame pointer: unwinders must give up there. */
void rel_nocfi_call(void *(*fn)(void *));
__asm__(".text\n"
        ".globl rel_nocfi_call\n"
        ".type rel_nocfi_call, @function\n"
        "rel_nocfi_call:\n"
        "    sub $8, %rsp\n"
        "    mov %rdi, %rax\n"
        "    xor %edi, %edi\n"
        "    call *%rax\n"
        "    add $8, %rsp\n"
        "    ret\n"
        ".size rel_nocfi_call, .-rel_nocfi_call\n");

static void *below_nocfi(void *arg)
{
    await_publish(&g_tids[0]);
    rel_nocfi_call(wait_flag);
    return arg;
}

static int no_cfi(void)
{
    pthread_t t;
    sem_init(&g_sem, 0, 0);
    pthread_create(&t, NULL, below_nocfi, NULL);
    await_blocked(&g_tids[0], SYS_futex);
    taskleak_dump(); /* written before it returns, while the thread is parked */
    sem_post(&g_sem);
    pthread_join(t, NULL);
    printf("no-cfi thread joined\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (strcmp(m, "c11_ok") == 0)
        return c11_ok();
    if (strcmp(m, "c11_abba") == 0)
        return c11_abba();
    if (strcmp(m, "foreign") == 0)
        return foreign();
    if (strcmp(m, "dlopen") == 0 && argc > 2)
        return dlopen_late(argv[2]);
    if (strcmp(m, "small_stack") == 0)
        return small_stack();
    if (strcmp(m, "single") == 0)
        return single();
    if (strcmp(m, "plant") == 0)
        return plant();
    if (strcmp(m, "closed_std") == 0 && argc > 2)
        return closed_std(argv[2]);
    if (strcmp(m, "close_range") == 0)
        return closing_range();
    if (strcmp(m, "thread_exits") == 0)
        return thread_exits();
    if (strcmp(m, "many_stacks") == 0)
        return many_stacks();
    if (strcmp(m, "cond_owner") == 0)
        return cond_owner();
    if (strcmp(m, "sigwait") == 0)
        return app_sigwait();
    if (strcmp(m, "deepbind") == 0 && argc > 2)
        return deepbind(argv[2]);
    if (strcmp(m, "no_cfi") == 0)
        return no_cfi();
    if (strcmp(m, "load_race") == 0 && argc > 2)
        return load_race(argv[2]);
    return 2;
}
