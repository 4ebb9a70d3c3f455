/*
 * Output files (contract in output.h). The temporary name is OUT.XXXXXX next to OUT, created
 * by mkstemp (0600, never an existing file), chmod'ed to the usual 0644 less the umask before
 * the rename, so the result looks like any file the user writes.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl_input.h"

void tlr_say(const char *fmt, ...)
{
    char msg[2048], esc[4096];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    fprintf(stderr, "taskleak-report: %s\n", tl_input_escape(msg, esc, sizeof esc));
}

int tlr_out_open(struct tlr_out *o, const char *path, char *err, size_t errlen)
{
    o->path = path && strcmp(path, "-") ? path : NULL;
    o->tmp = NULL;
    o->f = stdout;
    if (!o->path)
        return 0;
    int fd = -1;
    if (asprintf(&o->tmp, "%s.XXXXXX", path) < 0) {
        o->tmp = NULL;
        errno = ENOMEM;
    } else {
        fd = mkostemp(o->tmp, O_CLOEXEC);
    }
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->tmp);
        o->tmp = NULL;
        o->f = NULL;
        return -1;
    }
    return 0;
}

static mode_t default_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

int tlr_out_commit(struct tlr_out *o, int render_status, char *err, size_t errlen)
{
    if (!o->path) {
        if (fflush(stdout) != 0 || render_status < 0) {
            snprintf(err, errlen, "stdout: write error: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int bad = render_status < 0 || fflush(o->f) != 0 || ferror(o->f);
    int e = errno;
    if (!bad && fchmod(fileno(o->f), default_mode()) < 0)
        bad = 1, e = errno;
    if (fclose(o->f) != 0 && !bad)
        bad = 1, e = errno;
    if (!bad && rename(o->tmp, o->path) < 0)
        bad = 1, e = errno;
    if (bad) {
        unlink(o->tmp);
        snprintf(err, errlen, "%s: cannot write: %s", o->path, strerror(e));
    }
    free(o->tmp);
    o->tmp = NULL;
    return bad ? -1 : 0;
}
