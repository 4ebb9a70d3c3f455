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

static mtx_t g_a, g_b;
static cnd_t g_cv;
static int g_flag;
static sem_t g_sem;

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
    sem_post(&g_sem);
    sem_wait(&g_sem); /* both hold their first lock before either takes the second */
    usleep(100000);
    mtx_lock(second);
    return 0;
}

static int c11_abba(void)
{
    thrd_t t1, t2;
    mtx_init(&g_a, mtx_plain);
    mtx_init(&g_b, mtx_plain);
    sem_init(&g_sem, 0, 0);
    thrd_create(&t1, lock_ab, NULL);
    thrd_create(&t2, lock_ab, (void *)1L);
    thrd_detach(t1);
    thrd_detach(t2);
    sleep(3); /* long enough for the watchdog (interval 200ms, threshold 1s) */
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

static void *wait_flag(void *arg)
{
    sem_wait(&g_sem);
    return arg;
}

static int dlopen_late(const char *lib)
{
    pthread_t t[2];
    sem_init(&g_sem, 0, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, wait_flag, NULL);
    usleep(50000);
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

static void *nested(void *arg)
{
    return arg;
}

static void *small_worker(void *arg)
{
    pthread_t t;
    struct timespec ts = {0, 1000000};
    pthread_mutex_lock(&g_held); /* main holds it: contended path */
    pthread_mutex_unlock(&g_held);
    nanosleep(&ts, NULL);
    pthread_create(&t, NULL, nested, NULL);
    pthread_join(t, NULL);
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
    usleep(100000);
    pthread_mutex_unlock(&g_held);
    usleep(100000);
    taskleak_dump();
    usleep(200000); /* the watchdog writes the dump while the worker is parked */
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
    usleep(200000);
    dprintf(fd, "app fd %d\n", fd);
    return 0;
}

static int closing_range(void)
{
    leak_thread();
    taskleak_dump();
    usleep(100000);
    syscall(SYS_close_range, 3U, ~0U, 0);
    printf("closed 3..max\n");
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
    return 2;
}
