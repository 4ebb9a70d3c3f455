/*
 * C++ threads (reliability cases 9, 10, 32): std::thread, std::mutex, std::condition_variable,
 * C++20 std::atomic::wait and std::binary_semaphore (futex through syscall()), and cancellation
 * of a thread whose RAII guard must unlock while the forced unwind passes.
 *
 *   leak     a detached std::thread waits on a condition_variable forever
 *   fixed    the same thread is notified and joined
 *   atomic   ping-pong with atomic wait/notify and semaphores; prints results and timeouts
 *   raii     a thread blocked in condition_variable::wait under a unique_lock is cancelled
 */
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <semaphore>
#include <thread>

// Never destroyed: glibc's pthread_cond_destroy at exit would wait for the leaked waiter.
static std::mutex &g_m = *new std::mutex;
static std::condition_variable &g_cv = *new std::condition_variable;
static std::condition_variable &g_ready_cv = *new std::condition_variable;
static bool g_go = false, g_waiting = false;

// Says, under g_m, that the caller is about to wait on g_cv: whoever takes g_m after seeing
// g_waiting knows the caller sits in the wait (the wait is what released g_m).
static void say_waiting()
{
    g_waiting = true;
    g_ready_cv.notify_all();
}

// Returns once a thread has said so, with g_m free again.
static void await_waiting()
{
    std::unique_lock<std::mutex> lk(g_m);
    g_ready_cv.wait(lk, [] { return g_waiting; });
}

static void wait_for_go()
{
    std::unique_lock<std::mutex> lk(g_m);
    say_waiting();
    g_cv.wait(lk, [] { return g_go; });
}

static int leak(bool fixed)
{
    std::thread t(wait_for_go);
    await_waiting();
    if (!fixed) {
        t.detach();
        std::puts("left the waiter");
        return 0;
    }
    {
        std::lock_guard<std::mutex> g(g_m);
        g_go = true;
    }
    g_cv.notify_all();
    t.join();
    std::puts("joined the waiter");
    return 0;
}

static int atomic_waits()
{
    std::atomic<int> turn{0};
    std::binary_semaphore ping{0}, pong{0};
    const int rounds = 2000;
    std::thread other([&] {
        for (int i = 0; i < rounds; i++) {
            turn.wait(0);
            turn.store(0);
            turn.notify_one();
            ping.acquire();
            pong.release();
        }
    });
    for (int i = 0; i < rounds; i++) {
        turn.store(1);
        turn.notify_one();
        while (turn.load() != 0)
            turn.wait(1);
        ping.release();
        pong.acquire();
    }
    other.join();
    std::counting_semaphore<4> none{0};
    bool got = none.try_acquire_for(std::chrono::milliseconds(20));
    std::printf("rounds %d final %d timed acquire %d\n", rounds, turn.load(), (int)got);
    return 0;
}

struct Guard {
    std::unique_lock<std::mutex> &lk;
    ~Guard()
    {
        std::puts("raii guard destroyed");
    }
};

static void *cancel_me(void *)
{
    std::unique_lock<std::mutex> lk(g_m);
    Guard g{lk};
    say_waiting();
    g_cv.wait(lk, [] { return g_go; });
    return nullptr;
}

static int raii()
{
    pthread_t t;
    void *res = nullptr;
    pthread_create(&t, nullptr, cancel_me, nullptr);
    await_waiting(); // canceled inside condition_variable::wait, not before it
    pthread_cancel(t);
    pthread_join(t, &res);
    bool free_now = g_m.try_lock();
    if (free_now)
        g_m.unlock();
    std::printf("canceled %d mutex free %d\n", res == PTHREAD_CANCELED, (int)free_now);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!std::strcmp(m, "leak") || !std::strcmp(m, "fixed"))
        return leak(m[0] == 'f');
    if (!std::strcmp(m, "atomic"))
        return atomic_waits();
    if (!std::strcmp(m, "raii"))
        return raii();
    return 2;
}
