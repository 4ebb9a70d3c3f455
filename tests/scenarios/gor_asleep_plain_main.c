/*
 * gor tasks all blocked on channels while the program's plain main thread (no gor_main) waits for
 * them inside a gor call. gor's runtime cannot call this a deadlock (its own check needs a
 * gor_main task, since a plain thread it does not know might still send), but the detector knows
 * every thread: the main thread and the task are asleep, so the watchdog proves the whole process
 * asleep and ends it, with the task and the main thread deadlocked.
 *
 * consumer() waits for a request on `requests`; main sends nothing (the bug) and waits for the
 * reply on `replies`. Any argument: main sends the request first (the fixed twin), exits 0.
 */
#include <stdio.h>

#include "gor.h"

static gor_chan *requests, *replies;

static __attribute__((noipa)) void consumer(void *arg)
{
    int req = 0;
    (void)arg;
    gor_chan_recv(requests, &req);
    int reply = req + 1;
    gor_chan_send(replies, &reply);
}

int main(int argc, char **argv)
{
    (void)argv;
    requests = gor_chan_make(sizeof(int), 0);
    replies = gor_chan_make(sizeof(int), 0);
    gor_go(consumer, NULL);
    if (argc > 1) {
        int req = 41;
        gor_chan_send(requests, &req);
    }
    int reply = 0;
    gor_chan_recv(replies, &reply);
    printf("reply %d\n", reply);
    return 0;
}
