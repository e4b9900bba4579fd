/* Exception and interrupt delivery: from CPL3 a #DE (div by zero) and a #GP (OUT to a port outside the TSS I/O bitmap)
 * reach the CPL0 handlers with the right vector, error code and faulting EIP and resume after the instruction; int 0x80
 * (a DPL3 gate) returns a value; back at CPL0 a LAPIC timer interrupt wakes `sti; hlt`. */
#include "rt.inc"
    .set LAPIC, 0xFEE00000
    .text
main:
    mov $0xFF, %al                 /* mask both PICs: only the LAPIC timer may interrupt */
    out %al, $0x21
    out %al, $0xA1
    mov $0, %ecx
    mov $de_handler, %eax
    xor %edx, %edx
    call set_gate
    mov $13, %ecx
    mov $gp_handler, %eax
    call set_gate
    mov $0x40, %ecx
    mov $timer_handler, %eax
    call set_gate
    mov $0x80, %ecx
    mov $syscall_handler, %eax
    mov $1, %edx
    call set_gate
    mov $0x81, %ecx
    mov $to_kernel_handler, %eax
    call set_gate
    mov $user_main, %eax
    jmp to_user

user_main:
    xor %edx, %edx
    mov $1, %eax
    xor %ecx, %ecx
de_insn:
    div %ecx                        /* 2 bytes: F7 F1 */
    mov $0x7, %al
gp_insn:
    out %al, $0x80                  /* 2 bytes: E6 80; port 0x80 is not in the bitmap */
    mov $21, %eax
    int $0x80                       /* returns eax * 2 */
    mov %eax, syscall_result
    int $0x81                       /* back to CPL0 */

de_handler:                         /* no error code: [esp] = EIP */
    mov (%esp), %eax
    mov %eax, de_eip
    addl $2, (%esp)
    iret
gp_handler:                         /* [esp] = error code, [esp+4] = EIP */
    pop %eax
    mov %eax, gp_error
    mov (%esp), %eax
    mov %eax, gp_eip
    addl $2, (%esp)
    iret
syscall_handler:
    add %eax, %eax
    iret
to_kernel_handler:
    mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov $stack_top, %esp
    jmp kernel_part
timer_handler:
    movl $1, timer_seen
    movl $0, LAPIC + 0xB0           /* EOI */
    iret

kernel_part:
    orl $0x1FF, LAPIC + 0xF0        /* software-enable the LAPIC, spurious vector 0xFF */
    movl $0xB, LAPIC + 0x3E0        /* divide by 1 */
    movl $0x40, LAPIC + 0x320       /* one-shot, vector 0x40 */
    movl $100000, LAPIC + 0x380     /* initial count */
1:  sti
    hlt
    cli
    cmpl $0, timer_seen
    je 1b

    mov $ok_de, %esi
    mov de_eip, %eax
    cmp $de_insn, %eax
    call check
    mov $ok_gp, %esi
    mov gp_eip, %eax
    cmp $gp_insn, %eax
    call check
    mov $ok_gp_error, %esi
    cmpl $0, gp_error
    call check
    mov $ok_syscall, %esi
    cmpl $42, syscall_result
    call check
    mov $ok_timer, %esi
    call puts
    cmpl $0, failures
    jne 2f
    mov $pass, %esi
    call puts
    mov $PASS, %eax
    jmp exit
2:  mov $fail, %esi
    call puts
    mov $0x12, %eax
    jmp exit

/* check: prints esi, then "ok" when ZF is set, else "FAIL" and counts a failure. */
check:
    pushf
    call puts
    popf
    jne 1f
    mov $okmsg, %esi
    call puts
    ret
1:  mov $failmsg, %esi
    call puts
    incl failures
    ret

    .data
de_eip: .long 0
gp_eip: .long 0
gp_error: .long -1
syscall_result: .long 0
timer_seen: .long 0
failures: .long 0
ok_de: .asciz "#DE from CPL3 at the faulting EIP: "
ok_gp: .asciz "#GP from CPL3 at the faulting EIP: "
ok_gp_error: .asciz "#GP error code 0: "
ok_syscall: .asciz "int 0x80 from CPL3 returned 42: "
ok_timer: .asciz "LAPIC timer interrupt at CPL0: ok\n"
okmsg: .asciz "ok\n"
failmsg: .asciz "FAIL\n"
pass: .asciz "RESULT: PASS\n"
fail: .asciz "RESULT: FAIL\n"
