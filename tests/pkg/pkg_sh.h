/*
 * Shell commands for the packaging and integration suites (tests/pkg/): these tests drive whole
 * tools (dpkg-buildpackage, lintian, cmake, ctest, python3), so they run command lines and assert
 * on what the commands printed and how they exited. Header-only: each suite includes it.
 */
#ifndef PKG_SH_H
#define PKG_SH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs the command made from fmt with /bin/sh, stdin from /dev/null; stores what it wrote to
 * stdout (stderr as well when the command says 2>&1) in *out, NUL-terminated, malloc'd, when out
 * is not NULL. Returns the exit status, 128 + signal when killed, -1 when it could not run. */
__attribute__((format(printf, 2, 3))) static inline int pkg_sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd + 2, sizeof cmd - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= sizeof cmd - 16)
        return -1;
    memcpy(cmd, "{ ", 2);
    strcat(cmd, "\n} </dev/null");
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2048) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                break;
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[len] = '\0';
    int st = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The line of text that contains needle (copied into line), or NULL. */
static inline const char *pkg_line_with(const char *text, const char *needle, char *line,
                                        size_t size)
{
    const char *hit = text ? strstr(text, needle) : NULL;
    if (hit == NULL)
        return NULL;
    const char *start = hit;
    while (start > text && start[-1] != '\n')
        start--;
    size_t n = strcspn(start, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(line, start, n);
    line[n] = '\0';
    return line;
}

/* Writes the C source of a small test program: its thread blocks on a pipe forever when run
 * with "leak" (start function reader) or "leak2" (other_reader), and is told to stop and joined
 * with "fixed". Build it with cc -pthread. Returns 0, or -1 when the file could not be written. */
static inline int pkg_write_program(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs("#include <pthread.h>\n#include <string.h>\n#include <unistd.h>\n"
          "static int fds[2];\n"
          "static void *reader(void *a) { char c; (void)a; (void)read(fds[0], &c, 1); return 0; }\n"
          "static void *other_reader(void *a) { return reader(a); }\n"
          "int main(int argc, char **argv) {\n"
          "    pthread_t t; const char *how = argc > 1 ? argv[1] : \"leak\";\n"
          "    if (pipe(fds)) return 2;\n"
          "    pthread_create(&t, 0, strcmp(how, \"leak2\") ? reader : other_reader, 0);\n"
          "    if (strcmp(how, \"fixed\") == 0) {\n"
          "        (void)write(fds[1], \"x\", 1); pthread_join(t, 0);\n    }\n"
          "    return 0;\n}\n",
          f);
    return fclose(f) == 0 ? 0 : -1;
}

#endif
