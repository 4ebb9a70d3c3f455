/*
 * The Debian packages (debian/, `make deb`). A copy of the source tree is built with
 * `DEB_BUILD_OPTIONS=nocheck make deb` once, in the parent process (an unchecked fixture: the
 * build takes a minute or two and `make check` is what the package build would run anyway); the
 * tests then read the .debs as a user would get them: their files and links, control fields
 * (Depends, Multi-Arch), libgor's SONAME, a program built and linked against libgor-dev, the
 * installed `taskleak` command gating a leaky program and passing its fixed twin (and found by
 * the installed TaskleakConfig.cmake), and lintian reporting no error. dpkg-buildpackage,
 * debhelper, fakeroot and lintian come from the dependency step (scripts/deps.sh); without them
 * these tests fail, naming what is missing.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pkg_sh.h"

static char work[64];       /* the temporary directory: src/, the .debs, root/ */
static char multiarch[128]; /* x86_64-linux-gnu */
static char build_error[512];
static const char *const debs[] = {"taskleak", "libgor0", "libgor-dev"};

/* Builds the packages once for the whole suite; a failure is recorded for the tests to report. */
static void build_packages(void)
{
    strcpy(work, "/tmp/tl-deb.XXXXXX");
    if (mkdtemp(work) == NULL) {
        snprintf(build_error, sizeof build_error, "mkdtemp failed");
        return;
    }
    char *out = NULL;
    if (pkg_sh(NULL, "command -v dpkg-buildpackage && command -v dh && command -v fakeroot && "
                     "command -v lintian >/dev/null") != 0) {
        snprintf(build_error, sizeof build_error,
                 "dpkg-buildpackage, dh, fakeroot or lintian is missing (make deps installs "
                 "them: apt-get install dpkg-dev debhelper fakeroot lintian)");
        return;
    }
    if (pkg_sh(&out, "dpkg-architecture -qDEB_HOST_MULTIARCH") != 0 || out == NULL ||
        sscanf(out, "%127s", multiarch) != 1)
        snprintf(build_error, sizeof build_error, "dpkg-architecture failed");
    free(out);
    if (build_error[0])
        return;
    /* The tree without build directories or package staging, then the build, with a clean make
     * environment (the runner may itself run under make, or under a package build). */
    int rc = pkg_sh(
        NULL,
        "mkdir %s/src && tar -C %s --exclude=./.git --exclude='./build*' "
        "--exclude=./debian/build --exclude=./debian/tmp --exclude=./debian/.debhelper "
        "--exclude=./debian/taskleak --exclude=./debian/libgor0 "
        "--exclude=./debian/libgor-dev -cf - . | tar -C %s/src -xf - && "
        "cd %s/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u SANITIZE -u CFLAGS "
        "-u LDFLAGS DEB_BUILD_OPTIONS='nocheck parallel=2' make deb >%s/build.log 2>&1",
        work, TH_SRC_DIR, work, work, work);
    if (rc != 0) {
        snprintf(build_error, sizeof build_error, "make deb exited %d; see %s/build.log", rc, work);
        return;
    }
    for (size_t i = 0; i < sizeof debs / sizeof debs[0]; i++) {
        if (pkg_sh(NULL, "dpkg-deb -x %s/%s_*_amd64.deb %s/root", work, debs[i], work) != 0)
            snprintf(build_error, sizeof build_error, "%s: no .deb, or dpkg-deb -x failed",
                     debs[i]);
    }
}

static void remove_work(void)
{
    if (work[0] && !build_error[0])
        (void)pkg_sh(NULL, "rm -rf %s", work);
}

static void need_packages(void)
{
    ck_assert_msg(build_error[0] == '\0', "the package build failed: %s", build_error);
}

/* dpkg-deb -c of a package: one "type path [-> target]" line per entry. */
static char *contents(const char *pkg)
{
    char *out = NULL;
    int rc = pkg_sh(&out,
                    "dpkg-deb -c %s/%s_*_amd64.deb | "
                    "awk '{t = substr($1, 1, 1); $1 = $2 = $3 = $4 = $5 = \"\"; "
                    "sub(/^ +/, \"\"); print t, $0}'",
                    work, pkg);
    ck_assert_msg(rc == 0 && out != NULL, "dpkg-deb -c %s failed", pkg);
    return out;
}

