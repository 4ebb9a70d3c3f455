/* The exported dlopen (see ipose_dlopen.c): asks tl_dlopen_prepare for the real dlopen (it also
 * warns about RTLD_DEEPBIND), restores the two arguments and JUMPS to it, so glibc sees the
 * original caller's return address ($ORIGIN, DT_RUNPATH and the namespace are the caller's).
 * x86-64 System V: file in %rdi, mode in %esi; the stack is 16-byte aligned at the inner call. */
        .text
        .globl  dlopen
        .type   dlopen, @function
        .p2align 4
dlopen:
        .cfi_startproc
        endbr64
        pushq   %rdi
        .cfi_adjust_cfa_offset 8
        pushq   %rsi
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    tl_dlopen_prepare
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        popq    %rsi
        .cfi_adjust_cfa_offset -8
        popq    %rdi
        .cfi_adjust_cfa_offset -8
        jmp     *%rax
        .cfi_endproc
        .size   dlopen, .-dlopen

        .section .note.GNU-stack,"",@progbits
