/* C11 threads: a thrd_create'd consumer waits on a cnd_t that is never signalled.
 * Expected: 1 leaked thread, reason "cond wait", call cnd_wait, consume_c11 in the blocked stack,
 * start_consumer in the creation stack. Any argument: signalled and joined with thrd_join. */
#include <stdbool.h>
#include <stdio.h>
#include <threads.h>

static mtx_t lock;
static cnd_t cond;
static bool go;

static __attribute__((noipa)) int consume_c11(void *arg)
{
    mtx_lock(&lock);
    while (!go)
        cnd_wait(&cond, &lock);
    mtx_unlock(&lock);
    return 7;
}

static __attribute__((noipa)) thrd_t start_consumer(void)
{
    thrd_t t;
    thrd_create(&t, consume_c11, NULL);
    return t;
}

int main(int argc, char **argv)
{
    mtx_init(&lock, mtx_plain);
    cnd_init(&cond);
    thrd_t t = start_consumer();
    if (argc > 1) {
        mtx_lock(&lock);
        go = true;
        cnd_signal(&cond);
        mtx_unlock(&lock);
        int res = 0;
        if (thrd_join(t, &res) != thrd_success || res != 7)
            return 1;
    }
    printf("main done\n");
    return 0;
}
