/* tl_fmt: the shared lines of the text report (see tl_fmt.h).
 *
 * DESIGN. Linked into libtaskleak.so and into taskleak-report (as tl_supp.c is), so the two
 * text reports cannot drift apart line by line. No allocation and no locks: the detector calls
 * it while building a report, with its memstream as the FILE.
 */
#include "tl_fmt.h"

#include <string.h>

const struct tl_fmt_style tl_fmt_plain = {"", "", "", ""};

void tl_fmt_headline(FILE *f, const struct tl_fmt_style *s, long long count, const char *kind,
                     const char *reason, const char *dur, const char *verdict)
{
    bool task = kind != NULL && strcmp(kind, "task") == 0;
    const char *word = task ? (count == 1 ? "task" : "tasks") : (count == 1 ? "thread" : "threads");
    if (verdict != NULL && strcmp(verdict, "unjoined") == 0) {
        fprintf(f, "\n%s%lld %s %sunjoined%s: finished, never joined or detached", s->bold, count,
                word, s->verdict, s->reset);
        return;
    }
    fprintf(f, "\n%s%lld %s [%s%s%s]%s%s%s%s", s->bold, count, word, reason ? reason : "running",
            reason && dur ? ", " : "", reason && dur ? dur : "", verdict ? ": " : "", s->verdict,
            verdict ? verdict : "", s->reset);
}

void tl_fmt_wait(FILE *f, const char *word, const char *name, const char *place, const char *owner,
                 const char *owner_start, bool join)
{
    if (name != NULL)
        fprintf(f, "  waits for %s %s (%s)", word, name, place);
    else
        fprintf(f, "  waits for %s %s", word, place);
    if (owner != NULL && owner[0] != '\0' && !join)
        fprintf(f, ", held by %s%s%s", owner, owner_start ? " " : "",
                owner_start ? owner_start : "");
    fputc('\n', f);
}

void tl_fmt_object(char *buf, size_t n, const char *name, const char *place)
{
    if (name == NULL || name[0] == '\0')
        snprintf(buf, n, "%s", place);
    else if (!strcmp(name, "heap") || !strncmp(name, "stack of ", 9))
        snprintf(buf, n, "%s (%s)", place, name); /* not a name: where it lies, after it */
    else
        snprintf(buf, n, "%s (%s)", name, place);
}

void tl_fmt_blocked_in(FILE *f, const char *call)
{
    fprintf(f, "  blocked in %s:\n", call ? call : "?");
}

void tl_fmt_created(FILE *f, bool main, const char *by, const char *start, const char *label)
{
    if (main) {
        fputs("  created by: main thread\n", f); /* the process's first thread, not created */
        return;
    }
    fprintf(f, "  created by %s%s%s%s%s:\n", by && by[0] ? by : "?", start ? ", start " : "",
            start ? start : "", label && label[0] ? ", label " : "",
            label && label[0] ? label : "");
}

void tl_fmt_frame(FILE *f, const struct tl_fmt_style *s, const struct tl_fmt_frame *fr)
{
    const char *fn = fr->function ? fr->function : "??";
    const char *in = fr->indent ? fr->indent : "    ";
    if (fr->file != NULL) /* "file:line: function", as compilers write places: editors link it */
        fprintf(f, "%s#%-2zu %s%s:%d:%s %s%s\n", in, fr->n, s->dim, fr->file, fr->line, s->reset,
                fn, fr->inlined ? " (inlined)" : "");
    else if (fr->call)
        fprintf(f, "%s#%-2zu %s\n", in, fr->n, fn); /* the blocking call the program made */
    else if (fr->module != NULL)
        fprintf(f, "%s#%-2zu %s %s(%s+0x%llx)%s\n", in, fr->n, fn, s->dim, fr->module, fr->offset,
                s->reset);
    else
        fprintf(f, "%s#%-2zu %s %s(0x%llx)%s\n", in, fr->n, fn, s->dim, fr->offset, s->reset);
}

void tl_fmt_hint(FILE *f, const char *hint)
{
    if (hint != NULL && hint[0] != '\0')
        fprintf(f, "  to silence: suppressions line '%s'\n", hint);
}

void tl_fmt_cycle(FILE *f, size_t nr, const struct tl_fmt_edge *e, size_t n)
{
    if (n == 0)
        return;
    fprintf(f, "taskleak: deadlock %zu: %zu units wait for each other in a cycle:\n  %s ", nr, n,
            e[0].id);
    if (!e[n - 1].join) /* what the last member waits for, the first one holds */
        fprintf(f, "holds %s %s and ", e[n - 1].word, e[n - 1].what);
    for (size_t k = 0; k < n; k++) {
        if (k > 0)
            fputs(",\n  which ", f);
        if (e[k].join)
            fprintf(f, "waits to join %s", e[(k + 1) % n].id);
        else
            fprintf(f, "waits for %s %s held by %s", e[k].word, e[k].what, e[(k + 1) % n].id);
    }
    fputs(".\n", f);
}

void tl_fmt_member(FILE *f, const char *id, const char *name, const char *call, const char *dur)
{
    bool named = name != NULL && name[0] != '\0';
    fprintf(f, "    %s%s%s%s blocked in %s for %s:\n", id, named ? " (" : "", named ? name : "",
            named ? ")" : "", call ? call : "?", dur);
}

void tl_fmt_orphan(FILE *f, size_t nr, const char *owner, const char *word, const char *what,
                   size_t waiters)
{
    fprintf(f,
            "taskleak: deadlock %zu: owner %s exited while holding %s %s; its %zu waiter(s) "
            "can never wake:\n",
            nr, owner, word, what, waiters);
}

void tl_fmt_inversion(FILE *f, size_t nr, const char *const *held, size_t n)
{
    fprintf(f, "\ntaskleak: lock-order inversion (potential deadlock) %zu: %zu locks taken in a "
               "cycle:",
            nr, n);
    for (size_t e = 0; e < n; e++)
        fprintf(f, " %s ->", held[e] ? held[e] : "?");
    fprintf(f, " %s", n && held[0] ? held[0] : "?");
}

void tl_fmt_inversion_edge(FILE *f, const char *unit, const char *held, const char *acquired)
{
    fprintf(f, "  %s holds %s and takes %s\n", unit ? unit : "?", held ? held : "?",
            acquired ? acquired : "?");
}

void tl_fmt_taken_at(FILE *f, const char *lock)
{
    fprintf(f, "   %s taken at:\n", lock ? lock : "?");
}

bool tl_fmt_system_module(const char *path)
{
    static const char *const prefixes[] = {"libc.so",     "libc-",     "ld-linux",   "ld.so",
                                           "ld64.so",     "libstdc++", "libgcc_s",   "libpthread",
                                           "libtaskleak", "libgor",    "linux-vdso", "libunwind",
                                           "libasan",     "libubsan",  "libtsan",    "liblsan"};
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

bool tl_fmt_startup_function(const char *fn)
{
    return strncmp(fn, "gor_", 4) == 0 || strcmp(fn, "_start") == 0 ||
           strncmp(fn, "__libc_", 7) == 0;
}
