/* The cost of a leak proof's scan per GiB of heap (docs/internals.md, Performance bars).
 *
 * Links the detector's engine objects directly: a heap of the given size (MiB) is one segment cut
 * into 64-byte blocks, every block holding a pointer to the next (the worst case: everything is
 * reachable and scanned), read through process_vm_readv as the detector reads. Prints the time
 * to cut the heap and the time to mark it, both in ms per GiB, best of 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "tl_proof_mem.h"
#include "tl_reach.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024, size = mib << 20;
    uintptr_t *heap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (heap == MAP_FAILED)
        return 1;
    size_t words = size / sizeof *heap;
    for (size_t i = 0; i + 8 < words; i += 8)
        heap[i] = (uintptr_t)&heap[i + 8] + 8; /* an interior pointer into the next block */
    static uintptr_t root;
    root = (uintptr_t)heap;
    double best_cut = 1e18, best_mark = 1e18;
    for (int round = 0; round < 3; round++) {
        struct tl_reach *r = tl_reach_new(tl_pm_read, NULL);
        double t0 = now_ms();
        tl_reach_segment(r, (uintptr_t)heap, (uintptr_t)heap + size);
        for (size_t off = 0; off < size; off += 64)
            tl_reach_cut(r, (uintptr_t)heap + off, false);
        tl_reach_root(r, (uintptr_t)&root, (uintptr_t)(&root + 1));
        double t1 = now_ms();
        size_t unread = 0;
        if (tl_reach_run(r, &unread) != 0 ||
            tl_reach_state(r, (uintptr_t)heap + size - 64) != TL_REACH_MARKED)
            return 2;
        double t2 = now_ms();
        best_cut = t1 - t0 < best_cut ? t1 - t0 : best_cut;
        best_mark = t2 - t1 < best_mark ? t2 - t1 : best_mark;
        tl_reach_free(r);
    }
    printf("%.1f %.1f\n", best_cut * 1024 / (double)mib, best_mark * 1024 / (double)mib);
    return 0;
}
