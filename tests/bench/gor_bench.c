/*
 * gor side of `make bench` (bench-gor.sh runs it beside gor_bench.go, the same programs in Go).
 * Usage: gor_bench MODE N. Prints one line "MODE value unit". Modes:
 *   pingpong    unbuffered round trip between two tasks (ns per round trip)
 *   spawn       spawn + exit of N tasks, joined with a WaitGroup (ns per task)
 *   buffered    producer -> consumer over a 1024-slot channel (ns per item)
 *   select      a consumer selecting over two channels fed by two producers (ns per select)
 *   rss         resident bytes per task with N tasks blocked on a channel (bytes per task)
 *   sleepers    N tasks sleeping until one deadline: CPU used in 300 ms while all are asleep
 *               (ms) and mean wake-up lateness (us)
 *   sleep1      one task sleeping 2.5 ms (not a whole millisecond), N times: mean lateness (us)
 *   fdpingpong  round trip over a pair of pipes, both sides parked in gor_fd_wait (ns)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gor.h"

static long N;
static const char *MODE;
static gor_chan *A, *B;
static gor_wg WG = GOR_WG_INIT;

static void report(double v, const char *unit)
{
    printf("%s %.1f %s\n", MODE, v, unit);
}

static void echo(void *arg)
{
    long v;
    while (gor_chan_recv(A, &v))
        gor_chan_send(B, &v);
    (void)arg;
}

static void pingpong(void)
{
    A = gor_chan_make(sizeof(long), 0);
    B = gor_chan_make(sizeof(long), 0);
    gor_go(echo, NULL);
    int64_t t0 = gor_now();
    for (long i = 0; i < N; i++) {
        gor_chan_send(A, &i);
        gor_chan_recv(B, &i);
    }
    report((double)(gor_now() - t0) / (double)N, "ns");
    gor_chan_close(A);
}

static void done(void *arg)
{
    gor_wg_done(arg);
}

static void spawn(void)
{
    int64_t t0 = gor_now();
    for (long i = 0; i < N; i++) {
        gor_wg_add(&WG, 1);
        gor_go(done, &WG);
    }
    gor_wg_wait(&WG);
    report((double)(gor_now() - t0) / (double)N, "ns");
}

static void produce(void *arg)
{
    gor_chan *c = arg;
    for (long i = 0; i < N; i++)
        gor_chan_send(c, &i);
    gor_chan_close(c);
}

static void buffered(void)
{
    A = gor_chan_make(sizeof(long), 1024);
    int64_t t0 = gor_now();
    gor_go(produce, A);
    long v, sum = 0;
    while (gor_chan_recv(A, &v))
        sum += v;
    report((double)(gor_now() - t0) / (double)N, "ns");
    if (sum != N * (N - 1) / 2)
        abort();
}

static void select2(void)
{
    A = gor_chan_make(sizeof(long), 0);
    B = gor_chan_make(sizeof(long), 0);
    N /= 2;
    gor_go(produce, A);
    gor_go(produce, B);
    int64_t t0 = gor_now();
    long v, n = 0;
    gor_chan *a = A, *b = B;
    while (a != NULL || b != NULL) {
        gor_case cs[2] = {{a, GOR_RECV, &v, false}, {b, GOR_RECV, &v, false}};
        int r = gor_select(cs, 2, -1);
        if (cs[r].ok)
            n++;
        else if (r == 0)
            a = NULL;
        else
            b = NULL;
    }
    report((double)(gor_now() - t0) / (double)n, "ns");
}

static long rss_bytes(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld %ld", &pages, &res) != 2)
        abort();
    fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}

static void block(void *arg)
{
    gor_wg_done(&WG);
    gor_chan_recv(arg, NULL);
}

static void rss(void)
{
    gor_chan *c = gor_chan_make(0, 0);
    long before = rss_bytes();
    gor_wg_add(&WG, N);
    for (long i = 0; i < N; i++)
        gor_go(block, c);
    gor_wg_wait(&WG);
    gor_sleep(10 * 1000000);
    long after = rss_bytes();
    report((double)(after - before) / (double)N, "bytes");
    printf("rss_total %.1f MiB\n", (double)after / 1048576.0);
    gor_chan_close(c);
}

static _Atomic int64_t late_sum;
static int64_t wake_at; /* one absolute deadline for every sleeper */

static void sleeper(void *arg)
{
    gor_wg_done(&WG);
    gor_sleep(wake_at - gor_now());
    late_sum += gor_now() - wake_at;
    (void)arg;
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void sleepers(void)
{
    wake_at = gor_now() + 3000000000LL; /* spawning 100k takes well under 2.5 s */
    gor_wg_add(&WG, N);
    for (long i = 0; i < N; i++)
        gor_go(sleeper, NULL);
    gor_wg_wait(&WG);
    double c0 = cpu_ms();
    gor_sleep(300 * 1000000); /* every task is asleep during this window */
    double c1 = cpu_ms();
    gor_sleep(wake_at - gor_now() + 300 * 1000000);
    report(c1 - c0, "ms-cpu-asleep");
    printf("lateness %.1f us\n", (double)late_sum / (double)N / 1000.0);
}

static void sleep1(void)
{
    int64_t late = 0;
    for (long i = 0; i < N; i++) {
        int64_t due = gor_now() + 2500000;
        gor_sleep(2500000);
        late += gor_now() - due;
    }
    report((double)late / (double)N / 1000.0, "us");
}

static int P1[2], P2[2];

static void fd_echo(void *arg)
{
    char c;
    for (long i = 0; i < N; i++) {
        gor_fd_wait(P1[0], GOR_READ, -1);
        if (read(P1[0], &c, 1) != 1 || write(P2[1], &c, 1) != 1)
            abort();
    }
    (void)arg;
}

static void fdpingpong(void)
{
    if (pipe(P1) != 0 || pipe(P2) != 0)
        abort();
    gor_go(fd_echo, NULL);
    char c = 'x';
    int64_t t0 = gor_now();
    for (long i = 0; i < N; i++) {
        if (write(P1[1], &c, 1) != 1)
            abort();
        gor_fd_wait(P2[0], GOR_READ, -1);
        if (read(P2[0], &c, 1) != 1)
            abort();
    }
    report((double)(gor_now() - t0) / (double)N, "ns");
}

static void run(void *arg)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } modes[] = {{"pingpong", pingpong}, {"spawn", spawn},
                 {"buffered", buffered}, {"select", select2},
                 {"rss", rss},           {"sleepers", sleepers},
                 {"sleep1", sleep1},     {"fdpingpong", fdpingpong}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(MODE, modes[i].name) == 0) {
            modes[i].fn();
            return;
        }
    fprintf(stderr, "gor_bench: unknown mode %s\n", MODE);
    exit(64);
    (void)arg;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gor_bench MODE N\n");
        return 64;
    }
    MODE = argv[1];
    N = atol(argv[2]);
    gor_main(run, NULL);
    return 0;
}
