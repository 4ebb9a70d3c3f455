/* A library shipped stripped (built with -s): only its exported functions have names. The thread
 * it starts runs a static function, so no frame of that thread is named; the hint for it must be
 * the exported function that created it, libfoo_start_workers. The condition it waits on lies
 * 64 KiB into the library's .bss, past the last page the file maps: the kernel lists that part
 * as anonymous memory, yet it is the library's data, not the heap. */
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char scratch[64 * 1024]; /* zero-filled: .bss beyond the file's pages */
    pthread_cond_t work;
} state;

static void *worker_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&state.work, &lock);
    return NULL;
}

__attribute__((visibility("default"))) int libfoo_start_workers(void);

__attribute__((visibility("default"), noinline)) int libfoo_start_workers(void)
{
    pthread_t t;
    return pthread_create(&t, NULL, worker_loop, NULL);
}
