/*
 * Labels carried into gor tasks (taskleak(7), IN-PROCESS API): taskleak_set_label applies to the
 * units the
 * calling thread or task creates from then on, and to their descendants.
 *
 * main_task spawns `unlabelled_waiter` first, then sets the label "suite-a" and spawns
 * `labelled_parent`, which spawns `labelled_child` and starts the pthread `labelled_thread`. The
 * tasks block forever on a channel nobody sends on, the thread on a semaphore nobody posts, and
 * main_task returns: the exit report lists them as leaked, everything created after the label
 * with `label` "suite-a" (the thread too: it descends from a labelled task), the first task
 * without a label.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include "gor.h"
#include "taskleak.h"

static gor_chan *never; /* nothing is ever sent on it */
static sem_t never_posted;

static void wait_forever(void)
{
    gor_chan_recv(never, NULL);
}

static void unlabelled_waiter(void *arg)
{
    (void)arg;
    wait_forever();
}

static void labelled_child(void *arg)
{
    (void)arg;
    wait_forever();
}

static void *labelled_thread(void *arg)
{
    sem_wait(&never_posted);
    return arg;
}

static void labelled_parent(void *arg)
{
    (void)arg;
    pthread_t t;
    gor_go(labelled_child, NULL);
    if (pthread_create(&t, NULL, labelled_thread, NULL) == 0)
        pthread_detach(t);
    wait_forever();
}

static void main_task(void *arg)
{
    (void)arg;
    never = gor_chan_make(0, 0);
    sem_init(&never_posted, 0, 0);
    gor_go(unlabelled_waiter, NULL);
    taskleak_set_label("suite-a");
    gor_go(labelled_parent, NULL);
    printf("spawned\n");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
