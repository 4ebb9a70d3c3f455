/* tl_defer: texts left for `taskleak run` to render (see tl_defer.h).
 *
 * DESIGN. A live pair is numbered per process (six digits, so the names sort in the order they
 * were written) and its text file is written last, by rename: the supervisor acts on a .txt only,
 * so the JSON beside it is always complete. Any failure returns false and the caller writes the
 * text to the log as it would without defer_text: a report is never lost, and never shown twice
 * (a pair whose text could not be written loses its JSON too). errno is left as it was.
 */
#include "tl_defer.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "tl_file.h"
#include "tl_options.h"

static _Atomic unsigned live_seq;

bool tl_defer_dir(const struct tl_options *o, bool live, char *dir, size_t n)
{
    return o->defer_text[0] != '\0' && o->report[0] != '\0' && (!live || o->defer_live) &&
           tl_options_expand_path(o->defer_text, dir, n) >= 0;
}

bool tl_defer_last(const char *dir, const char *file_kind, const char *text, size_t len)
{
    char name[128];
    int saved = errno;
    snprintf(name, sizeof name, "taskleak.%d.%s.txt", (int)getpid(), file_kind);
    bool ok = tl_file_write_atomic(dir, name, text, len) == 0;
    errno = saved;
    return ok;
}

bool tl_defer_live(const char *dir, const char *json, size_t jlen, const char *text, size_t len)
{
    char name[96];
    int saved = errno;
    unsigned seq = atomic_fetch_add(&live_seq, 1) + 1;
    snprintf(name, sizeof name, "live.%d.%06u.json", (int)getpid(), seq);
    bool ok = json != NULL && tl_file_write_atomic(dir, name, json, jlen) == 0;
    if (ok) {
        snprintf(name, sizeof name, "live.%d.%06u.txt", (int)getpid(), seq);
        ok = tl_file_write_atomic(dir, name, text, len) == 0;
        if (!ok) { /* no text, no pair: the caller logs the text instead */
            char path[TL_OPT_PATH_MAX + 96];
            snprintf(path, sizeof path, "%s/live.%d.%06u.json", dir, (int)getpid(), seq);
            unlink(path);
        }
    }
    errno = saved;
    return ok;
}
