/*
 * The x86-64 context switch: only the System V callee-saved registers are saved (rbx, rbp,
 * r12-r15), pushed on the stack being left, so a switch is 14 instructions and no system call.
 * The layout at a saved stack pointer (r15 r14 r13 r12 rbx rbp return-address) is what
 * gor_introspect reports as sp/fp/ip. MXCSR and the x87 control word are not saved: the runtime
 * assumes tasks do not change floating-point modes (gor(3), BUGS). The C half of the interface
 * (new task records, introspection) is in switch.c, as is the portable ucontext fallback.
 */
#if defined(__x86_64__) && !defined(GOR_PORTABLE_SWITCH)
        .text
        .globl  gor_ctx_swap
        .hidden gor_ctx_swap
        .type   gor_ctx_swap, @function
/* void gor_ctx_swap(void **save_sp, void *new_sp) */
gor_ctx_swap:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   gor_ctx_swap, .-gor_ctx_swap

        .globl  gor_task_trampoline
        .hidden gor_task_trampoline
        .type   gor_task_trampoline, @function
/* A new task's first return address: r12 holds its struct gor_task *. rbp = 0 ends frame-pointer
 * walks and the undefined return address ends DWARF unwinds here. */
gor_task_trampoline:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r12, %rdi
        call    gor_task_main
        ud2
        .cfi_endproc
        .size   gor_task_trampoline, .-gor_task_trampoline
#endif /* elsewhere (or with GOR_PORTABLE_SWITCH) switch.c's ucontext switch is used */
        .section .note.GNU-stack,"",@progbits
