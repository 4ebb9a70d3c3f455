/*
 * The C half of the context switch interface (gor_impl.h): building a new task's first context
 * and reading a saved context for introspection, for both switch implementations.
 *
 * Assembly (x86-64, switch_x86_64.S): a saved context is the callee-saved registers pushed on
 * the stack being left; a new task's record is that same frame, built by hand, whose return
 * address is gor_task_trampoline with r12 = the task. No system call on a switch.
 *
 * Portable (GOR_PORTABLE_SWITCH, the default on every other architecture): gor_ctx_swap keeps a
 * ucontext_t in its own frame on the stack being left and calls swapcontext(3); a new task's
 * record is a ucontext_t placed just below its task struct and prepared with makecontext(3).
 * Cost: glibc's swapcontext saves and restores the signal mask with a rt_sigprocmask system
 * call on every switch (strace: exactly one per switch) and each spawn does a getcontext
 * (another one). On this VM an unbuffered round trip (two switches) takes ~2.6 us instead of
 * ~85 ns, and spawn + exit ~5.5 us instead of ~110 ns: fine for correctness and for ports, not
 * for the hot path, which is why x86-64 keeps the assembly switch. A consequence of the mask
 * switch: each task carries its
 * own signal mask (the spawner's at gor_go time) from worker to worker. Introspection stays
 * meaningful where the architecture's mcontext layout is known (x86-64, aarch64: sp, fp and
 * resume address); elsewhere sp is the record's address (inside the task's stack) and fp/ip
 * read 0, which tools treat as "no frame chain".
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sched_impl.h"

#if GOR_PORTABLE_SWITCH

#include <ucontext.h>

_Static_assert(sizeof(ucontext_t) + 512 <= GOR_SWITCH_RESERVE,
               "GOR_SWITCH_RESERVE must cover a ucontext_t and swapcontext's frames");

__attribute__((noinline)) void gor_ctx_swap(void **save_sp, void *new_sp)
{
    ucontext_t here; /* dead as soon as this context is resumed: like pushed registers */
    *save_sp = &here;
    if (GOR_UNLIKELY(swapcontext(&here, new_sp) != 0))
        gor_panic("swapcontext: %s", strerror(errno));
}

/* makecontext passes int arguments only: the task pointer travels as two 32-bit halves. */
static void task_entry(unsigned hi, unsigned lo)
{
    gor_task_main((struct gor_task *)(uintptr_t)(((uint64_t)hi << 32) | lo));
}

void *gor_ctx_make(struct gor_task *t)
{
    uintptr_t top = (uintptr_t)t & ~(uintptr_t)15;
    ucontext_t *uc = (ucontext_t *)((top - sizeof(ucontext_t)) & ~(uintptr_t)63);
    if (getcontext(uc) != 0)
        gor_panic("getcontext: %s", strerror(errno));
    uc->uc_link = NULL; /* gor_task_main never returns */
    uc->uc_stack.ss_sp = t->stack_bottom;
    uc->uc_stack.ss_size = (size_t)((char *)uc - t->stack_bottom);
    uc->uc_stack.ss_flags = 0;
    uint64_t a = (uintptr_t)t;
    makecontext(uc, (void (*)(void))task_entry, 2, (unsigned)(a >> 32), (unsigned)a);
    /* getcontext captured the spawner's frame pointer: a frame-pointer walk must end here */
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RBP] = 0;
#elif defined(__aarch64__)
    uc->uc_mcontext.regs[29] = 0;
#endif
    return uc;
}

void gor_ctx_regs(const void *saved, uintptr_t *sp, uintptr_t *fp, uintptr_t *ip)
{
    const ucontext_t *uc = saved;
#if defined(__x86_64__)
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    *fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    *ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    *sp = (uintptr_t)uc->uc_mcontext.sp;
    *fp = (uintptr_t)uc->uc_mcontext.regs[29];
    *ip = (uintptr_t)uc->uc_mcontext.pc;
#else
    *sp = (uintptr_t)uc; /* the record lies just below the parked frames */
    *fp = 0;
    *ip = 0;
#endif
}

#else /* the assembly switch */

void gor_task_trampoline(void); /* switch_x86_64.S: calls gor_task_main(r12) */
enum { SAVED_R12_SLOT = 3, SAVED_FP_SLOT = 5, SAVED_IP_SLOT = 6, SAVED_SLOTS = 9 };

void *gor_ctx_make(struct gor_task *t)
{
    /* 7 slots popped by gor_ctx_swap, 16-byte aligned so the trampoline's call is ABI-aligned */
    void **sp = (void **)(((uintptr_t)t & ~(uintptr_t)15) - SAVED_SLOTS * sizeof(void *));
    memset(sp, 0, SAVED_SLOTS * sizeof(void *));
    sp[SAVED_R12_SLOT] = t;
    sp[SAVED_IP_SLOT] = (void *)gor_task_trampoline;
    return sp;
}

void gor_ctx_regs(const void *saved, uintptr_t *sp, uintptr_t *fp, uintptr_t *ip)
{
    const uintptr_t *slot = saved;
    *sp = (uintptr_t)slot;
    *fp = slot[SAVED_FP_SLOT];
    *ip = slot[SAVED_IP_SLOT];
}

#endif
