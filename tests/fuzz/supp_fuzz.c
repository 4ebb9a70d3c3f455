/*
 * libFuzzer target for the suppressions loader. The input is written to an anonymous memory
 * file and loaded by path (/proc/self/fd/N), exactly as a user's file would be; the bytes up to
 * the first NUL are also used as the ignore= list. A loaded set must answer matches, count them
 * and serialise to JSON; a refused one must come with a one-line message naming the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tl_json.h"
#include "tl_supp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

static void exercise(struct tl_supp *s)
{
    static const char *const fns[] = {"main", NULL, "pool_worker", "start_thread", ""};
    unsigned long before = 0, after = 0;
    for (size_t i = 0; i < tl_supp_count(s); i++) {
        CHECK(tl_supp_pattern(s, i) != NULL);
        before += tl_supp_matched(s, i);
    }
    const char *hit = tl_supp_match(s, TL_SUPP_LEAK, fns, 5, "logger-1");
    tl_supp_match(s, TL_SUPP_BLOCK, fns, 5, NULL);
    for (size_t i = 0; i < tl_supp_count(s); i++)
        after += tl_supp_matched(s, i);
    CHECK(after >= before + (hit != NULL) && after <= before + 2);
    struct tl_json j;
    tl_json_init(&j);
    tl_json_arr_begin(&j, NULL);
    tl_supp_json(s, &j);
    tl_json_arr_end(&j);
    free(tl_json_finish(&j, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    int fd = memfd_create("supp", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char *ignore = strndup((const char *)data, size);
    err[0] = '\0';
    struct tl_supp *s = tl_supp_load(path, ignore, err, sizeof err);
    if (s) {
        exercise(s);
        tl_supp_free(s);
    } else {
        CHECK(strncmp(err, "suppressions file ", 18) == 0 || strncmp(err, "ignore list", 11) == 0);
        CHECK(strchr(err, '\n') == NULL);
    }
    free(ignore);
    close(fd);
    return 0;
}
