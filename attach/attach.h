/*
 * taskleak attach: examine a running process that was started without the detector.
 *
 * The pieces, in the order the command uses them: seize.c stops every thread with ptrace
 * (PTRACE_SEIZE + PTRACE_INTERRUPT, threads born meanwhile too) and guarantees the detach on every
 * path (errors, SIGINT/SIGTERM/SIGHUP, a watchdog alarm); unwind.c reads each thread's stack and
 * registers through elfutils libdwfl while it is stopped; classify.c turns a stack and the
 * blocking syscall's arguments into a wait (reason, object, owner) as the detector names them;
 * verdict.c judges (wait-for cycles through the detector's own search, "all threads asleep",
 * long waits); json.c writes the taskleak/1 document of kind "attach", which the report tool's
 * loader and text renderer then show (cli.c). The model below is filled in that order.
 */
#ifndef TLA_ATTACH_H
#define TLA_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLA_MAX_FRAMES    64
#define TLA_EXIT_DEADLOCK 76
#define TLA_EXIT_USAGE    2
#define TLA_EXIT_CANNOT   125

struct tla_frame {
    uint64_t pc;     /* return address as unwound (frame 0: the exact pc) */
    int module;      /* index into tla_proc.modules, -1 when none holds pc */
    bool activation; /* frame 0 or a signal frame: pc is exact, not a return address */
    char *function;  /* symbol name without its version, NULL when no table names it */
};

struct tla_wait {
    const char *reason; /* a fixed reason string ("mutex lock"), NULL when not waiting */
    const char *call;   /* the libc function the program called ("pthread_mutex_lock") */
    uint64_t object;    /* the mutex, condition, joined pthread_t, fd; 0 for none */
    bool durable;       /* only another thread of the process can end it */
    pid_t owner_tid;    /* mutex owner, or the joined thread's tid; 0 when unknown */
    int call_frame;     /* index of the frame of `call` in the stack, -1 when none */
};

struct tla_thread {
    pid_t tid;
    char comm[32];         /* the kernel's name (/proc/.../comm), escaped */
    char state;            /* /proc/.../stat state before the stop: 'R', 'S', 'D', 't' ... */
    long long since_ms;    /* time since it last ran, from sched exec_start; -1 when unknown */
    long sysno;            /* syscall it is in (orig_rax), -1 when none */
    uint64_t args[6];      /* that syscall's arguments */
    uint64_t sp;           /* stack pointer at the stop */
    int futex_words[4];    /* the futex word and the next three, read during the stop */
    char start[128];       /* function start_thread called, "" for the main thread or unknown */
    char object_name[160]; /* the program's name for wait.object ("lock_a", "heap"), "" none */
    char wchan[64];        /* /proc/.../wchan, "" when unknown */
    struct tla_frame frames[TLA_MAX_FRAMES];
    int nframes;
    struct tla_wait wait;
    const char *verdict; /* "deadlocked", "blocked" or NULL */
    int next;            /* wait-for edge: index of the thread it waits for, -1 */
};

struct tla_module {
    char *path;
    char build_id[130]; /* lower-case hex, "" when none */
    uint64_t base, end;
};

struct tla_proc {
    pid_t pid, ppid;
    char exe[4096];
    char **argv;
    size_t nargv, argv_cap; /* the _cap fields: allocated (tl_vec) */
    struct tla_thread *t;
    size_t n, cap;
    struct tla_module *modules;
    size_t nmodules, modules_cap;
    void *dwfl;             /* the libdwfl session of unwind.c, until tla_unwind_end */
    double stop_ms;         /* from the first interrupt to the last detach */
    long long threshold_ms; /* a durable wait at least this old is "blocked" */
    bool all_asleep;        /* every thread sits in a durable wait */
    struct tla_cycle {      /* wait-for cycles, members in wait-for order */
        size_t *members;
        size_t n;
    } * dl;
    size_t ndl, dl_cap;
};

/* One line "taskleak attach: MESSAGE" on stderr, control bytes escaped. */
void tla_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* seize.c. Fills p->t with every thread of p->pid, each seized and stopped (threads created while
 * stopping are seized too). 0, or TLA_EXIT_CANNOT after one line naming why (everything seized so
 * far is released first). */
int tla_seize_all(struct tla_proc *p);
/* Detaches every thread still held (idempotent); records p->stop_ms. */
void tla_release_all(struct tla_proc *p);
/* Installs the handlers that release the threads if the tool is told to stop (SIGINT, SIGTERM,
 * SIGHUP) or overruns its time (SIGALRM after alarm_s seconds; 0: none), then exit 125. */
void tla_guard_install(unsigned alarm_s);
/* Why pid cannot be examined, before touching it (no such pid, zombie, kernel thread, 32-bit or
 * foreign ELF): 0 when it looks fine, else TLA_EXIT_CANNOT after one line. */
int tla_precheck(pid_t pid);

/* unwind.c. Before the stop: the modules (libdwfl session in p->dwfl). 0, or TLA_EXIT_CANNOT
 * after one line. */
int tla_modules(struct tla_proc *p);
/* During the stop: every thread's registers, futex words and stack (program counters only).
 * 0, or -1 when stacks could not be read (registers still are). */
int tla_read_stopped(struct tla_proc *p);
/* After the stop: symbol names for every frame. */
void tla_name_frames(struct tla_proc *p);
/* After the release: each thread's start function and the name of the object it waits on
 * (a variable of a module, "heap", "stack of thread:N"), from the symbol tables and maps. */
void tla_describe(struct tla_proc *p);
/* Ends the libdwfl session. */
void tla_unwind_end(struct tla_proc *p);

/* classify.c. Fills t->wait from its stack and syscall; reads mutex owners from p's memory. */
void tla_classify(struct tla_proc *p, struct tla_thread *t);
/* The reason for a libc function name (unversioned), NULL when it is not a blocking call; sets
 * *durable for the untimed ones. Exposed for the unit tests. */
const char *tla_reason_of(const char *function, bool *durable);

/* Whether frame f lies in libc (the program's own `read` is not a wait). */
bool tla_in_libc(const struct tla_proc *p, const struct tla_frame *f);

/* verdict.c. Edges, cycles, all-asleep and blocked verdicts. */
void tla_judge(struct tla_proc *p);

/* json.c. The taskleak/1 document of kind "attach" (through common/tl_jrep, ending with a newline)
 * as a malloc'ed string, NULL on out of memory. */
char *tla_json(const struct tla_proc *p);

/* The unit id of thread i: "thread:1" for the main thread, else "thread:?TID" (ids of threads the
 * detector did not see created). */
void tla_unit_id(const struct tla_proc *p, size_t i, char *buf, size_t len);

void tla_proc_free(struct tla_proc *p);

#endif