static char *field(const char *pkg, const char *name)
{
    char *out = NULL;
    int rc = pkg_sh(&out, "dpkg-deb -f %s/%s_*_amd64.deb %s", work, pkg, name);
    ck_assert_msg(rc == 0 && out != NULL, "dpkg-deb -f %s %s failed", pkg, name);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* Asserts that the listing has the entry "<type> ./<path>" (path may hold %s for multiarch). */
static void has_entry(const char *list, const char *pkg, char type, const char *path_fmt)
{
    char path[512], want[600];
    snprintf(path, sizeof path, path_fmt, multiarch);
    snprintf(want, sizeof want, "\n%c ./%s", type, path);
    char padded[strlen(list) + 2];
    snprintf(padded, sizeof padded, "\n%s", list);
    ck_assert_msg(strstr(padded, want) != NULL, "%s: no %s entry %s in:\n%s", pkg,
                  type == 'l' ? "link" : "file", path, list);
}

START_TEST(taskleak_holds_the_command_tools_preload_library_and_man_pages)
{
    need_packages();
    char *list = contents("taskleak");
    has_entry(list, "taskleak", '-', "usr/bin/taskleak");
    has_entry(list, "taskleak", '-', "usr/bin/taskleak-report");
    has_entry(list, "taskleak", '-', "usr/bin/taskleak-attach");
    has_entry(list, "taskleak", '-', "usr/libexec/taskleak/taskleak-supervise");
    has_entry(list, "taskleak", '-', "usr/lib/%s/libtaskleak.so");
    has_entry(list, "taskleak", '-', "usr/include/taskleak.h");
    has_entry(list, "taskleak", '-', "usr/share/man/man1/taskleak.1.gz");
    has_entry(list, "taskleak", '-', "usr/share/man/man1/taskleak-report.1.gz");
    has_entry(list, "taskleak", '-', "usr/share/man/man1/taskleak-attach.1.gz");
    has_entry(list, "taskleak", '-', "usr/share/man/man7/taskleak.7.gz");
    has_entry(list, "taskleak", '-', "usr/share/doc/taskleak/copyright");
    has_entry(list, "taskleak", '-', "usr/share/cmake/Taskleak/TaskleakConfig.cmake");
    ck_assert_msg(strstr(list, "libgor") == NULL, "libgor belongs to its own packages:\n%s", list);
    free(list);
    char *dep = field("taskleak", "Depends");
    const char *libs[] = {"libc6", "libunwind8", "libdw1", "libelf1", "libjansson4"};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
        ck_assert_msg(strstr(dep, libs[i]) != NULL, "taskleak Depends lacks %s: %s", libs[i], dep);
    free(dep);
}
END_TEST

START_TEST(libgor0_holds_the_versioned_library_under_its_soname)
{
    need_packages();
    char *list = contents("libgor0");
    has_entry(list, "libgor0", '-', "usr/lib/%s/libgor.so.0.1.0");
    has_entry(list, "libgor0", 'l', "usr/lib/%s/libgor.so.0 -> libgor.so.0.1.0");
    ck_assert_msg(strstr(list, "libgor.so ") == NULL && strstr(list, "gor.h") == NULL,
                  "development files in libgor0:\n%s", list);
    free(list);
    char *out = NULL;
    ck_assert_int_eq(
        pkg_sh(&out, "readelf -dW %s/root/usr/lib/%s/libgor.so.0.1.0", work, multiarch), 0);
    ck_assert_msg(strstr(out, "Library soname: [libgor.so.0]") != NULL, "SONAME:\n%s", out);
    free(out);
    char *ma = field("libgor0", "Multi-Arch");
    ck_assert_str_eq(ma, "same");
    free(ma);
    char *dep = field("libgor0", "Depends");
    ck_assert_msg(strstr(dep, "libc6") != NULL, "libgor0 Depends: %s", dep);
    free(dep);
}
END_TEST

START_TEST(libgor_dev_builds_a_program_that_runs_against_libgor0)
{
    need_packages();
    char *list = contents("libgor-dev");
    has_entry(list, "libgor-dev", '-', "usr/include/gor.h");
    has_entry(list, "libgor-dev", '-', "usr/include/gor_introspect.h");
    has_entry(list, "libgor-dev", '-', "usr/lib/%s/libgor.a");
    has_entry(list, "libgor-dev", 'l', "usr/lib/%s/libgor.so -> libgor.so.0");
    has_entry(list, "libgor-dev", '-', "usr/lib/%s/pkgconfig/gor.pc");
    has_entry(list, "libgor-dev", '-', "usr/share/man/man3/gor.3.gz");
    free(list);
    char *dep = field("libgor-dev", "Depends");
    ck_assert_msg(strstr(dep, "libgor0 (= 0.1.0)") != NULL, "libgor-dev Depends: %s", dep);
    free(dep);

    /* gor.pc names the multiarch directory; a program built with its flags (rebased on the
     * unpacked tree) needs libgor.so.0 and runs against it. */
    char *out = NULL;
    ck_assert_int_eq(pkg_sh(&out,
                            "PKG_CONFIG_PATH=%s/root/usr/lib/%s/pkgconfig "
                            "pkg-config --variable=libdir gor",
                            work, multiarch),
                     0);
    char want[256];
    snprintf(want, sizeof want, "/usr/lib/%s\n", multiarch);
    ck_assert_str_eq(out, want);
    free(out);
    char path[128];
    snprintf(path, sizeof path, "%s/hello.c", work);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#include <gor.h>\n#include <stdio.h>\n"
          "static void hi(void *arg) { long v = 42; gor_chan_send(arg, &v); }\n"
          "static void run(void *arg) {\n"
          "    gor_chan *c = gor_chan_make(sizeof(long), 0); long v = 0;\n"
          "    gor_go(hi, c); gor_chan_recv(c, &v);\n"
          "    printf(\"got %ld\\n\", v); *(long *)arg = v;\n}\n"
          "int main(void) { long v = 0; gor_main(run, &v); return v == 42 ? 0 : 1; }\n",
          f);
    ck_assert_int_eq(fclose(f), 0);
    int rc = pkg_sh(&out,
                    "cd %s && cc -o hello hello.c -I root/usr/include -L root/usr/lib/%s "
                    "$(PKG_CONFIG_PATH=root/usr/lib/%s/pkgconfig pkg-config --libs gor) 2>&1 && "
                    "readelf -dW hello | grep NEEDED && LD_LIBRARY_PATH=root/usr/lib/%s ./hello",
                    work, multiarch, multiarch, multiarch);
    ck_assert_msg(rc == 0, "build or run against libgor-dev failed (%d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "Shared library: [libgor.so.0]") && strstr(out, "got 42"),
                  "output:\n%s", out);
    free(out);
}
END_TEST

