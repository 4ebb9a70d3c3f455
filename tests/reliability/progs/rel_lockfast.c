/*
 * The detector locks and unlocks default mutexes in place (docs/hostile-hosts.md, the mutex fast
 * path): every other way glibc touches such a mutex must still agree with it. Condition waits
 * relock it inside glibc, trylock and timedlock meet it held, glibc's own lock entered past the
 * preload contends with ours, C11 mtx_lock takes it, a fork copies it held, and the words glibc
 * keeps (owner, user count) must read as without the detector. Prints one line per check; the
 * test compares the run with one without the detector and checks the values.
 * Usage: rel_lockfast condvar|mix|libc|stress|fork
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

typedef int (*mutex_fn)(pthread_mutex_t *);
static mutex_fn libc_lock, libc_unlock; /* glibc's own, reached past the preload */

static void show(const char *what, int rc)
{
    printf("%-36s %s\n", what, rc == 0 ? "0" : strerror(rc));
}

/* What glibc keeps in a default mutex, as this thread sees it. */
static void words(const char *what, const pthread_mutex_t *m)
{
    const char *owner = m->__data.__owner == 0          ? "none"
                        : m->__data.__owner == gettid() ? "self"
                                                        : "other";
    printf("%-36s lock=%d owner=%s users=%u\n", what, m->__data.__lock != 0, owner,
           m->__data.__nusers);
}

