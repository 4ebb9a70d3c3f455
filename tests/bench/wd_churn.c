/* Bounded memory under thread churn (issue 6): 1M threads created and joined through the
 * detector's own creation path (tl_thread_create, as the pthread_create interposer calls it), from
 * two call sites. Links the engine objects. Prints one line:
 *   <live before> <live after> <stacks before> <stacks after> <seconds>
 * where "before" is measured after a 1000-thread warm-up (exit ring full, both stacks interned).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tl_ctx.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_stack.h"
#include "tl_thread.h"

static void *nothing(void *arg)
{
    return arg;
}

static int churn(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        int rc = (i & 1) ? tl_thread_create(tl_real.pthread_create, &t, NULL, nothing, NULL)
                         : tl_thread_create(tl_real.pthread_create, &t, NULL, nothing, &t);
        if (rc != 0 || pthread_join(t, NULL) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    setenv("TASKLEAK_OPTIONS", "exit_check=0:threshold=0:dump_signal=0", 1);
    if (!tl_ctx_init() || churn(1000) < 0)
        return 1;
    size_t live = tl_registry_live(), stacks = tl_stack_count();
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (churn(n) < 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%zu %zu %zu %zu %.1f\n", live, tl_registry_live(), stacks, tl_stack_count(),
           (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
