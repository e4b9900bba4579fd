/* Runs an integer xorshift loop at CPL3 (n=ITERATIONS on the command line) and prints the result, which is the same
 * under any correct VMM. Output and exit are done from CPL3 through the TSS I/O bitmap. */
#include "rt.inc"
    .text
main:
    mov $1000000, %eax
    call cmdline_n
    mov %eax, iterations
    mov $user_main, %eax
    jmp to_user
user_main:
    mov %cs, %eax
    and $3, %eax
    cmp $3, %eax
    jne 9f
    mov $msg, %esi
    call puts
    mov iterations, %ecx
    mov $0x12345678, %eax
1:  mov %eax, %edx
    shl $13, %edx
    xor %edx, %eax
    mov %eax, %edx
    shr $17, %edx
    xor %edx, %eax
    mov %eax, %edx
    shl $5, %edx
    xor %edx, %eax
    dec %ecx
    jnz 1b
    mov $result, %esi
    call puts
    call puthex
    mov $pass, %esi
    call puts
    mov $PASS, %eax
    jmp exit
9:  mov $notuser, %esi
    call puts
    mov $0x11, %eax
    jmp exit
    .data
iterations: .long 0
msg: .asciz "running at CPL3\n"
result: .asciz "cpl3 result: "
pass: .asciz "\nRESULT: PASS\n"
notuser: .asciz "RESULT: FAIL not at CPL3\n"
