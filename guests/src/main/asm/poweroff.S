/* ACPI S5: SLP_EN with SLP_TYP 0 on PM1a_CNT (0x604); the VM powers off, no debug exit. */
#include "rt.inc"
    .text
main:
    mov $msg, %esi
    call puts
    mov $0x604, %dx
    mov $0x2000, %ax
    out %ax, %dx
    mov $0x10000000, %ecx          /* power-off takes effect asynchronously on some VMMs: wait before judging */
1:  pause
    loop 1b
    mov $late, %esi
    call puts
    mov $0x1D, %eax
    jmp exit
    .data
msg: .asciz "powering off\n"
late: .asciz "RESULT: FAIL still running after power-off\n"