static struct timespec in_ms(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += ms * 1000000L;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

static void *run_fn(void *arg)
{
    ((void (*)(void))arg)();
    return NULL;
}

/* Runs fn on another thread and waits for it. */
static void on_thread(void (*fn)(void))
{
    pthread_t t;
    pthread_create(&t, NULL, run_fn, (void *)fn);
    pthread_join(t, NULL);
}

/* ---- mix: trylock, timedlock and destroy meet a mutex taken in place ---- */

static pthread_mutex_t g_mix = PTHREAD_MUTEX_INITIALIZER;

static void try_from_other(void)
{
    show("trylock from another thread", pthread_mutex_trylock(&g_mix));
    struct timespec t = in_ms(20);
    show("timedlock from another thread", pthread_mutex_timedlock(&g_mix, &t));
}

static void mix_round(const char *phase)
{
    printf("-- %s\n", phase);
    show("lock", pthread_mutex_lock(&g_mix));
    words("held", &g_mix);
    show("trylock held by self", pthread_mutex_trylock(&g_mix));
    struct timespec t = in_ms(20);
    show("timedlock held by self", pthread_mutex_timedlock(&g_mix, &t));
    show("destroy held", pthread_mutex_destroy(&g_mix));
    show("unlock", pthread_mutex_unlock(&g_mix));
    words("released", &g_mix);
    show("trylock free", pthread_mutex_trylock(&g_mix));
    show("unlock after trylock", pthread_mutex_unlock(&g_mix));
    t = in_ms(20);
    show("timedlock free", pthread_mutex_timedlock(&g_mix, &t));
    words("held by timedlock", &g_mix);
    show("unlock after timedlock", pthread_mutex_unlock(&g_mix));
    show("destroy free", pthread_mutex_destroy(&g_mix));
    show("init again", pthread_mutex_init(&g_mix, NULL));
}

static void noop(void)
{
}

static void mix(void)
{
    mix_round("one thread");
    on_thread(noop); /* from now on the process is not single-threaded for glibc */
    mix_round("after a thread");
    pthread_mutex_lock(&g_mix);
    on_thread(try_from_other);
    show("unlock after the other tried", pthread_mutex_unlock(&g_mix));
    pthread_mutex_t bad = PTHREAD_MUTEX_INITIALIZER;
    bad.__data.__kind = 4; /* no kind glibc knows: EINVAL either way */
    show("lock of an unknown kind", pthread_mutex_lock(&bad));
    show("unlock of an unknown kind", pthread_mutex_unlock(&bad));
}

/* ---- libc: glibc-internal locks of the same mutex ---- */

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_turn, g_ready;

static void cond_waiter(void)
{
    pthread_mutex_lock(&g_m);
    g_ready = 1;
    pthread_cond_signal(&g_cv);
    while (g_turn == 0)
        pthread_cond_wait(&g_cv, &g_m); /* glibc unlocks and relocks g_m inside */
    words("waiter after cond_wait", &g_m);
    pthread_mutex_unlock(&g_m);
}

static void libc_paths(void)
{
    pthread_t t;
    pthread_create(&t, NULL, run_fn, (void *)cond_waiter);
    pthread_mutex_lock(&g_m);
    while (!g_ready)
        pthread_cond_wait(&g_cv, &g_m);
    g_turn = 1;
    pthread_cond_signal(&g_cv);
    pthread_mutex_unlock(&g_m);
    pthread_join(t, NULL);
    words("after the waiter left", &g_m);
    pthread_mutex_lock(&g_m);
    struct timespec ts = in_ms(10);
    show("cond_timedwait times out", pthread_cond_timedwait(&g_cv, &g_m, &ts));
    words("relocked by cond_timedwait", &g_m);
    show("unlock it in place", pthread_mutex_unlock(&g_m));
    show("libc lock", libc_lock(&g_m));
    show("trylock held by libc lock", pthread_mutex_trylock(&g_m));
    show("unlock in place", pthread_mutex_unlock(&g_m));
    show("lock in place", pthread_mutex_lock(&g_m));
    show("libc unlock", libc_unlock(&g_m));
    words("after the mixed pairs", &g_m);
    mtx_t *c11 = (mtx_t *)(void *)&g_m; /* glibc's mtx_t is a pthread_mutex_t */
    show("mtx_lock", mtx_lock(c11) == thrd_success ? 0 : EINVAL);
    show("pthread trylock after mtx_lock", pthread_mutex_trylock(&g_m));
    show("pthread unlock after mtx_lock", pthread_mutex_unlock(&g_m));
    show("mtx_trylock after that", mtx_trylock(c11) == thrd_success ? 0 : EBUSY);
    show("mtx_unlock", mtx_unlock(c11) == thrd_success ? 0 : EINVAL);
    show("destroy", pthread_mutex_destroy(&g_m));
}

/* ---- condvar: a bounded queue between producers and consumers, counts exact ---- */

#define QCAP  4
#define PROD  4
#define CONS  4
#define ITEMS 20000

static struct {
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    long buf[QCAP];
    int head, n, producers_left;
    long consumed, sum;
} q = {.m = PTHREAD_MUTEX_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER,
       .not_empty = PTHREAD_COND_INITIALIZER,
       .producers_left = PROD};

static void *producer(void *arg)
{
    long base = (long)(intptr_t)arg * ITEMS;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&q.m);
        while (q.n == QCAP)
            pthread_cond_wait(&q.not_full, &q.m);
        q.buf[(q.head + q.n++) % QCAP] = base + i;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.m);
    }
    pthread_mutex_lock(&q.m);
    q.producers_left--;
    pthread_cond_broadcast(&q.not_empty);
    pthread_mutex_unlock(&q.m);
    return NULL;
}

static void *consumer(void *arg)
{
    pthread_mutex_lock(&q.m);
    for (;;) {
        while (q.n == 0 && q.producers_left > 0)
            pthread_cond_wait(&q.not_empty, &q.m);
        if (q.n == 0)
            break;
        q.sum += q.buf[q.head];
        q.head = (q.head + 1) % QCAP;
        q.n--;
        q.consumed++;
        pthread_cond_signal(&q.not_full);
    }
    pthread_mutex_unlock(&q.m);
    return arg;
}

static void condvar(void)
{
    pthread_t p[PROD], c[CONS];
    for (long i = 0; i < CONS; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    for (long i = 0; i < PROD; i++)
        pthread_create(&p[i], NULL, producer, (void *)(intptr_t)i);
    for (int i = 0; i < PROD; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < CONS; i++)
        pthread_join(c[i], NULL);
    long n = (long)PROD * ITEMS;
    printf("consumed %ld of %ld, sum %s\n", q.consumed, n,
           q.sum == n * (n + 1) / 2 ? "exact" : "WRONG");
    words("queue mutex at the end", &q.m);
    show("destroy", pthread_mutex_destroy(&q.m));
}

/* ---- stress: our lock and glibc's own contend for one mutex; nested pairs in one order ---- */

#define THREADS 8
#define ROUNDS  100000

static pthread_mutex_t g_count_m = PTHREAD_MUTEX_INITIALIZER, g_outer = PTHREAD_MUTEX_INITIALIZER;
static long g_count, g_nested;

static void *hammer(void *arg)
{
    bool via_libc = (intptr_t)arg % 2 != 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (via_libc) {
            libc_lock(&g_count_m);
            g_count++;
            libc_unlock(&g_count_m);
        } else {
            pthread_mutex_lock(&g_count_m);
            g_count++;
            pthread_mutex_unlock(&g_count_m);
        }
        if (i % 16 == 0) {
            pthread_mutex_lock(&g_outer);
            pthread_mutex_lock(&g_count_m);
            g_nested++;
            pthread_mutex_unlock(&g_count_m);
            pthread_mutex_unlock(&g_outer);
        }
    }
    return NULL;
}

