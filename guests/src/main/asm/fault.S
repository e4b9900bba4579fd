/* Loads an empty IDT and executes ud2: #UD cannot be delivered, #DF neither: a triple fault. */
#include "rt.inc"
    .text
main:
    mov $msg, %esi
    call puts
    lidt null_idt
    ud2
    .data
null_idt: .word 0
    .long 0
msg: .asciz "about to triple fault\n"