START_TEST(the_installed_command_finds_its_pieces_and_gates_a_leak)
{
    need_packages();
    char *out = NULL;
    ck_assert_int_eq(
        pkg_sh(&out, "grep -E \"^TL_(LIBDIR|LIBEXECDIR)=\" %s/root/usr/bin/taskleak", work), 0);
    char want[512];
    snprintf(want, sizeof want, "TL_LIBDIR='/usr/lib/%s'\nTL_LIBEXECDIR='/usr/libexec/taskleak'\n",
             multiarch);
    ck_assert_str_eq(out, want);
    free(out);

    char src[128];
    snprintf(src, sizeof src, "%s/leaky.c", work);
    ck_assert_int_eq(pkg_write_program(src), 0);
    ck_assert_int_eq(pkg_sh(NULL, "cc -pthread -o %s/leaky %s", work, src), 0);
    /* Away from any checkout, without a build directory: the unpacked tree's own pieces. */
    const char *run = "cd / && env -u TASKLEAK_BUILD_DIR -u LD_PRELOAD -u TASKLEAK_OPTIONS "
                      "%s/root/usr/bin/taskleak run --grace 100ms --report %s/rep%s -- "
                      "%s/leaky %s 2>&1";
    int rc = pkg_sh(&out, run, work, work, "1", work, "leak");
    ck_assert_msg(rc == 76, "leaky program: status %d, expected 76:\n%s", rc, out);
    ck_assert_msg(strstr(out, "reader") != NULL, "the leaked thread is not named:\n%s", out);
    free(out);
    rc = pkg_sh(&out, run, work, work, "2", work, "fixed");
    ck_assert_msg(rc == 0, "fixed program: status %d, expected 0:\n%s", rc, out);
    free(out);
    rc = pkg_sh(&out, "%s/root/usr/bin/taskleak report --format text %s/rep1 2>&1", work, work);
    ck_assert_msg(rc == 1 && strstr(out, "reader") != NULL, "installed report tool: status %d:\n%s",
                  rc, out);
    free(out);
    /* The installed CMake file finds the installed command beside it. */
    rc = pkg_sh(&out,
                "cmake -S %s/examples/ctest -B %s/cm "
                "-DTaskleak_DIR=%s/root/usr/share/cmake/Taskleak 2>&1",
                TH_SRC_DIR, work, work);
    snprintf(want, sizeof want, "Found Taskleak: %s/root/usr/bin/taskleak", work);
    ck_assert_msg(rc == 0 && strstr(out, want) != NULL, "cmake with the installed file:\n%s", out);
    free(out);
}
END_TEST

START_TEST(lintian_reports_no_error)
{
    need_packages();
    char *out = NULL;
    int rc = pkg_sh(&out,
                    "cd %s && lintian --fail-on error --tag-display-limit 0 "
                    "taskleak_*_amd64.changes 2>&1",
                    work);
    /* Warnings are shown, not failed on; the known ones are listed in the README. */
    if (out && out[0])
        fprintf(stderr, "deb: lintian says:\n%s", out);
    ck_assert_msg(rc == 0, "lintian exited %d:\n%s", rc, out);
    char line[512];
    ck_assert_msg(pkg_line_with(out, "E: ", line, sizeof line) == NULL, "lintian error: %s", line);
    free(out);
}
END_TEST

Suite *make_deb_suite(void)
{
    Suite *s = suite_create("deb");
    TCase *tc = tcase_create("packages");
    tcase_add_unchecked_fixture(tc, build_packages, remove_work);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, taskleak_holds_the_command_tools_preload_library_and_man_pages);
    tcase_add_test(tc, libgor0_holds_the_versioned_library_under_its_soname);
    tcase_add_test(tc, libgor_dev_builds_a_program_that_runs_against_libgor0);
    tcase_add_test(tc, the_installed_command_finds_its_pieces_and_gates_a_leak);
    tcase_add_test(tc, lintian_reports_no_error);
    suite_add_tcase(s, tc);
    return s;
}