static void stress(void)
{
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("count %ld of %ld, nested %ld of %ld\n", g_count, (long)THREADS * ROUNDS, g_nested,
           (long)THREADS * ((ROUNDS + 15) / 16));
    words("counter mutex at the end", &g_count_m);
    show("destroy", pthread_mutex_destroy(&g_count_m));
}

/* ---- fork: a child inherits a mutex held by the forking thread and one held by another ---- */

static pthread_mutex_t g_mine = PTHREAD_MUTEX_INITIALIZER, g_theirs = PTHREAD_MUTEX_INITIALIZER;
static int g_pipe_held[2], g_pipe_go[2];

static void *holder(void *arg)
{
    char c = 0;
    pthread_mutex_lock(&g_theirs);
    if (write(g_pipe_held[1], &c, 1) != 1 || read(g_pipe_go[0], &c, 1) != 1)
        abort();
    pthread_mutex_unlock(&g_theirs);
    return arg;
}

static void child(void)
{
    show("child: trylock of the forker's", pthread_mutex_trylock(&g_mine));
    show("child: unlock of the forker's", pthread_mutex_unlock(&g_mine));
    show("child: lock it again", pthread_mutex_lock(&g_mine));
    show("child: unlock", pthread_mutex_unlock(&g_mine));
    show("child: trylock of the other's", pthread_mutex_trylock(&g_theirs));
    show("child: unlock of the other's", pthread_mutex_unlock(&g_theirs));
    show("child: lock it", pthread_mutex_lock(&g_theirs));
    show("child: unlock", pthread_mutex_unlock(&g_theirs));
    show("child: destroy both", pthread_mutex_destroy(&g_mine) | pthread_mutex_destroy(&g_theirs));
    fflush(stdout);
}

static void fork_held(void)
{
    pthread_t t;
    char c = 0;
    if (pipe(g_pipe_held) != 0 || pipe(g_pipe_go) != 0)
        abort();
    pthread_create(&t, NULL, holder, NULL);
    if (read(g_pipe_held[0], &c, 1) != 1)
        abort();
    pthread_mutex_lock(&g_mine);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child();
        _exit(0);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    show("parent: unlock", pthread_mutex_unlock(&g_mine));
    if (write(g_pipe_go[1], &c, 1) != 1)
        abort();
    pthread_join(t, NULL);
    words("parent: the other's after join", &g_theirs);
    show("parent: destroy both", pthread_mutex_destroy(&g_mine) | pthread_mutex_destroy(&g_theirs));
}

int main(int argc, char **argv)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    libc_lock = libc != NULL ? (mutex_fn)dlsym(libc, "pthread_mutex_lock") : NULL;
    libc_unlock = libc != NULL ? (mutex_fn)dlsym(libc, "pthread_mutex_unlock") : NULL;
    if (libc_lock == NULL || libc_unlock == NULL) {
        fprintf(stderr, "rel_lockfast: glibc's mutex functions not found\n");
        return 2;
    }
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "mix") == 0)
        mix();
    else if (strcmp(mode, "libc") == 0)
        libc_paths();
    else if (strcmp(mode, "condvar") == 0)
        condvar();
    else if (strcmp(mode, "stress") == 0)
        stress();
    else if (strcmp(mode, "fork") == 0)
        fork_held();
    else {
        fprintf(stderr, "usage: rel_lockfast condvar|mix|libc|stress|fork\n");
        return 2;
    }
    return 0;
}
