/* Helpers for scenario programs that must wait for a fact, not for time.
 *
 * A scenario often needs a thread parked in a blocking call before it goes on (returns from main,
 * cancels the thread, lets another thread exit). Sleeping "long enough" is a guess a loaded
 * machine can defeat; instead the thread publishes its kernel tid and the scenario waits until
 * the kernel shows that thread asleep inside the expected system call
 * (/proc/self/task/TID/syscall names the call a blocked thread is in).
 */
#ifndef AWAIT_COMMON_H
#define AWAIT_COMMON_H

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define AWAIT_LIMIT_MS 30000 /* a state never reached fails the scenario (status 99), loudly */

static inline void await_tick(void)
{
    struct timespec ms = {0, 1000 * 1000};
    nanosleep(&ms, NULL);
}

/* The system call thread tid of process pid sleeps in now, -1 when it is running or unknown. */
static inline long await_task_syscall(pid_t pid, pid_t tid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || buf[0] < '0' || buf[0] > '9') /* "running" */
        return -1;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* The system call thread tid of this process sleeps in now, -1 when it is running or unknown. */
static inline long await_current_syscall(pid_t tid)
{
    return await_task_syscall(getpid(), tid);
}

/* Publishes the calling thread's tid in *slot (call it just before the blocking call). */
static inline void await_publish(_Atomic pid_t *slot)
{
    atomic_store(slot, gettid());
}

/* Returns once the thread that published its tid in *slot sleeps in system call nr (SYS_futex for
 * mutexes, condition variables, semaphores and joins; SYS_read; ...). */
static inline void await_blocked(_Atomic pid_t *slot, long nr)
{
    for (int ms = 0; ms < AWAIT_LIMIT_MS; ms++, await_tick()) {
        pid_t tid = atomic_load(slot);
        if (tid != 0 && await_current_syscall(tid) == nr)
            return;
    }
    fprintf(stderr, "await: thread %d never blocked in system call %ld\n", (int)atomic_load(slot),
            nr);
    exit(99);
}

/* Returns once the thread that published its tid in *slot has ended: the kernel no longer lists
 * it in /proc/self/task (a detached thread, which nobody can join to learn that). */
static inline void await_gone(_Atomic pid_t *slot)
{
    char path[64];
    for (int ms = 0; ms < AWAIT_LIMIT_MS; ms++, await_tick()) {
        pid_t tid = atomic_load(slot);
        snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
        if (tid != 0 && access(path, F_OK) != 0)
            return;
    }
    fprintf(stderr, "await: thread %d never ended\n", (int)atomic_load(slot));
    exit(99);
}

/* Returns once the main thread has ended (pthread_exit) while others run: the kernel keeps the
 * thread group's leader as a zombie then, so its state in /proc/self/task/PID/stat reads 'Z'. */
static inline void await_main_exited(void)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)getpid());
    for (int ms = 0; ms < AWAIT_LIMIT_MS; ms++, await_tick()) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        buf[n > 0 ? n : 0] = '\0';
        const char *end = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
        if (end != NULL && end[1] == ' ' && end[2] == 'Z')
            return;
    }
    fprintf(stderr, "await: the main thread never ended\n");
    exit(99);
}

#endif /* AWAIT_COMMON_H */
