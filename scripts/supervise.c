/* taskleak-supervise: the process `taskleak run` becomes while the program runs.
 *
 *     taskleak-supervise SCRIPT PRELOAD [ARG...] -- CMD [CMD-ARG...]
 *
 * runs CMD with PRELOAD appended to LD_PRELOAD, passes signals on to it, and when it has ended
 * execs `/bin/sh SCRIPT __finished STATUS PID [ARG...]`, so the script says what became of the
 * reports and exits with STATUS: CMD's exit status, or 128 + the signal that killed it, as a shell
 * reports it.
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
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Forwards signals until the child ends; returns its status as a shell gives it. */
static int supervise(pid_t child, const sigset_t *waitset)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(waitset, &si);
        if (sig < 0)
            continue; /* EINTR: a stop and continue */
        if (sig != SIGCHLD) {
            forward(child, &si);
            continue;
        }
        int st;
        pid_t r = waitpid(child, &st, WNOHANG);
        if (r == child && WIFEXITED(st))
            return WEXITSTATUS(st);
        if (r == child && WIFSIGNALED(st))
            return 128 + WTERMSIG(st);
        if (r < 0 && errno == ECHILD)
            return 125;
    }
}

int main(int argc, char **argv)
{
    int sep = 3;
    while (sep < argc && strcmp(argv[sep], "--") != 0)
        sep++;
    if (argc < 4 || sep >= argc - 1) {
        fprintf(stderr, "usage: taskleak-supervise SCRIPT PRELOAD [ARG...] -- CMD [ARGS...]\n");
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
    int status = supervise(child, &waitset);
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
