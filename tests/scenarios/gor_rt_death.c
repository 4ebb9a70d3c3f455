/*
 * gor runtime death tests: each argv[1] names one way a gor program must die (a panic, a
 * deadlock) or must not (blocked only on a timer, an fd, or a live plain thread). Run by
 * tests/runtime/check_gor_death.c without the detector; it checks the status and stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gor.h"

static gor_chan *ch;
static int fds[2];

static void recv_forever(void *arg)
{
    gor_set_name("stuck-receiver");
    gor_chan_recv(arg, NULL);
}

/* Recurses `arg` times with 4 KiB frames: 32 overflows a 64 KiB stack. */
static void overflow(void *arg)
{
    volatile char buf[4096];
    long depth = (long)arg;
    buf[0] = (char)depth;
    if (depth > 0)
        overflow((void *)(depth - 1));
    else
        gor_yield(); /* switch while the overflow is in progress */
    buf[1] = buf[0];
}

/* A plain thread that used gor (the handshake) and sends again later, after a pause in which
 * every task is blocked: the runtime must not call that a deadlock. */
static void *late_sender(void *arg)
{
    gor_chan_send(arg, NULL);
    usleep(200 * 1000);
    gor_chan_send(ch, NULL);
    return NULL;
}

static void run(void *arg)
{
    const char *what = arg;
    gor_wg wg = GOR_WG_INIT;
    gor_mutex m = GOR_MUTEX_INIT;
    if (strcmp(what, "send-closed") == 0) {
        ch = gor_chan_make(sizeof(int), 1);
        gor_chan_close(ch);
        int v = 1;
        gor_chan_send(ch, &v);
    } else if (strcmp(what, "close-closed") == 0) {
        ch = gor_chan_make(0, 0);
        gor_chan_close(ch);
        gor_chan_close(ch);
    } else if (strcmp(what, "negative-wg") == 0) {
        gor_wg_done(&wg);
    } else if (strcmp(what, "unlock-unlocked") == 0) {
        gor_mutex_unlock(&m);
    } else if (strcmp(what, "deadlock") == 0) {
        ch = gor_chan_make(0, 0);
        gor_go(recv_forever, ch);
        gor_wg_add(&wg, 1);
        gor_wg_wait(&wg);
    } else if (strcmp(what, "timer-only") == 0) {
        ch = gor_chan_make(0, 0);
        gor_go(recv_forever, ch); /* stays blocked: main returns after its sleep */
        gor_sleep(300 * 1000 * 1000);
    } else if (strcmp(what, "fd-wait") == 0) {
        if (pipe(fds) != 0)
            return;
        gor_fd_wait(fds[0], GOR_READ, 300 * 1000 * 1000);
    } else if (strcmp(what, "thread-sends-later") == 0) {
        ch = gor_chan_make(0, 0);
        gor_chan *ready = gor_chan_make(0, 0);
        pthread_t th;
        pthread_create(&th, NULL, late_sender, ready);
        gor_chan_recv(ready, NULL);
        gor_chan_recv(ch, NULL);
        pthread_join(th, NULL);
    } else if (strcmp(what, "stack-overflow") == 0) {
        gor_go(overflow, (void *)32L);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 64;
    }
    gor_main(run, argv[1]);
    puts("returned");
    return 0;
}
