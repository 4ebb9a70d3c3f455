/*
 * libFuzzer target for the report loader: any bytes must either load or fail with one
 * message; never crash, hang or leak. Both loading modes run, and a loaded report is freed.
 * What loads must keep the schema's promises the merger relies on: no negative count or id.
 * Built by tests/fuzz/fuzz-report.mk with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every count and id the loader accepted is non-negative (or -1 for "none" where allowed). */
static void check_counts(const struct tlr_proc *p)
{
    const struct tlr_summary *s = &p->summary;
    if (s->threads_created < 0 || s->tasks_created < 0 || s->alive < 0 || s->leaked < 0 ||
        s->deadlocked < 0 || s->blocked < 0 || p->pid < -1 || p->ppid < -1)
        __builtin_trap();
    for (size_t i = 0; i < p->ngroups; i++)
        if (p->groups[i].count < 0 || p->groups[i].wait_min < -1 || p->groups[i].wait_max < -1)
            __builtin_trap();
    for (size_t i = 0; i < p->nstacks; i++)
        if (p->stacks[i].id < 0)
            __builtin_trap();
    for (const struct tlr_unit *u = p->units; u; u = u->hh.next)
        if (u->tid < -1 || u->task < -1 || (u->has_wait && u->wait.since_ms < -1))
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    for (unsigned flags = 0; flags <= TLR_LOAD_ALL_UNITS; flags += TLR_LOAD_ALL_UNITS) {
        struct tlr_proc p;
        if (tlr_load_buffer((const char *)data, size, "fuzz", flags, &p, err, sizeof err) == 0) {
            check_counts(&p);
            tlr_proc_free(&p);
        }
        else if (!memchr(err, 0, sizeof err) || strncmp(err, "fuzz: ", 6) != 0)
            __builtin_trap(); /* a failure must come with a message naming the input */
    }
    return 0;
}
