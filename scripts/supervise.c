/* taskleak-supervise: the process `taskleak run` becomes while the program runs.
 *
 *     taskleak-supervise [--live DIR] SCRIPT PRELOAD [ARG...] -- CMD [CMD-ARG...]
 *
 * runs CMD with PRELOAD appended to LD_PRELOAD, passes signals on to it, and when it has ended
 * execs `/bin/sh SCRIPT __finished STATUS PID [ARG...]`, so the script says what became of the
 * reports and exits with STATUS: CMD's exit status, or 128 + the signal that killed it, as a shell
 * reports it. With --live, the texts the detector leaves in DIR while CMD runs (live.*.txt, see
 * the defer_text option) are shown as they appear, oldest first: for each, `/bin/sh SCRIPT __live
 * FILE` prints the report tool's rendering of its JSON (or the text itself) on stderr and removes
 * the pair. The supervisor looks at DIR every 200 ms and once more when CMD has ended, before the
 * script runs, so these texts come before the last report's.
 *
 * DESIGN. The script execs this program, so the pid a CI runner or timeout(1) signals is the
 * supervisor's own. It installs no handler at all: the signals it forwards (HUP, INT, QUIT, TERM,
 * USR1, USR2) and SIGCHLD are blocked and taken with sigwaitinfo, and CMD starts with the signal
 * mask and dispositions the supervisor was given (an ignored SIGHUP under nohup stays ignored).
 * A signal goes to CMD's process group when CMD leads one of its own, else to CMD. A signal the
 * terminal sent (SI_KERNEL: Ctrl-C, Ctrl-\, hangup) while CMD is still in our process group has
 * reached CMD already, from the kernel: it is not sent again, so the program gets exactly one.
 * Exit statuses of its own: 125 (bad usage, or cannot fork), 126/127 (CMD not executable / not
 * found, one line on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

static void run_child(char **cmd, const char *preload, const sigset_t *mask,
                      const struct sigaction *chld)
{
    const char *old = getenv("LD_PRELOAD");
    size_t n = (old ? strlen(old) + 1 : 0) + strlen(preload) + 1;
    char *value = malloc(n);
    if (value == NULL)
        _exit(125);
    snprintf(value, n, "%s%s%s", old && *old ? old : "", old && *old ? " " : "", preload);
    setenv("LD_PRELOAD", value, 1);
    sigaction(SIGCHLD, chld, NULL);
    sigprocmask(SIG_SETMASK, mask, NULL);
    execvp(cmd[0], cmd);
    int err = errno;
    fprintf(stderr, "taskleak: %s: %s\n", cmd[0],
            err == ENOENT ? "command not found" : strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

static void forward(pid_t child, const siginfo_t *si)
{
    pid_t group = getpgid(child);
    if (si->si_code == SI_KERNEL && group == getpgrp())
        return; /* the terminal signalled our whole process group, the program with it */
    kill(group == child ? -child : child, si->si_signo);
}

/* What the live texts need: the directory, the script that renders one, and the signal mask and
 * SIGCHLD disposition the supervisor was given (a renderer starts with them, as CMD does). */
struct live {
    const char *dir, *script;
    const sigset_t *mask;
    const struct sigaction *chld;
};

static int is_live_text(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return strncmp(d->d_name, "live.", 5) == 0 && n > 9 && strcmp(d->d_name + n - 4, ".txt") == 0;
}

/* Shows one live text (`sh SCRIPT __live FILE`) and waits for it; the pair is gone afterwards,
 * whatever became of the renderer, so a text is never shown twice. */
static void show_live(const struct live *l, const char *name)
{
    char path[4096], json[4096];
    snprintf(path, sizeof path, "%s/%s", l->dir, name);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGCHLD, l->chld, NULL);
        sigprocmask(SIG_SETMASK, l->mask, NULL);
        execl("/bin/sh", "sh", l->script, "__live", path, (char *)NULL);
        _exit(127);
    }
    int st;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (access(path, F_OK) == 0) {
        snprintf(json, sizeof json, "%.*s.json", (int)(strlen(path) - 4), path);
        unlink(json);
        unlink(path);
    }
}

/* Every live text in the directory, in name order (per process, the order written). */
static void drain(const struct live *l)
{
    struct dirent **names;
    int n = l->dir ? scandir(l->dir, &names, is_live_text, alphasort) : -1;
    for (int i = 0; i < n; i++) {
        show_live(l, names[i]->d_name);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

/* Forwards signals until the child ends (showing live texts meanwhile); returns its status as a
 * shell gives it. */
static int supervise(pid_t child, const sigset_t *waitset, const struct live *l)
{
    const struct timespec look = {0, 200 * 1000 * 1000};
    for (;;) {
        siginfo_t si;
        int sig = l->dir ? sigtimedwait(waitset, &si, &look) : sigwaitinfo(waitset, &si);
        if (sig < 0 && errno != EAGAIN)
            continue; /* EINTR: a stop and continue */
        if (sig > 0 && sig != SIGCHLD) {
            forward(child, &si); /* first: a text shown meanwhile must not delay the signal */
        } else { /* SIGCHLD, or a look (the child may have ended while a text was shown) */
            int st;
            pid_t r = waitpid(child, &st, WNOHANG);
            if (r == child && WIFEXITED(st))
                return WEXITSTATUS(st);
            if (r == child && WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
            if (r < 0 && errno == ECHILD)
                return 125;
        }
        if (l->dir)
            drain(l);
    }
}

int main(int argc, char **argv)
{
    struct live live = {0};
    if (argc > 2 && strcmp(argv[1], "--live") == 0) {
        live.dir = argv[2];
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    int sep = 3;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    if (argc < 4 || sep >= argc - 1) {
        fprintf(
            stderr,
            "usage: taskleak-supervise [--live DIR] SCRIPT PRELOAD [ARG...] -- CMD [ARGS...]\n");
        return 125;
    }
    sigset_t waitset, mask;
    sigemptyset(&waitset);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaddset(&waitset, forwarded[i]);
    sigaddset(&waitset, SIGCHLD);
    struct sigaction dfl = {.sa_handler = SIG_DFL}, chld;
    sigaction(SIGCHLD, &dfl, &chld); /* SIGCHLD must be queued even if we were given SIG_IGN */
    sigprocmask(SIG_BLOCK, &waitset, &mask);
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        perror("taskleak: fork");
        return 125;
    }
    if (child == 0)
        run_child(argv + sep + 1, argv[2], &mask, &chld);
    live.script = argv[1];
    live.mask = &mask;
    live.chld = &chld;
    int status = supervise(child, &waitset, &live);
    drain(&live); /* the texts written last, before the script shows the last report */
    sigaction(SIGCHLD, &chld, NULL);
    sigprocmask(SIG_SETMASK, &mask, NULL);

    char st[16], pid[16], sh[] = "sh", finished[] = "__finished";
    snprintf(st, sizeof st, "%d", status);
    snprintf(pid, sizeof pid, "%d", (int)child);
    char **fin = calloc((size_t)sep + 4, sizeof *fin);
    if (fin == NULL)
        return status;
    int n = 0;
    fin[n++] = sh;
    fin[n++] = argv[1];
    fin[n++] = finished;
    fin[n++] = st;
    fin[n++] = pid;
    for (int i = 3; i < sep; i++)
        fin[n++] = argv[i];
    fin[n] = NULL;
    execv("/bin/sh", fin);
    perror("taskleak: /bin/sh");
    return status;
}
