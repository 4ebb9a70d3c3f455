/*
 * libFuzzer target for the report loader: any bytes must either load or fail with one
 * message; never crash, hang or leak. Both loading modes run, and a loaded report is freed.
 * Built by tests/fuzz/fuzz-report.mk with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    for (unsigned flags = 0; flags <= TLR_LOAD_ALL_UNITS; flags += TLR_LOAD_ALL_UNITS) {
        struct tlr_proc p;
        if (tlr_load_buffer((const char *)data, size, "fuzz", flags, &p, err, sizeof err) == 0)
            tlr_proc_free(&p);
        else if (!memchr(err, 0, sizeof err) || strncmp(err, "fuzz: ", 6) != 0)
            __builtin_trap(); /* a failure must come with a message naming the input */
    }
    return 0;
}
