/* tl_ctx: the one context and its initialisation (see tl_ctx.h).
 *
 * DESIGN. Initialisation is a three-state machine (NONE -> INITING -> ON or OFF) driven by a CAS,
 * so whichever runs first, the constructor or a wrapper called from another library's
 * constructor, does the work once; a wrapper called by the initialising thread itself (through
 * dlsym or stdio) passes straight through, and other threads wait for the answer. Options are
 * read from the environment here and nowhere else (options come from one table and are read once;
 * docs/internals.md, Options). A setuid/setgid process
 * (AT_SECURE) gets an inert detector: no files, no signal handlers, no exit status override.
 */
#include "tl_ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tl_dump.h"
#include "tl_file.h"
#include "tl_gate.h"
#include "tl_gor.h"
#include "tl_growth.h"
#include "tl_lockorder.h"
#include "tl_log.h"
#include "tl_mfast.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_metrics.h"
#include "tl_sigreport.h"
#include "tl_stack.h"
#include "tl_supp.h"
#include "tl_thread.h"
#include "tl_vec.h"
#include "tl_watchdog.h"

struct tl_ctx tl_ctx;

/* The options: written here only, by load_options, before any module receives them; every module
 * gets a const pointer or the values it needs (hand_out_options), never this object. */
static struct tl_options options;
/* The suppressions loaded under them (NULL: none or unreadable), handed out the same way. */
static struct tl_supp *supp;

static void load_options(void)
{
    tl_options_defaults(&options);
    tl_options_parse(&options, getenv("TASKLEAK_OPTIONS"));
    char cwd[TL_OPT_PATH_MAX]; /* relative report=/log= name the directory we start in */
    if (getcwd(cwd, sizeof cwd) != NULL)
        tl_options_resolve_paths(&options, cwd);
}

/* Each module receives what it needs, once, before the detector is on and before any thread of
 * ours exists; nothing writes the options afterwards. */
static void hand_out_options(const struct tl_options *o)
{
    tl_log_set_verbosity(o->verbosity);
    if (strcmp(o->log, "stderr") != 0 && o->log[0] != '\0') {
        int fd = tl_file_open_log(o->log);
        if (fd >= 0)
            tl_log_set_fd(fd);
        else
            tl_logf("log=%s: cannot open (%s); the text report goes to stderr", o->log,
                    strerror(errno));
    }
    tl_metrics_init(o->metrics);
    char err[512] = "";
    supp = tl_supp_load(o->suppressions, o->ignore, err, sizeof err);
    if (supp == NULL)
        tl_logf("%s; running without suppressions", err);
    tl_stack_set_depth(o->stack_depth);
    tl_growth_init(&(struct tl_growth_cfg){
        .window_ms = o->growth_ms, .min = o->growth_min, .interval_ms = o->interval_ms});
    tl_gate_init(o, supp);
    tl_watchdog_init(o, supp);
}

/* Reads /proc/self/cmdline (malloc'd, *len bytes, NUL-separated); NULL on failure. */
static char *read_cmdline(size_t *len)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (ssize_t r = 1; r > 0;) {
        if (n == cap && TL_VEC_RESERVE(buf, cap, cap + 4096) != 0) {
            free(buf);
            buf = NULL;
            break;
        }
        r = tl_real.read(fd, buf + n, cap - n);
        n += r > 0 ? (size_t)r : 0;
    }
    close(fd);
    *len = n;
    return buf;
}

/* The program as it started: its executable and argv, before main can rewrite its title
 * (setproctitle writes over the argv strings /proc/self/cmdline shows). A cmdline that does not
 * end in a NUL (a title written past its end) is cut at its last NUL. */
static void capture_identity(void)
{
    ssize_t k = readlink("/proc/self/exe", tl_ctx.exe, sizeof tl_ctx.exe - 1);
    tl_ctx.exe[k > 0 ? k : 0] = '\0';
    size_t len = 0;
    tl_ctx.cmdline = read_cmdline(&len);
    while (tl_ctx.cmdline != NULL && len > 0 && tl_ctx.cmdline[len - 1] != '\0')
        len--;
    tl_ctx.cmdline_len = len;
}

/* Threads that already exist when we start (a raw clone, a dlopen'ed detector): counted only, they
 * are reported as thread:?TID at report time. */
