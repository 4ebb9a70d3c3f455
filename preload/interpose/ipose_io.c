/* Interposers: IO waits (wait reasons: docs/internals.md).
 *
 * DESIGN. read, recv*, and accept* are recorded only when they would really block: a poll(2) with
 * a zero timeout on the descriptor answers "is there something now?" without consuming anything,
 * and a descriptor in O_NONBLOCK mode (or a MSG_DONTWAIT call) cannot block at all. The probe
 * is itself a system call, so regular-file reads pay one cheap extra syscall and nothing else;
 * errno is restored after it. poll/select/epoll with a zero timeout are forwarded untouched.
 * All IO waits are external: data from outside the process may end them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipose.h"

/* True when a read-like call on fd would block now. Only asked for tracked threads. */
static bool would_block(int fd, int flags)
{
    if (tl_registry_self() == NULL || (flags & MSG_DONTWAIT))
        return false;
    int saved = errno;
    struct pollfd p = {fd, POLLIN, 0};
    bool block = tl_real.poll(&p, 1, 0) == 0;
    if (block) {
        int fl = fcntl(fd, F_GETFL);
        block = fl >= 0 && !(fl & O_NONBLOCK);
    }
    errno = saved;
    return block;
}

#define FD_OBJ(fd) ((void *)(intptr_t)(fd))

TL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    tl_enter();
    ssize_t rc;
    if (!would_block(fd, 0))
        return tl_real.read(fd, buf, n);
    BRACKET("IO wait", "read", FD_OBJ(fd), false, tl_real.read(fd, buf, n));
    return rc;
}

TL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    tl_enter();
    ssize_t rc;
    if (!would_block(fd, flags))
        return tl_real.recv(fd, buf, n, flags);
    BRACKET("IO wait", "recv", FD_OBJ(fd), false, tl_real.recv(fd, buf, n, flags));
    return rc;
}

TL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
                           socklen_t *al)
{
    tl_enter();
    ssize_t rc;
    if (!would_block(fd, flags))
        return tl_real.recvfrom(fd, buf, n, flags, a, al);
    BRACKET("IO wait", "recvfrom", FD_OBJ(fd), false, tl_real.recvfrom(fd, buf, n, flags, a, al));
    return rc;
}

TL_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
    tl_enter();
    ssize_t rc;
    if (!would_block(fd, flags))
        return tl_real.recvmsg(fd, m, flags);
    BRACKET("IO wait", "recvmsg", FD_OBJ(fd), false, tl_real.recvmsg(fd, m, flags));
    return rc;
}

TL_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *al)
{
    tl_enter();
    int rc;
    if (!would_block(fd, 0))
        return tl_real.accept(fd, a, al);
    BRACKET("IO wait", "accept", FD_OBJ(fd), false, tl_real.accept(fd, a, al));
    return rc;
}

TL_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *al, int flags)
{
    tl_enter();
    int rc;
    if (!would_block(fd, 0))
        return tl_real.accept4(fd, a, al, flags);
    BRACKET("IO wait", "accept4", FD_OBJ(fd), false, tl_real.accept4(fd, a, al, flags));
    return rc;
}

TL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    tl_enter();
    int rc;
    if (timeout == 0)
        return tl_real.poll(fds, n, timeout);
    BRACKET("IO wait", "poll", FD_OBJ(n > 0 ? fds[0].fd : -1), false,
            tl_real.poll(fds, n, timeout));
    return rc;
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    tl_enter();
    int rc;
    if (t != NULL && t->tv_sec == 0 && t->tv_nsec == 0)
        return tl_real.ppoll(fds, n, t, m);
    BRACKET("IO wait", "ppoll", FD_OBJ(n > 0 ? fds[0].fd : -1), false, tl_real.ppoll(fds, n, t, m));
    return rc;
}

TL_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    tl_enter();
    int rc;
    if (t != NULL && t->tv_sec == 0 && t->tv_usec == 0)
        return tl_real.select(n, r, w, e, t);
    BRACKET("IO wait", "select", FD_OBJ(n - 1), false, tl_real.select(n, r, w, e, t));
    return rc;
}

TL_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
                      const sigset_t *m)
{
    tl_enter();
    int rc;
    if (t != NULL && t->tv_sec == 0 && t->tv_nsec == 0)
        return tl_real.pselect(n, r, w, e, t, m);
    BRACKET("IO wait", "pselect", FD_OBJ(n - 1), false, tl_real.pselect(n, r, w, e, t, m));
    return rc;
}

TL_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    tl_enter();
    int rc;
    if (timeout == 0)
        return tl_real.epoll_wait(ep, ev, max, timeout);
    BRACKET("IO wait", "epoll_wait", FD_OBJ(ep), false, tl_real.epoll_wait(ep, ev, max, timeout));
    return rc;
}

TL_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout, const sigset_t *m)
{
    tl_enter();
    int rc;
    if (timeout == 0)
        return tl_real.epoll_pwait(ep, ev, max, timeout, m);
    BRACKET("IO wait", "epoll_pwait", FD_OBJ(ep), false,
            tl_real.epoll_pwait(ep, ev, max, timeout, m));
    return rc;
}
