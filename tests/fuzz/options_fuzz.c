/*
 * libFuzzer target for the TASKLEAK_OPTIONS parser (hostile case 45, docs/hostile-hosts.md:
 * hostile option strings).
 * Any input is parsed on top of the defaults; afterwards every field must still satisfy the
 * table's invariants (strings terminated inside their buffers, numbers inside their bounds), the
 * parser must have reported a problem whenever it refused something, and %p expansion of the
 * parsed paths must stay inside its buffer. A violated invariant aborts, which the fuzzer reports.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_log.h"
#include "tl_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

static void quiet_log(void)
{
    static int done;
    if (!done) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        tl_log_set_fd(fd);
        done = 1;
    }
}

static void check_path(const char *p)
{
    char out[64];
    CHECK(strnlen(p, TL_OPT_PATH_MAX) < TL_OPT_PATH_MAX);
    int n = tl_options_expand_path(p, out, sizeof out);
    CHECK(n < (int)sizeof out && (n < 0 || strlen(out) == (size_t)n));
}

static void check_invariants(const struct tl_options *o)
{
    CHECK(o->threshold_ms >= 0 && o->threshold_ms <= 86400000);
    CHECK(o->interval_ms >= 10 && o->interval_ms <= 3600000);
    CHECK(o->grace_ms >= 0 && o->grace_ms <= 3600000);
    CHECK(o->exitcode >= 0 && o->exitcode <= 255);
    CHECK(o->stack_depth >= 1 && o->stack_depth <= 256);
    CHECK(o->verbosity >= 0 && o->verbosity <= 2);
    CHECK(o->max_units >= 0 && o->max_units <= 100000000);
    CHECK((o->fail_on & ~31u) == 0); /* leaked, deadlocked, blocked, unjoined, inversion */
    CHECK(o->dump_signal >= 0 && o->dump_signal <= SIGRTMAX);
    CHECK(o->dump_signal != SIGKILL && o->dump_signal != SIGSTOP);
    check_path(o->report);
    check_path(o->log);
    check_path(o->suppressions);
    CHECK(strnlen(o->ignore, TL_OPT_PATH_MAX) < TL_OPT_PATH_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tl_options o, def;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    quiet_log();
    tl_options_defaults(&o);
    tl_options_defaults(&def);
    int problems = tl_options_parse(&o, s);
    CHECK(problems >= 0);
    check_invariants(&o);
    /* nothing but separators and good pairs can leave the options untouched silently */
    if (size == 0)
        CHECK(problems == 0 && memcmp(&o, &def, sizeof o) == 0);
    char value[TL_OPT_PATH_MAX + 16];
    CHECK(tl_options_format(&o, "fail_on", value, sizeof value) == 0);
    free(s);
    return 0;
}
