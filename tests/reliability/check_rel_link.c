/*
 * Hostile hosts (docs/hostile-hosts.md), programs run or linked unusually: set-user-ID programs
 * (the loader drops LD_PRELOAD; /etc/ld.so.preload finds the detector inert), static and 32-bit
 * programs the supervisor refuses, -z now -fno-plt binaries, and another preload before or after
 * ours.
 * Where the detector must be invisible the run is compared byte for byte with a run without it;
 * where it must see something the JSON report is checked.
 */
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_test.h"

/* ---- case 43: set-user-ID programs ---- */

/* Runs NAME (copied into dir by rel_nobody_copies) as user nobody through setpriv (root only), with
 * dir's copy of the detector in LD_PRELOAD. */
static void run_as_nobody(struct th_run *r, const char *dir, const char *name)
{
    char prog[1100], preload[2300], opts[600];
    snprintf(prog, sizeof prog, "%s/%s", dir, name);
    const char *asan = th_sanitizer_preload();
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s/libtaskleak.so", asan, asan[0] ? " " : "",
             dir);
    snprintf(opts, sizeof opts, "TASKLEAK_OPTIONS=%s", REL_OPTS);
    const char *args[] = {"--reuid=65534", "--regid=65534", "--clear-groups", prog, NULL};
    const char *env[] = {preload, opts, NULL};
    struct th_opts o = {
        .prog = "/usr/bin/setpriv", .argv = args, .no_preload = true, .env = env, .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert(!r->timed_out);
}

