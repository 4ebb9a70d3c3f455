/* tl_options_doc: everything tl_options prints from its table: help=1, the "options" object of
 * reports, and the generated documentation (man(7) entries for taskleak.7, the README table).
 *
 * DESIGN. These outputs are the reason the options live in one X-macro table (one table, one
 * source):
 * each is a loop over tl_opt_table, so a new option appears in all of them at once. Help and
 * documentation go straight to a descriptor with write(2) (help runs in the constructor, before
 * the host's stdio may be usable); errno is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tl_json.h"
#include "tl_options.h"
#include "tl_options_int.h"

static void write_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static const char *const kind_words[] = {
    [TL_K_DURATION] = "duration", [TL_K_BOOL] = "bool",     [TL_K_INT] = "integer",
    [TL_K_PATH] = "path",         [TL_K_GLOBS] = "globs",   [TL_K_SIGNAL] = "signal",
    [TL_K_VERDICTS] = "verdicts", [TL_K_ACTION] = "action",
};

void tl_options_help(int fd)
{
    char line[1024];
    int saved = errno;
    write_str(fd, "taskleak: TASKLEAK_OPTIONS: key=value pairs separated by ':' or ','\n");
    for (size_t i = 0; i < tl_opt_count; i++) {
        const struct tl_opt_desc *d = &tl_opt_table[i];
        snprintf(line, sizeof line, "taskleak:   %-13s %-9s default %-8s %s\n", d->key,
                 kind_words[d->kind], d->def[0] ? d->def : "unset", d->help);
        write_str(fd, line);
    }
    errno = saved;
}

void tl_options_json(const struct tl_options *o, struct tl_json *j)
{
    for (size_t i = 0; i < tl_opt_count; i++) {
        const struct tl_opt_desc *d = &tl_opt_table[i];
        const void *f = tl_opt_field(o, d);
        switch (d->kind) {
        case TL_K_DURATION:
            tl_json_int(j, d->field, *(const int64_t *)f);
            break;
        case TL_K_BOOL:
            tl_json_bool(j, d->field, *(const bool *)f);
            break;
        case TL_K_INT:
            tl_json_int(j, d->field, *(const int *)f);
            break;
        case TL_K_PATH:
        case TL_K_GLOBS:
            tl_json_str(j, d->field, *(const char *)f ? f : NULL);
            break;
        case TL_K_SIGNAL:
            if (*(const int *)f && tl_signal_name(*(const int *)f))
                tl_json_str(j, d->field, tl_signal_name(*(const int *)f));
            else
                tl_json_int(j, d->field, *(const int *)f);
            break;
        case TL_K_ACTION:
            tl_json_str(j, d->field, tl_action_names[*(const int *)f]);
            break;
        case TL_K_VERDICTS:
            tl_json_arr_begin(j, d->field);
            for (unsigned b = 1; tl_verdict_name(b) != NULL; b <<= 1)
                if (*(const unsigned *)f & b)
                    tl_json_str(j, NULL, tl_verdict_name(b));
            tl_json_arr_end(j);
            break;
        }
    }
}

/* man(7): a backslash must be written "\\e", and a line that starts with '.' or '\'' would be read
 * as a request, so such a start gets the zero-width "\\&". */
static void man_escaped(int fd, const char *s)
{
    char buf[2] = {0, 0};
    if (*s == '.' || *s == '\'')
        write_str(fd, "\\&");
    for (; *s; s++) {
        buf[0] = *s;
        write_str(fd, *s == '\\' ? "\\e" : buf);
    }
}

static void doc_man(int fd, const struct tl_opt_desc *d)
{
    write_str(fd, ".TP\n.BI ");
    man_escaped(fd, d->key);
    write_str(fd, "= ");
    write_str(fd, kind_words[d->kind]);
    write_str(fd, "\n");
    man_escaped(fd, d->help);
    write_str(fd, ".\nDefault: ");
    if (d->def[0]) {
        write_str(fd, "\\fB");
        write_str(fd, d->def);
        write_str(fd, "\\fR.\n");
    } else {
        write_str(fd, "unset.\n");
    }
}

/* Markdown: '<' '>' would read as HTML, '*' as emphasis and '|' would split the table cell. */
static void md_escaped(int fd, const char *s)
{
    char buf[2] = {0, 0};
    for (; *s; s++) {
        buf[0] = *s;
        write_str(fd, *s == '<'   ? "&lt;"
                      : *s == '>' ? "&gt;"
                      : *s == '*' ? "\\*"
                      : *s == '|' ? "\\|"
                                  : buf);
    }
}

static void doc_markdown(int fd, const struct tl_opt_desc *d)
{
    char line[256];
    snprintf(line, sizeof line, "| `%s` | %s | %s%s%s | ", d->key, kind_words[d->kind],
             d->def[0] ? "`" : "", d->def[0] ? d->def : "unset", d->def[0] ? "`" : "");
    write_str(fd, line);
    md_escaped(fd, d->help);
    write_str(fd, " |\n");
}

void tl_options_doc(int fd, enum tl_doc_format f)
{
    int saved = errno;
    if (f == TL_DOC_MARKDOWN)
        write_str(fd, "| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for (size_t i = 0; i < tl_opt_count; i++) {
        if (f == TL_DOC_MAN)
            doc_man(fd, &tl_opt_table[i]);
        else
            doc_markdown(fd, &tl_opt_table[i]);
    }
    errno = saved;
}
