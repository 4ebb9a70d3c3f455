/*
 * Replays the report fuzzer's corpus (and the report fixtures) through the loader in the
 * ordinary build, so `make check` catches a regression on every input the fuzzer ever kept,
 * without clang. Directories come from REPLAY_DIRS (compiled in) or the command line.
 * Exit 0 when every file was handled (loaded, or refused with a message), 1 otherwise.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int replay_dir(const char *dir, size_t *files)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "report_replay: cannot open %s\n", dir);
        return -1;
    }
    int bad = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[4096];
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = slurp(path, &len);
        if (!buf)
            continue; /* a subdirectory */
        LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
        free(buf);
        (*files)++;
    }
    closedir(d);
    return bad;
}

int main(int argc, char **argv)
{
    static const char *const builtin[] = {REPLAY_DIRS};
    size_t files = 0;
    int bad = 0;
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            bad |= replay_dir(argv[i], &files);
    else
        for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
            bad |= replay_dir(builtin[i], &files);
    printf("report_replay: %zu inputs replayed through the report loader\n", files);
    return bad ? 1 : 0;
}