START_TEST(a_setuid_program_runs_without_the_detector_and_its_status_is_untouched)
{
    if (getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
        fprintf(stderr, "skipped: needs root and setpriv to run a set-user-ID program\n");
        return;
    }
    const char *progs[] = {"rel_leak", "rel_leak_suid", NULL};
    char dir[64];
    rel_nobody_copies(dir, sizeof dir, progs);
    struct th_run r;
    run_as_nobody(&r, dir, "rel_leak"); /* control: an ordinary copy does load the detector */
    ck_assert_msg(r.status == 76, "control run: status %d; stderr:\n%s", r.status, r.err);
    th_run_free(&r);
    run_as_nobody(&r, dir, "rel_leak_suid");
    ck_assert_msg(r.status == 0, "set-user-ID run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "leak program done\n");
    ck_assert_msg(!th_contains(r.err, "taskleak"), "the detector spoke:\n%s", r.err);
    ck_assert_int_eq(th_count_reports(&r, NULL), 0);
    th_run_free(&r);
    rel_nobody_copies_remove(dir);
}
END_TEST

/* Runs rel_secure (or its set-user-ID copy) as nobody in a private mount namespace whose /etc has
 * an ld.so.preload listing the detector (an overlay: the machine's /etc is never touched). The
 * programs and the detector are run from copies in dir/bin, which nobody can read wherever the
 * checkout sits (rel_nobody_copies). The
 * options are hostile for a privileged process: a report directory anyone may write and an exit
 * status of 99. (No verbosity: setpriv, which execs the program in the same pid, runs as real
 * root with a live detector and would print its start line.) */
static void run_with_ld_so_preload(struct th_run *r, const char *dir, const char *name)
{
    char script[4096], opts[1200];
    snprintf(script, sizeof script,
             "mount --make-rprivate / && "
             "mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/up,workdir=%s/work /etc && "
             "exec setpriv --reuid=65534 --regid=65534 --clear-groups %s/bin/%s",
             dir, dir, dir, name);
    snprintf(opts, sizeof opts, "TASKLEAK_OPTIONS=report=%s/rep:exitcode=99:grace=50ms", dir);
    const char *args[] = {"-m", "/bin/sh", "-c", script, NULL};
    const char *env[] = {opts, NULL};
    struct th_opts o = {
        .prog = "/usr/bin/unshare", .argv = args, .no_preload = true, .env = env, .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert(!r->timed_out);
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

START_TEST(a_setuid_program_with_the_detector_in_ld_so_preload_finds_it_inert)
{
    if (TH_SANITIZE || getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 ||
        access("/usr/bin/unshare", X_OK) != 0) {
        /* SANITIZE: the ASan runtime would have to lead /etc/ld.so.preload too */
        fprintf(stderr, "skipped: needs root, setpriv and unshare, and a build without ASan\n");
        return;
    }
    char dir[] = "/tmp/rel-ldsopreload-XXXXXX", path[1200];
    ck_assert(mkdtemp(dir) != NULL);
    const char *subdirs[] = {"up", "work", "rep"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
    }
    snprintf(path, sizeof path, "%s/rep", dir);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_int_eq(chmod(path, 01777), 0);
    const char *progs[] = {"rel_secure", "rel_secure_suid", NULL};
    char bin[64], cmd[1400];
    rel_nobody_copies(bin, sizeof bin, progs);
    snprintf(cmd, sizeof cmd, "mv %s %s/bin", bin, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/up/ld.so.preload", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "%s/bin/libtaskleak.so\n", dir);
    fclose(f);
    snprintf(path, sizeof path, "%s/rep", dir);

    struct th_run r;
    /* Control: an ordinary copy gets a live detector from /etc/ld.so.preload and these options. */
    run_with_ld_so_preload(&r, dir, "rel_secure");
    ck_assert_msg(r.status == 99, "control run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "detector mapped: yes\nSIGUSR2 handler: installed\nthreads: 3\n");
    ck_assert_int_eq(count_entries(path), 1);
    th_run_free(&r);

    /* The set-user-ID copy runs with euid root: the detector is mapped but does nothing at all. */
    char rm[1400];
    snprintf(rm, sizeof rm, "rm -f %s/*", path);
    ck_assert_int_eq(system(rm), 0);
    run_with_ld_so_preload(&r, dir, "rel_secure_suid");
    ck_assert_msg(r.status == 0, "set-user-ID run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "detector mapped: yes\nSIGUSR2 handler: default\nthreads: 2\n");
    ck_assert_msg(!th_contains(r.err, "taskleak"), "the detector spoke:\n%s", r.err);
    ck_assert_int_eq(count_entries(path), 0);
    th_run_free(&r);
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    ck_assert_int_eq(system(rm), 0);
}
END_TEST

/* ---- cases 50, 51, 54: static, link variants, preload chains ---- */

START_TEST(the_supervisor_refuses_a_static_binary_and_fails_closed)
{
    struct th_opts o = {.prog = rel_prog("rel_static"), .via_cli = true, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert_msg(th_contains(r.err, "statically linked"), "stderr:\n%s", r.err);
    ck_assert_str_eq(r.out, "");
    th_run_free(&r);
}
END_TEST

START_TEST(the_supervisor_refuses_a_32_bit_program_and_fails_closed)
{
    struct th_opts o = {.prog = rel_prog("rel_elf32"), .via_cli = true, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert_msg(th_contains(r.err, "is a 32-bit program") &&
                      th_contains(r.err, "nothing would be checked"),
                  "stderr:\n%s", r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_eq(th_count_reports(&r, NULL), 0);
    th_run_free(&r);
}
END_TEST

START_TEST(a_z_now_fno_plt_binary_is_fully_intercepted)
{
    struct th_run r;
    rel_run(&r, "rel_leak_now", NULL, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_group_count(rep, "leaked", "mutex lock"), 1);
    ck_assert_int_eq(th_group_count(rep, "leaked", "cond wait"), 1);
    json_t *g = th_group(rep, "leaked", "mutex lock");
    ck_assert(th_stack_has(rep, json_object_get(g, "created_stack"), "main"));
    json_decref(rep);
    th_run_free(&r);
    const char *fixed[] = {"fixed", NULL};
    rel_run(&r, "rel_leak_now", fixed, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 0);
    rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(another_preload_before_or_after_ours_and_both_tools_work)
{
    char shim[1024], ours[1024], chain[2100], env_preload[2200];
    snprintf(shim, sizeof shim, "%s", th_path("tests/reliability/librelshim.so"));
    snprintf(ours, sizeof ours, "%s", th_path("lib/libtaskleak.so"));
    if (_i == 0)
        snprintf(chain, sizeof chain, "%s:%s", shim, ours);
    else
        snprintf(chain, sizeof chain, "%s:%s", ours, shim);
    snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s%s%s", th_sanitizer_preload(),
             th_sanitizer_preload()[0] ? ":" : "", chain);
    const char *env[] = {env_preload, "TASKLEAK_OPTIONS=" REL_OPTS, NULL};
    struct th_opts o = {
        .prog = rel_prog("rel_leak"), .no_preload = true, .env = env, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "timed out");
    ck_assert_msg(r.status == 76, "order %d: status %d; stderr:\n%.1500s", _i, r.status, r.err);
    ck_assert_str_eq(r.out, "leak program done\n");
    ck_assert_msg(th_contains(r.err, "rel_shim: creates=2 locks>0=1"), "shim: %.1500s", r.err);
    ck_assert_msg(th_contains(r.err, "SUMMARY: taskleak: 2 leaked"), "ours: %.1500s", r.err);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_link_suite(void)
{
    Suite *s = suite_create("rel_link");
    TCase *hosts = tcase_create("hosts");
    tcase_set_timeout(hosts, 150);
    tcase_add_test(hosts, a_setuid_program_runs_without_the_detector_and_its_status_is_untouched);
    tcase_add_test(hosts, a_setuid_program_with_the_detector_in_ld_so_preload_finds_it_inert);
    tcase_add_test(hosts, the_supervisor_refuses_a_static_binary_and_fails_closed);
    tcase_add_test(hosts, the_supervisor_refuses_a_32_bit_program_and_fails_closed);
    tcase_add_test(hosts, a_z_now_fno_plt_binary_is_fully_intercepted);
    tcase_add_loop_test(hosts, another_preload_before_or_after_ours_and_both_tools_work, 0, 2);
    suite_add_tcase(s, hosts);
    return s;
}
