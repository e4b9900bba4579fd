/* Prints a greeting, the multiboot command line and memory size, then passes. */
#include "rt.inc"
    .text
main:
    mov $greeting, %esi
    call puts
    mov mbi, %ebx
    testl $4, (%ebx)
    jz 1f
    mov 16(%ebx), %esi
    call puts
1:  mov $memory, %esi
    call puts
    mov 8(%ebx), %eax            /* mem_upper: KiB above 1 MiB */
    shr $10, %eax
    inc %eax
    call putdec
    mov $pass, %esi
    call puts
    mov $PASS, %eax
    jmp exit
    .data
greeting: .asciz "Hello from Viridian test guest\ncmdline: "
memory: .asciz "\nmemory: about "
pass: .asciz " MiB\nRESULT: PASS\n"
