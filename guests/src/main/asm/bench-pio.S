/* Benchmark guest: at CPL3, n (command line n=N, default 100000) 4-byte OUTs to port 0xE0, each one a VM exit the VMM
 * answers. The host times the exits; the guest only reports the count. */
#include "rt.inc"
    .text
main:
    mov $100000, %eax
    call cmdline_n
    mov %eax, iterations
    mov $user_main, %eax
    jmp to_user
user_main:
    mov iterations, %ecx
    test %ecx, %ecx
    jz 2f
1:  out %eax, $0xE0
    dec %ecx
    jnz 1b
2:  mov $msg, %esi
    call puts
    mov iterations, %eax
    call putdec
    mov $msg2, %esi
    call puts
    mov $PASS, %eax
    jmp exit
    .data
iterations: .long 0
msg: .asciz "pio: "
msg2: .asciz " exits\nRESULT: PASS\n"
