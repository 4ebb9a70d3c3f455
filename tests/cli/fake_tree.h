/*
 * Small source trees built in /tmp for the tests of the tree's own static checks (the layer check,
 * the options check): each test builds a tree that passes, adds one fault, and expects the check
 * to fail naming it, so a check cannot pass by accident. Header-only, for those suites.
 */
#ifndef FAKE_TREE_H
#define FAKE_TREE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* Writes text to root/rel, making its folders. */
static inline void ft_put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *s = strchr(path + strlen(root) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static inline void ft_remove(const char *root)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* Builds the clean tree (clean), checks that it passes (run), adds one fault (text at rel) and
 * expects the check to fail with status 1 naming `want`. */
static inline void ft_expect_fault(void (*clean)(char *root, size_t n),
                                   void (*run)(struct th_run *r, const char *root), const char *rel,
                                   const char *text, const char *want)
{
    char root[64];
    struct th_run r;
    clean(root, sizeof root);
    run(&r, root);
    ck_assert_msg(r.status == 0, "the clean tree fails:\n%s", r.err);
    th_run_free(&r);
    ft_put(root, rel, text);
    run(&r, root);
    ck_assert_msg(r.status == 1 && th_contains(r.err, want), "status %d, wanted \"%s\" in:\n%s",
                  r.status, want, r.err);
    th_run_free(&r);
    ft_remove(root);
}

#endif /* FAKE_TREE_H */
