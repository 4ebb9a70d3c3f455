/*
 * Lock-order inversions under the detector (issue 16), on tests/scenarios/thr_lockorder.c: code
 * paths that take locks in opposite orders, in runs that never hang, are reported as one
 * inversion naming every lock, and per edge the unit and the stacks where each lock was taken; the
 * run fails with exitcode while the program's own output is unchanged. Consistent orders, readers
 * on both sides, reused heap locks, recursive relocking, trylock back-off and gate locks report
 * nothing; so do the same cases run in a process that never creates a thread (the wrappers'
 * single-threaded fast path). lock_order=0 turns it off; an inversion: suppression silences it and
 * is counted. gor mutexes held by tasks that park in between invert like pthread mutexes
 * (gor_lockorder.c).
 *
 * Expectations are rows of data; every test is one sentence over a row.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define OPTS "grace=100ms:threshold=0"

struct lo_case {
    const char *name;  /* the scenario's argument */
    int locks;         /* locks in the one inversion expected, 0 = none */
    const char *kind;  /* the locks' kind word in their names */
    const char *path1; /* a function in some edge's acquiring stack */
    const char *path2; /* another, on the other code path */
};

static const struct lo_case CASES[] = {
    {"abba", 2, "mutex", "path_ab", "path_ba"},
    {"abba-fixed", 0, NULL, NULL, NULL},
    {"three", 3, "mutex", "path_bc", "path_ca"},
    {"three-fixed", 0, NULL, NULL, NULL},
    {"mtx", 2, "mtx", "mtx_ab", "mtx_ba"},
    {"rw", 2, "rwlock", "write_ab", "read_ba"},
    {"rw-read", 0, NULL, NULL, NULL},
    {"heap", 0, NULL, NULL, NULL},
    {"recursive", 0, NULL, NULL, NULL},
    {"trylock", 0, NULL, NULL, NULL},
    {"gate", 0, NULL, NULL, NULL},
    {"abba-main", 2, "mutex", "path_ab_often", "path_ba"},
    {"abba-main-fixed", 0, NULL, NULL, NULL},
    {"heap-main", 0, NULL, NULL, NULL},
    {"recursive-main", 0, NULL, NULL, NULL},
    {"errorcheck-main", 2, "mutex", "path_ab", "path_ba"},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

static json_t *run_case(struct th_run *r, const char *name, const char *options, int want_status)
{
    const char *argv[] = {name, NULL};
    struct th_opts o = {.prog = "thr_lockorder", .argv = argv, .options = options};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out", name);
    ck_assert_msg(r->status == want_status, "%s exited %d, want %d; stderr:\n%s", name, r->status,
                  want_status, r->err);
    char want_out[64];
    snprintf(want_out, sizeof want_out, "ok %s\n", name);
    ck_assert_str_eq(r->out, want_out);
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "%s wrote no exit report; stderr:\n%s", name, r->err);
    return rep;
}

/* Whether some edge of inv has function fn in its acquiring or its holding stack. */
static bool edge_stack_has(json_t *rep, json_t *inv, const char *fn)
{
    json_t *edges = json_object_get(inv, "edges");
    for (size_t k = 0; k < json_array_size(edges); k++) {
        json_t *e = json_array_get(edges, k);
        if (th_stack_has(rep, json_object_get(e, "acquired_stack"), fn) ||
            th_stack_has(rep, json_object_get(e, "held_stack"), fn))
            return true;
    }
    return false;
}

/* Each edge takes what the previous one held, the cycle closes, and every unit is a `kind`. */
static void assert_cycle_of(json_t *inv, int locks, const char *kind)
{
    json_t *edges = json_object_get(inv, "edges");
    ck_assert_int_eq(json_array_size(edges), locks);
    ck_assert_int_eq(json_array_size(json_object_get(inv, "objects")), locks);
    for (int k = 0; k < locks; k++) {
        json_t *e = json_array_get(edges, (size_t)k);
        json_t *next = json_array_get(edges, (size_t)((k + 1) % locks));
        ck_assert_str_eq(th_str(e, "acquired"), th_str(next, "held"));
        ck_assert_msg(strncmp(th_str(e, "unit"), kind, strlen(kind)) == 0, "unit %s",
                      th_str(e, "unit"));
        ck_assert(json_is_integer(json_object_get(e, "held_stack")));
        ck_assert(json_is_integer(json_object_get(e, "acquired_stack")));
    }
}