static int count_other_threads(void)
{
    return (int)tl_thread_scan_unknown(NULL, 0);
}

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void gate_at_exit(void *unused)
{
    (void)unused;
    tl_gate_atexit();
}

static void register_hooks(void)
{
    /* dso NULL, not atexit(): atexit from a shared object is tied to its dso and would run from
     * _dl_fini while our object is finalized, so the gate's exit(exitcode) would cut the
     * finalization of every object after ours. Registered now (before __libc_start_main
     * registers _dl_fini), it runs after the program's atexit handlers and every destructor. */
    __cxa_atexit(gate_at_exit, NULL, NULL);
    pthread_atfork(tl_ctx_atfork_prepare, tl_ctx_atfork_parent, tl_ctx_atfork_child);
    tl_gor_set_thread_namer(tl_registry_self_id);
    tl_gor_set_label_source(tl_label_current);
    tl_gor_set_deadlock_handler(tl_gate_exit_now);
    tl_gor_set_stack_depth(options.stack_depth < 64 ? options.stack_depth : 64);
}

static bool do_init(void)
{
    if (getauxval(AT_SECURE) != 0 || tl_real_init() < 0)
        return false;
    tl_log_init();
    load_options();
    hand_out_options(&options);
    capture_identity();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tl_ctx.started_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    tl_ctx.pid = getpid();
    tl_registry_init();
    bool mfast = tl_mf_probe(tl_real.pthread_mutex_lock, tl_real.pthread_mutex_unlock,
                             tl_real.pthread_mutex_trylock);
    tl_lo_start(options.lock_order, mfast);
    tl_ctx.exit_key_ok = pthread_key_create(&tl_ctx.exit_key, tl_thread_key_exit) == 0;
    if (gettid() == tl_ctx.pid) {
        struct tl_unit *main_unit = tl_registry_adopt(1); /* the main thread is thread:1 */
        if (main_unit != NULL && tl_ctx.exit_key_ok)      /* main may pthread_exit */
            pthread_setspecific(tl_ctx.exit_key, main_unit);
    }
    register_hooks();
    tl_dump_init(options.dump_signal);
    tl_sigreport_init(&options, supp);
    if (options.verbosity >= 1)
        tl_logf("detector on in pid %d (%d thread(s) started before it)", (int)tl_ctx.pid,
                count_other_threads());
    if (options.verbosity >= 1)
        tl_logf("default mutexes locked and unlocked %s", mfast ? "in place" : "by libc");
    char missing[512];
    if (options.verbosity >= 1 && tl_real_missing(missing, sizeof missing) > 0)
        tl_logf("optional functions this libc lacks (not intercepted): %s", missing);
    return true;
}

bool tl_ctx_init(void)
{
    int expect = TL_CTX_NONE;
    if (!atomic_compare_exchange_strong(&tl_ctx.state, &expect, TL_CTX_INITING)) {
        if (expect == TL_CTX_INITING) {
            if (atomic_load(&tl_ctx.init_tid) == gettid())
                return false; /* our own init calling a wrapper: pass through */
            while (atomic_load(&tl_ctx.state) == TL_CTX_INITING)
                sched_yield();
        }
        return atomic_load(&tl_ctx.state) == TL_CTX_ON;
    }
    atomic_store(&tl_ctx.init_tid, gettid());
    bool on = do_init();
    atomic_store_explicit(&tl_ctx.state, on ? TL_CTX_ON : TL_CTX_OFF, memory_order_release);
    return on;
}

void tl_ctx_atfork_prepare(void)
{
    tl_lo_atfork_prepare();
    tl_stack_atfork_prepare();
    tl_registry_atfork_prepare();
}

void tl_ctx_atfork_parent(void)
{
    tl_registry_atfork_parent();
    tl_stack_atfork_parent();
    tl_lo_atfork_parent();
}

void tl_ctx_atfork_child(void)
{
    tl_registry_atfork_child();
    tl_stack_atfork_child();
    tl_lo_atfork_child();
    tl_gor_atfork_child();
    tl_watchdog_atfork_child(); /* also tl_dump's and tl_deadlock's per-process state */
    tl_sigreport_atfork_child();
    tl_ctx.pid = getpid();
    atomic_store(&tl_ctx.checks, 0);
    atomic_store(&tl_ctx.dumps, 0);
}
