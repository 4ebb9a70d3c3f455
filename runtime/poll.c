/*
 * fd waits: one epoll instance shared by all workers, plus an eventfd that interrupts the worker
 * blocked in epoll_wait (a new earlier timer, or work for an idle poller).
 *
 * Registrations are persistent and EPOLLONESHOT: the first wait on an fd adds it, later waits
 * re-arm it with EPOLL_CTL_MOD (one system call per wait instead of an ADD and a DEL). The
 * per-fd table below is only a hint of what the kernel holds, which is keyed by (fd, open file):
 * when the fd was closed meanwhile (the kernel dropped the registration) or reused for another
 * file, MOD fails with ENOENT and the wait adds the fd afresh; EBADF is the caller's error. A
 * registration left armed by a timeout fires at most once more, with a stale generation. A
 * second waiter on an fd that already has one registers a dup of it for the length of its
 * wait, since epoll keys registrations by fd. epoll's user data is a slot number and a
 * generation, never a pointer: an event harvested after the waiter gave up finds a stale
 * generation and is dropped, so no event can touch a finished wait. The slot table and the
 * waits' done/parked flags are guarded by the poll lock; a task parks with the poll lock as its
 * park lock, so the poller cannot ready it before it is off its stack. A timeout is a timer whose
 * callback completes the wait the same way (timer lock, then poll lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gor_impl.h"

#define WAKE_TAG UINT64_MAX

enum {
    FD_REG = 1,  /* the fd was added to the epoll set (a hint: the kernel may have dropped it) */
    FD_BUSY = 2, /* a wait uses the fd's own registration; others register a dup */
};

struct pwait {
    struct gor_task *task; /* immutable */
    int revents;           /* GOR_READ|GOR_WRITE, under the poll lock */
    bool done;             /* completed (event or timeout); under the poll lock */
    bool parked;           /* the task is parked; under the poll lock */
};

static struct {
    int epfd, evfd;       /* set at init, and again in a forked child (single-threaded) */
    struct gor_lock lock; /* the poll lock */
    struct pwait **slots; /* under lock */
    uint32_t *gens;       /* generation per slot; under lock */
    uint32_t nslots;
    uint32_t *free; /* free slot numbers; under lock */
    uint32_t nfree;
    uint8_t *fds;        /* per fd: FD_REG | FD_BUSY; under lock */
    size_t nfds;         /* entries in fds; under lock */
    _Atomic int waiters; /* tasks in gor_fd_wait */
} PL = {.epfd = -1, .evfd = -1};

int gor_poll_init(void)
{
    PL.epfd = epoll_create1(EPOLL_CLOEXEC);
    PL.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (PL.epfd < 0 || PL.evfd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_TAG};
    return epoll_ctl(PL.epfd, EPOLL_CTL_ADD, PL.evfd, &ev);
}

int gor_poll_waiters(void)
{
    return atomic_load_explicit(&PL.waiters, memory_order_relaxed);
}