START_TEST(each_lock_order_case_reports_exactly_its_inversions)
{
    const struct lo_case *c = &CASES[_i];
    struct th_run r;
    json_t *rep = run_case(&r, c->name, OPTS, c->locks ? 76 : 0);
    json_t *invs = json_object_get(rep, "inversions");
    ck_assert_msg(json_is_array(invs), "%s: no inversions array", c->name);
    ck_assert_int_eq(json_array_size(invs), c->locks ? 1 : 0);
    ck_assert_int_eq(th_summary(rep, "inversions"), c->locks ? 1 : 0);
    if (c->locks) {
        json_t *inv = json_array_get(invs, 0);
        assert_cycle_of(inv, c->locks, "thread:");
        const char *obj = json_string_value(json_array_get(json_object_get(inv, "objects"), 0));
        ck_assert_msg(strncmp(obj, c->kind, strlen(c->kind)) == 0, "object %s", obj);
        ck_assert(json_is_null(json_object_get(inv, "suppressed")));
        ck_assert_msg(edge_stack_has(rep, inv, c->path1), "%s: %s not in any stack", c->name,
                      c->path1);
        ck_assert_msg(edge_stack_has(rep, inv, c->path2), "%s: %s not in any stack", c->name,
                      c->path2);
        ck_assert_msg(th_contains(r.err, "lock-order inversion (potential deadlock)"), "%s", r.err);
        ck_assert_msg(th_contains(r.err, c->path1) && th_contains(r.err, c->path2), "%s", r.err);
        ck_assert_msg(th_contains(r.err, obj), "%s", r.err);
    }
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* The locks of an inversion are named as wait objects are: by the variable that holds them, the
 * address kept so that two locks never read alike. */
START_TEST(the_locks_of_an_inversion_are_named_by_their_variables)
{
    struct th_run r;
    json_t *rep = run_case(&r, "abba", OPTS, 76);
    json_t *objs = json_object_get(json_array_get(json_object_get(rep, "inversions"), 0), "objects");
    ck_assert_int_eq(json_array_size(objs), 2);
    const char *x = json_string_value(json_array_get(objs, 0));
    const char *y = json_string_value(json_array_get(objs, 1));
    ck_assert_msg((!strncmp(x, "mutex a (0x", 11) && !strncmp(y, "mutex b (0x", 11)) ||
                      (!strncmp(x, "mutex b (0x", 11) && !strncmp(y, "mutex a (0x", 11)),
                  "objects %s, %s", x, y);
    char line[200];
    snprintf(line, sizeof line, "holds %s and takes %s", x, y);
    ck_assert_msg(th_contains(r.err, line), "no '%s' in:\n%s", line, r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_held_stack_is_where_the_first_lock_was_taken)
{
    struct th_run r;
    json_t *rep = run_case(&r, "abba", OPTS, 76);
    json_t *e = json_array_get(json_object_get(json_array_get(json_object_get(rep, "inversions"),
                                                              0),
                                               "edges"),
                               0);
    json_t *held = json_object_get(th_stack(rep, json_object_get(e, "held_stack")), "frames");
    json_t *acq = json_object_get(th_stack(rep, json_object_get(e, "acquired_stack")), "frames");
    ck_assert_str_eq(th_str(json_array_get(held, 0), "function"), "lock_pair");
    ck_assert_str_eq(th_str(json_array_get(acq, 0), "function"), "lock_pair");
    ck_assert_str_ne(th_str(json_array_get(held, 0), "ip"), th_str(json_array_get(acq, 0), "ip"));
    ck_assert_str_eq(th_str(json_array_get(held, 1), "function"),
                     th_str(json_array_get(acq, 1), "function"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(lock_order_0_turns_the_analysis_off)
{
    struct th_run r;
    json_t *rep = run_case(&r, "abba", OPTS ":lock_order=0", 0);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "inversions")), 0);
    ck_assert_int_eq(th_summary(rep, "inversions"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(fail_on_without_inversion_reports_but_keeps_the_status)
{
    struct th_run r;
    json_t *rep = run_case(&r, "abba", OPTS ":fail_on=leaked", 0);
    ck_assert_int_eq(th_summary(rep, "inversions"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(an_inversion_suppression_matching_either_path_silences_it)
{
    static const char *const globs[] = {"path_ba", "path_a?"};
    for (int k = 0; k < 2; k++) {
        char path[] = "/tmp/tl_lo_supp.XXXXXX", opts[256], line[64];
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        int len = snprintf(line, sizeof line, "inversion:%s\n", globs[k]);
        ck_assert_int_eq(write(fd, line, (size_t)len), len);
        close(fd);
        snprintf(opts, sizeof opts, "%s:suppressions=%s", OPTS, path);
        struct th_run r;
        json_t *rep = run_case(&r, "abba", opts, 0);
        unlink(path);
        json_t *inv = json_array_get(json_object_get(rep, "inversions"), 0);
        line[len - 1] = '\0';
        ck_assert_str_eq(th_str(inv, "suppressed"), line);
        ck_assert_int_eq(th_summary(rep, "inversions"), 0);
        ck_assert_int_eq(th_summary(rep, "suppressed"), 1);
        ck_assert(!th_contains(r.err, "lock-order inversion"));
        json_decref(rep);
        th_run_free(&r);
    }
}
END_TEST

START_TEST(gor_mutexes_taken_in_opposite_orders_by_parking_tasks_invert)
{
    static const char *const fixed[] = {"fixed", NULL};
    for (int twin = 0; twin < 2; twin++) {
        struct th_opts o = {.prog = "gor_lockorder", .argv = twin ? fixed : NULL, .options = OPTS};
        struct th_run r;
        ck_assert_int_eq(th_run(&o, &r), 0);
        ck_assert_msg(!r.timed_out, "timed out");
        ck_assert_msg(r.status == (twin ? 0 : 76), "status %d; stderr:\n%s", r.status, r.err);
        ck_assert_str_eq(r.out, "ok\n");
        json_t *rep = th_report(&r, "exit", r.pid);
        ck_assert_msg(rep != NULL, "no exit report; stderr:\n%s", r.err);
        json_t *invs = json_object_get(rep, "inversions");
        ck_assert_int_eq(json_array_size(invs), twin ? 0 : 1);
        if (!twin) {
            json_t *inv = json_array_get(invs, 0);
            assert_cycle_of(inv, 2, "task:");
            const char *obj = json_string_value(json_array_get(json_object_get(inv, "objects"), 0));
            ck_assert_msg(!strncmp(obj, "gor_mutex a (0x", 15) || !strncmp(obj, "gor_mutex b (0x", 15),
                          "object %s", obj); /* named by the variables holding them */
            ck_assert(edge_stack_has(rep, inv, "task_ab") && edge_stack_has(rep, inv, "task_ba"));
        }
        json_decref(rep);
        th_run_free(&r);
    }
}
END_TEST

Suite *make_scen_lockorder_suite(void)
{
    Suite *s = suite_create("scen_lockorder");
    TCase *tc = tcase_create("lockorder");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, each_lock_order_case_reports_exactly_its_inversions, 0, NCASES);
    tcase_add_test(tc, the_locks_of_an_inversion_are_named_by_their_variables);
    tcase_add_test(tc, the_held_stack_is_where_the_first_lock_was_taken);
    tcase_add_test(tc, lock_order_0_turns_the_analysis_off);
    tcase_add_test(tc, fail_on_without_inversion_reports_but_keeps_the_status);
    tcase_add_test(tc, an_inversion_suppression_matching_either_path_silences_it);
    tcase_add_test(tc, gor_mutexes_taken_in_opposite_orders_by_parking_tasks_invert);
    suite_add_tcase(s, tc);
    return s;
}
