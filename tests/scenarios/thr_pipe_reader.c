/* A reader on a silent pipe: the thread blocks in read(2) on a pipe nobody writes to.
 * Expected: 1 leaked thread, reason "IO wait", call read, read_messages in the blocked stack,
 * start_reader in the creation stack. Any argument: the writer closes the pipe, the reader sees
 * EOF and is joined (the correct twin). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "await_common.h"

static int fds[2];
static _Atomic pid_t reader;

static __attribute__((noipa)) void *read_messages(void *arg)
{
    char buf[64];
    await_publish(&reader);
    while (read(fds[0], buf, sizeof buf) > 0)
        ;
    return arg;
}

static __attribute__((noipa)) pthread_t start_reader(void)
{
    pthread_t t;
    pthread_create(&t, NULL, read_messages, NULL);
    return t;
}

int main(int argc, char **argv)
{
    if (pipe(fds) != 0)
        return 1;
    pthread_t t = start_reader();
    await_blocked(&reader, SYS_read);
    if (argc > 1) {
        close(fds[1]);
        pthread_join(t, NULL);
    }
    printf("main done\n");
    return 0;
}
