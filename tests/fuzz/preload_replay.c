/*
 * Replays a fuzzer corpus through LLVMFuzzerTestOneInput in the ordinary build, so `make check`
 * re-runs every input the detector's parser fuzzers (options_fuzz.c, supp_fuzz.c) ever kept,
 * without clang. The corpus directory is compiled in (REPLAY_DIR) or given on the command line.
 * A crash or an abort in the target fails the run; exit 0 prints how many inputs passed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0, got;
    unsigned char *buf = f ? malloc(cap) : NULL;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    if (f)
        fclose(f);
    *len = n;
    return buf;
}

static int replay_dir(const char *dir, int *count)
{
    char path[4096];
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        return -1;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unsigned char *data = slurp(path, &len);
        if (!data) {
            fprintf(stderr, "replay: cannot read %s\n", path);
            closedir(d);
            return -1;
        }
        LLVMFuzzerTestOneInput(data, len);
        free(data);
        (*count)++;
    }
    closedir(d);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;
#ifdef REPLAY_DIR
    const char *fallback[] = {argv[0], REPLAY_DIR};
    if (argc < 2) {
        argc = 2;
        argv = (char **)fallback;
    }
#endif
    for (int i = 1; i < argc; i++)
        if (replay_dir(argv[i], &count) < 0)
            return 1;
    printf("replay: %d inputs from %s passed\n", count, argc > 1 ? argv[1] : "(none)");
    return 0;
}
