/*
 * gor: a Go-like task runtime for C (man gor(3)).
 *
 * Tasks are stackful coroutines scheduled M:N over GOR_PROCS worker threads. Blocking calls park
 * the calling task; called from a plain thread (not a task) they block that thread instead.
 * Misuse "panics": one line on stderr starting "gor: panic:", then abort().
 */
#ifndef GOR_H
#define GOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GOR_BUILDING)
#define GOR_API __attribute__((visibility("default")))
#else
#define GOR_API
#endif

typedef struct gor_chan gor_chan;
typedef struct gor_ticker gor_ticker;
typedef struct gor_ctx gor_ctx;

/* Value types the caller embeds; fields are private to the runtime. */
typedef struct gor_wg {
    uint32_t lock_;
    int32_t pad_;
    int64_t count_;
    void *waiters_;
} gor_wg;
typedef struct gor_mutex {
    uint32_t lock_;
    uint32_t locked_;
    void *head_;
    void *tail_;
} gor_mutex;
#define GOR_WG_INIT                                                                                \
    {                                                                                              \
        0, 0, 0, NULL                                                                              \
    }
#define GOR_MUTEX_INIT                                                                             \
    {                                                                                              \
        0, 0, NULL, NULL                                                                           \
    }

enum { GOR_SEND = 1, GOR_RECV = 2 };
enum { GOR_TIMEOUT = -1 };
enum { GOR_CANCELED = 1, GOR_DEADLINE_EXCEEDED = 2 };
enum { GOR_READ = 1, GOR_WRITE = 4 };

typedef struct {
    gor_chan *chan; /* NULL: the case never proceeds */
    int dir;        /* GOR_SEND or GOR_RECV */
    void *elem;     /* value to send, or where to receive (may be NULL for GOR_RECV) */
    bool ok;        /* GOR_RECV: false when the channel was closed and drained */
} gor_case;

/* Tasks. gor_main runs fn as the main task and returns (0) when fn returns; other tasks keep
 * running. gor_go returns the new task's id (> 0), or -1 with errno (ENOMEM, EAGAIN). */
GOR_API int gor_main(void (*fn)(void *), void *arg);
GOR_API int64_t gor_go(void (*fn)(void *), void *arg);
GOR_API int64_t gor_self(void);
GOR_API void gor_yield(void);
GOR_API void gor_set_name(const char *name); /* truncated to 31 bytes; no-op outside tasks */
GOR_API int gor_procs(void);

/* Channels: refcounted handles; every function accepts NULL as Go's nil channel. */
GOR_API gor_chan *gor_chan_make(size_t elem_size, size_t cap); /* NULL + errno on failure */
GOR_API gor_chan *gor_chan_ref(gor_chan *c);
GOR_API void gor_chan_unref(gor_chan *c);
GOR_API void gor_chan_send(gor_chan *c, const void *elem); /* blocks: "chan send" */
GOR_API bool gor_chan_recv(gor_chan *c, void *elem);       /* blocks: "chan receive" */
GOR_API void gor_chan_close(gor_chan *c);
GOR_API size_t gor_chan_len(gor_chan *c);
GOR_API size_t gor_chan_cap(gor_chan *c);

/* Returns the index of the case that proceeded, or GOR_TIMEOUT. timeout_ns < 0 waits forever,
 * 0 never blocks, > 0 waits at most that long. Blocks: "select" ("select (no cases)"). */
GOR_API int gor_select(gor_case *cases, size_t n, int64_t timeout_ns);

/* Time. */
GOR_API int64_t gor_now(void);
GOR_API void gor_sleep(int64_t ns); /* blocks: "sleep" */
GOR_API gor_chan *gor_after(int64_t ns);
GOR_API gor_ticker *gor_ticker_new(int64_t period_ns);
GOR_API gor_chan *gor_ticker_chan(gor_ticker *t);
GOR_API void gor_ticker_stop(gor_ticker *t);

/* Synchronisation. */
GOR_API void gor_wg_init(gor_wg *wg);
GOR_API void gor_wg_add(gor_wg *wg, int64_t delta);
GOR_API void gor_wg_done(gor_wg *wg);
GOR_API void gor_wg_wait(gor_wg *wg); /* blocks: "WaitGroup wait" */
GOR_API void gor_mutex_init(gor_mutex *m);
GOR_API void gor_mutex_lock(gor_mutex *m); /* blocks: "mutex lock" */
GOR_API bool gor_mutex_trylock(gor_mutex *m);
GOR_API void gor_mutex_unlock(gor_mutex *m);

/* Contexts. */
GOR_API gor_ctx *gor_ctx_background(void);
GOR_API gor_ctx *gor_ctx_with_cancel(gor_ctx *parent);
GOR_API gor_ctx *gor_ctx_with_timeout(gor_ctx *parent, int64_t ns);
GOR_API void gor_ctx_cancel(gor_ctx *c);
GOR_API gor_chan *gor_ctx_done(gor_ctx *c);
GOR_API int gor_ctx_err(gor_ctx *c);
GOR_API void gor_ctx_free(gor_ctx *c);

/* File descriptors: blocks "IO wait". Returns the ready events (GOR_READ|GOR_WRITE), 0 on
 * timeout, -1 with errno. */
GOR_API int gor_fd_wait(int fd, int events, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
