# A 32-bit i386 program (reliability case 55), assembled and linked with the x86-64 binutils (no
# multilib needed): it exits with status 7 where the kernel runs 32-bit programs. The supervisor
# must refuse it before running it: the 64-bit detector would be ignored by a 32-bit loader.
    .text
    .globl _start
_start:
    movl $1, %eax       # exit
    movl $7, %ebx
    int $0x80