void gor_poll_interrupt(void)
{
    uint64_t one = 1;
    if (write(PL.evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        gor_rawlog("gor: poller wake-up failed: errno %d", errno);
}

/* With the lock held: a slot for pw, or UINT32_MAX when out of memory. The three tables grow by
 * hand, together: libgor stands alone and builds nothing of the detector's common/ (tl_vec). */
static uint32_t slot_alloc(struct pwait *pw)
{
    if (PL.nfree == 0) {
        uint32_t n = PL.nslots ? PL.nslots * 2 : 64;
        struct pwait **s = realloc(PL.slots, n * sizeof *s);
        if (s != NULL)
            PL.slots = s;
        uint32_t *g = realloc(PL.gens, n * sizeof *g);
        if (g != NULL)
            PL.gens = g;
        uint32_t *f = realloc(PL.free, n * sizeof *f);
        if (f != NULL)
            PL.free = f;
        if (s == NULL || g == NULL || f == NULL)
            return UINT32_MAX;
        for (uint32_t i = PL.nslots; i < n; i++) {
            PL.gens[i] = 0;
            PL.free[PL.nfree++] = n - 1 - (i - PL.nslots);
        }
        PL.nslots = n;
    }
    uint32_t s = PL.free[--PL.nfree];
    PL.slots[s] = pw;
    PL.gens[s]++;
    return s;
}

static void slot_release(uint32_t s)
{
    PL.slots[s] = NULL;
    PL.gens[s]++;
    PL.free[PL.nfree++] = s;
}

/* With the lock held: completes pw (once) and readies its task if it is parked. */
static void complete(struct pwait *pw, int revents)
{
    if (pw->done)
        return;
    pw->done = true;
    pw->revents = revents;
    if (pw->parked)
        gor_ready(pw->task);
}

static int to_gor_events(uint32_t ev, int want)
{
    int r = 0;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        r |= GOR_READ;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        r |= GOR_WRITE;
    return r & want ? r & want : want;
}

int gor_poll_wait(int64_t timeout_ns)
{
    return gor_poll_run(timeout_ns, true);
}

/*
 * epoll_wait with a nanosecond timeout (< 0: forever). epoll_wait's millisecond timeout would
 * round every timer up to the next millisecond (a 300 us sleep woke ~1 ms late, a 1.5 ms one
 * at 2 ms); epoll_pwait2 (Linux 5.11) takes a timespec. Older kernels fall back to rounding up.
 */
static int wait_events(struct epoll_event *evs, int max, int64_t timeout_ns)
{
    static _Atomic bool no_pwait2; /* set once when the kernel lacks epoll_pwait2 */
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = {.tv_sec = timeout_ns / 1000000000,
                              .tv_nsec = timeout_ns % 1000000000};
        int n = epoll_pwait2(PL.epfd, evs, max, timeout_ns < 0 ? NULL : &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        atomic_store(&no_pwait2, true);
    }
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    return epoll_wait(PL.epfd, evs, max, ms);
}

int gor_poll_run(int64_t timeout_ns, bool own_wakeups)
{
    struct epoll_event evs[64];
    int n = wait_events(evs, 64, timeout_ns);
    int readied = 0;
    for (int i = 0; i < n; i++) {
        uint64_t d = evs[i].data.u64;
        if (d == WAKE_TAG) {
            uint64_t v; /* only the polling worker consumes wake-ups: they are meant for it */
            while (own_wakeups && read(PL.evfd, &v, sizeof v) > 0)
                ;
            continue;
        }
        uint32_t s = (uint32_t)d, gen = (uint32_t)(d >> 32);
        gor_lock(&PL.lock);
        if (s < PL.nslots && PL.gens[s] == gen && PL.slots[s] != NULL) {
            struct pwait *pw = PL.slots[s];
            readied += !pw->done;
            complete(pw, (int)evs[i].events); /* raw epoll bits, mapped by the waiter */
        }
        gor_unlock(&PL.lock);
    }
    return readied;
}

/*
 * The child shares the parent's epoll instance (one open file description): it gets its own
 * epoll and eventfd. The parent's waits are forgotten: their slots are released (a late event
 * or timeout finds a stale generation or a task gor_ready drops).
 */
static void poll_fork_child(void)
{
    int old_ep = PL.epfd, old_ev = PL.evfd;
    if (gor_poll_init() != 0)
        gor_panic("cannot recreate the poller in a forked child");
    close(old_ep);
    close(old_ev);
    for (uint32_t s = 0; s < PL.nslots; s++)
        if (PL.slots[s] != NULL)
            slot_release(s);
    atomic_store(&PL.waiters, 0);
    if (PL.fds != NULL)
        memset(PL.fds, 0, PL.nfds); /* the new epoll set is empty */
}

void gor_poll_fork(enum gor_fork_phase ph)
{
    if (ph == GOR_FORK_PREPARE) {
        gor_lock(&PL.lock);
        return;
    }
    if (ph == GOR_FORK_CHILD)
        poll_fork_child();
    gor_unlock(&PL.lock);
}

static void timeout_fire(void *arg, int64_t now)
{
    (void)now;
    gor_lock(&PL.lock);
    complete(arg, 0);
    gor_unlock(&PL.lock);
}

/* With the lock held: the fd table covers fd (false when out of memory); grown by hand, as the
 * slot tables are. */
static bool fds_cover(int fd)
{
    if ((size_t)fd < PL.nfds)
        return true;
    size_t n = PL.nfds ? PL.nfds : 64;
    while (n <= (size_t)fd)
        n *= 2;
    uint8_t *f = realloc(PL.fds, n);
    if (f == NULL)
        return false;
    memset(f + PL.nfds, 0, n - PL.nfds);
    PL.fds = f;
    PL.nfds = n;
    return true;
}

/* With the lock held: arms fd's persistent registration, adding it when the kernel has none. */
static int arm_own(int fd, struct epoll_event *ev)
{
    if (PL.fds[fd] & FD_REG) {
        if (epoll_ctl(PL.epfd, EPOLL_CTL_MOD, fd, ev) == 0)
            return 0;
        PL.fds[fd] &= (uint8_t)~FD_REG; /* closed since, or another file now: add afresh */
        if (errno != ENOENT)
            return -1;
    }
    if (epoll_ctl(PL.epfd, EPOLL_CTL_ADD, fd, ev) != 0 &&
        (errno != EEXIST || epoll_ctl(PL.epfd, EPOLL_CTL_MOD, fd, ev) != 0))
        return -1;
    PL.fds[fd] |= FD_REG;
    return 0;
}

/* With the lock held: registers a dup of fd for one wait; returns it, or -1 with errno. */
static int register_dup(int fd, struct epoll_event *ev)
{
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return -1;
    if (epoll_ctl(PL.epfd, EPOLL_CTL_ADD, dup, ev) == 0)
        return dup;
    int e = errno;
    close(dup);
    errno = e;
    return -1;
}

/* With the lock held: arms fd for one wait (or a dup of it when another wait holds fd's own
 * registration); returns the fd armed, or -1 with errno. */
static int register_fd(int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.u64 = data};
    if (!fds_cover(fd)) {
        errno = ENOMEM;
        return -1;
    }
    if (PL.fds[fd] & FD_BUSY)
        return register_dup(fd, &ev);
    if (arm_own(fd, &ev) != 0)
        return -1;
    PL.fds[fd] |= FD_BUSY;
    return fd;
}

/* With the lock held: ends one wait's use of reg (fd's own registration stays, disarmed or
 * armed for at most one stale event; a dup is removed and closed). */
static void unregister_fd(int fd, int reg)
{
    if (reg == fd) {
        PL.fds[fd] &= (uint8_t)~FD_BUSY;
        return;
    }
    epoll_ctl(PL.epfd, EPOLL_CTL_DEL, reg, NULL);
    close(reg);
}

static int task_fd_wait(struct gor_task *t, int fd, int events, int64_t timeout_ns)
{
    struct pwait pw = {.task = t};
    struct gor_timer tm = {.heap_index = SIZE_MAX};
    if (timeout_ns > 0) {
        tm = (struct gor_timer){.when = gor_i_now() + timeout_ns, .fn = timeout_fire, .arg = &pw};
        gor_timer_add(&tm);
    }
    uint32_t ev =
        (events & GOR_READ ? EPOLLIN | EPOLLRDHUP : 0) | (events & GOR_WRITE ? EPOLLOUT : 0);
    atomic_fetch_add(&PL.waiters, 1);
    gor_lock(&PL.lock);
    uint32_t s = slot_alloc(&pw);
    int reg = -1, err = ENOMEM;
    if (s != UINT32_MAX) {
        reg = register_fd(fd, ev, (uint64_t)s | (uint64_t)PL.gens[s] << 32);
        err = errno;
    }
    if (reg >= 0 && !pw.done) {
        pw.parked = true;
        gor_ensure_poller(); /* an idle worker must be watching epoll */
        gor_park("IO wait", (void *)(intptr_t)fd, gor_unlock_cb, &PL.lock);
    } else {
        gor_unlock(&PL.lock);
    }
    gor_lock(&PL.lock);
    if (reg >= 0)
        unregister_fd(fd, reg);
    if (s != UINT32_MAX)
        slot_release(s);
    gor_unlock(&PL.lock);
    gor_timer_del(&tm);
    atomic_fetch_sub(&PL.waiters, 1);
    if (reg < 0) {
        errno = err;
        return -1;
    }
    return pw.revents == 0 ? 0 : to_gor_events((uint32_t)pw.revents, events);
}

static int thread_fd_wait(int fd, int events, int64_t timeout_ns)
{
    struct pollfd p = {
        .fd = fd,
        .events = (short)((events & GOR_READ ? POLLIN : 0) | (events & GOR_WRITE ? POLLOUT : 0))};
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    int n = poll(&p, 1, ms);
    if (n <= 0)
        return n;
    if (p.revents & POLLNVAL) {
        errno = EBADF;
        return -1;
    }
    int r = 0;
    if (p.revents & (POLLIN | POLLHUP | POLLERR))
        r |= GOR_READ;
    if (p.revents & (POLLOUT | POLLHUP | POLLERR))
        r |= GOR_WRITE;
    return r & events ? r & events : events;
}

static int gor_i_fd_wait(int fd, int events, int64_t timeout_ns)
{
    if (fd < 0 || (events & (GOR_READ | GOR_WRITE)) == 0) {
        errno = fd < 0 ? EBADF : EINVAL;
        return -1;
    }
    struct gor_task *t = gor_cur_task();
    if (t == NULL || timeout_ns == 0)
        return thread_fd_wait(fd, events, timeout_ns);
    return task_fd_wait(t, fd, events, timeout_ns);
}

GOR_ALIAS(gor_fd_wait, gor_i_fd_wait);
