/* The exported syscall (see ipose_wait.c): touches neither the argument registers nor the stack
 * on its way to glibc's syscall, which then reads exactly what it always reads. x86-64 System V:
 * number in %rdi, arguments in %rsi, %rdx, %rcx, %r8, %r9 and 8(%rsp).
 *
 * The fast path is a compare, a load and an indirect jump. SYS_futex, and every call while
 * tl_wait_syscall_next is still NULL, ask tl_wait_syscall_route for the target with the six
 * argument registers saved around the call (the stack is 16-byte aligned there: 8 for the return
 * address + 48 + 8) and restored before the jump, so the target starts as if the caller had
 * called it (only %al, which counts vector registers for a variadic call, then holds part of the
 * target's address: glibc ignores it, and futex_wait_syscall's prologue merely saves %xmm0-7 it
 * never reads). */
#include <asm/unistd.h>

        .text
        .globl  syscall
        .type   syscall, @function
        .p2align 4
syscall:
        .cfi_startproc
        endbr64
        cmpq    $__NR_futex, %rdi
        je      1f
        movq    tl_wait_syscall_next(%rip), %rax
        testq   %rax, %rax
        jz      1f
        jmp     *%rax
1:
        pushq   %rdi
        .cfi_adjust_cfa_offset 8
        pushq   %rsi
        .cfi_adjust_cfa_offset 8
        pushq   %rdx
        .cfi_adjust_cfa_offset 8
        pushq   %rcx
        .cfi_adjust_cfa_offset 8
        pushq   %r8
        .cfi_adjust_cfa_offset 8
        pushq   %r9
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    tl_wait_syscall_route
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        popq    %r9
        .cfi_adjust_cfa_offset -8
        popq    %r8
        .cfi_adjust_cfa_offset -8
        popq    %rcx
        .cfi_adjust_cfa_offset -8
        popq    %rdx
        .cfi_adjust_cfa_offset -8
        popq    %rsi
        .cfi_adjust_cfa_offset -8
        popq    %rdi
        .cfi_adjust_cfa_offset -8
        jmp     *%rax
        .cfi_endproc
        .size   syscall, .-syscall

        .section .note.GNU-stack,"",@progbits
