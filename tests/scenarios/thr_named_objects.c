/* Named wait objects: four threads wait for mutexes one owner thread holds forever, each mutex in
 * a different kind of memory (a global, a member of a global struct at byte 16, a heap block, and
 * the owner's own stack); the exit report names each one. The owner publishes its stack mutex and
 * tells main through a pipe once it holds all four, then waits on a semaphore nobody posts. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
struct stats {
    long hits, misses;
    pthread_mutex_t lock; /* byte 16 on LP64 */
} stats = {0, 0, PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t *heap_lock, *stack_lock;
static sem_t never;
static int ready[2];

static void *owner_main(void *arg)
{
    pthread_mutex_t mine = PTHREAD_MUTEX_INITIALIZER;
    (void)arg;
    pthread_mutex_lock(&mine);
    stack_lock = &mine;
    pthread_mutex_lock(&cache_lock);
    pthread_mutex_lock(&stats.lock);
    pthread_mutex_lock(heap_lock);
    if (write(ready[1], "r", 1) != 1)
        abort();
    sem_wait(&never);
    return NULL;
}

static void *wait_global(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cache_lock);
    return NULL;
}

static void *wait_member(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats.lock);
    return NULL;
}

static void *wait_heap(void *arg)
{
    (void)arg;
    pthread_mutex_lock(heap_lock);
    return NULL;
}

static void *wait_stack(void *arg)
{
    (void)arg;
    pthread_mutex_lock(stack_lock);
    return NULL;
}

int main(void)
{
    void *(*const waiters[])(void *) = {wait_global, wait_member, wait_heap, wait_stack};
    pthread_t t;
    char c;
    heap_lock = malloc(sizeof *heap_lock);
    if (heap_lock == NULL || pipe(ready) != 0 || sem_init(&never, 0, 0) != 0)
        return 1;
    pthread_mutex_init(heap_lock, NULL);
    pthread_create(&t, NULL, owner_main, NULL); /* thread:2 */
    if (read(ready[0], &c, 1) != 1)
        return 1;
    for (int i = 0; i < 4; i++)
        pthread_create(&t, NULL, waiters[i], NULL);
    return 0;
}
