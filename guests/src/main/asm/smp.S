/* SMP bring-up: counts enabled processors in the ACPI MADT (RSDP found by scanning 0xE0000-0xFFFFF), starts the APs with
 * INIT and two SIPIs through the LAPIC, and each AP reports in on the serial port under a spinlock. */
#include "rt.inc"
    .set LAPIC, 0xFEE00000
    .set TRAMPOLINE, 0x8000
    .text
main:
    mov $0xFF, %al
    out %al, $0x21
    out %al, $0xA1
    call count_cpus
    mov %eax, ncpus
    mov $in_madt, %esi
    call puts
    call putdec
    mov $nl, %esi
    call puts
    cmpl $0, ncpus
    je 8f
    mov $trampoline_start, %esi     /* the APs start in real mode at SIPI vector 0x08 → 0x8000 */
    mov $TRAMPOLINE, %edi
    mov $(trampoline_end - trampoline_start), %ecx
    rep movsb
    orl $0x1FF, LAPIC + 0xF0
    movl $0, LAPIC + 0x310
    movl $0x000C4500, LAPIC + 0x300 /* INIT, assert, to all but self */
    call delay
    movl $0x000C4608, LAPIC + 0x300 /* STARTUP, vector 0x08 */
    call delay
    movl $0x000C4608, LAPIC + 0x300
    mov ncpus, %ebx
    dec %ebx
    mov $0x20000000, %ecx
1:  cmp %ebx, ap_count
    je 2f
    pause
    loop 1b
    jmp 8f
2:  call lock
    mov $online, %esi
    call puts
    mov ncpus, %eax
    call putdec
    mov $pass, %esi
    call puts
    mov $PASS, %eax
    jmp exit
8:  call lock
    mov $fail, %esi
    call puts
    mov ap_count, %eax
    call putdec
    mov $nl, %esi
    call puts
    mov $0x13, %eax
    jmp exit

delay:
    mov $100000, %ecx
1:  pause
    loop 1b
    ret

lock:
    mov $1, %eax
1:  xchg %eax, print_lock
    test %eax, %eax
    jz 2f
    pause
    jmp 1b
2:  ret

/* count_cpus → eax: enabled Local APIC entries (type 0, flags bit 0) of the MADT, 0 if no ACPI. */
count_cpus:
    mov $0xE0000, %esi
1:  cmpl $0x20445352, (%esi)        /* "RSD " */
    jne 2f
    cmpl $0x20525450, 4(%esi)       /* "PTR " */
    je 3f
2:  add $16, %esi
    cmp $0x100000, %esi
    jb 1b
    xor %eax, %eax
    ret
3:  mov 16(%esi), %esi              /* RSDT */
    mov 4(%esi), %ecx
    lea (%esi,%ecx), %edx            /* end of RSDT */
    add $36, %esi
4:  cmp %edx, %esi
    jae 7f
    mov (%esi), %edi
    add $4, %esi
    cmpl $0x43495041, (%edi)        /* "APIC" */
    jne 4b
    mov 4(%edi), %ecx
    lea (%edi,%ecx), %edx            /* end of MADT */
    add $44, %edi
    xor %eax, %eax
5:  cmp %edx, %edi
    jae 6f
    cmpb $0, (%edi)
    jne 9f
    testl $1, 4(%edi)
    jz 9f
    inc %eax
9:  movzbl 1(%edi), %ecx
    test %ecx, %ecx
    jz 6f
    add %ecx, %edi
    jmp 5b
6:  ret
7:  xor %eax, %eax
    ret

    .code16
trampoline_start:
    cli
    mov %cs, %ax
    mov %ax, %ds
    lgdtl (tramp_gdtr - trampoline_start)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $KCODE, $ap_entry
tramp_gdtr:
    .word gdt_end - gdt - 1
    .long gdt
trampoline_end:
    .code32
ap_entry:
    mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $1, %eax
    lock xadd %eax, ap_index        /* a private stack each */
    shl $12, %eax
    lea ap_stacks + 4096(%eax), %esp
    mov LAPIC + 0x20, %ebx
    shr $24, %ebx
    call lock
    mov $cpu, %esi
    call puts
    mov %ebx, %eax
    call putdec
    mov $cpu2, %esi
    call puts
    mov %ebx, %eax
    call putdec
    mov $cpu3, %esi
    call puts
    movl $0, print_lock
    lock incl ap_count
1:  cli
    hlt
    jmp 1b

    .data
ncpus: .long 0
ap_count: .long 0
ap_index: .long 0
print_lock: .long 0
in_madt: .asciz "processors in the MADT: "
online: .asciz "cpus online: "
cpu: .asciz "cpu "
cpu2: .asciz " online (apic id "
cpu3: .asciz ")\n"
nl: .asciz "\n"
pass: .asciz "\nRESULT: PASS\n"
fail: .asciz "RESULT: FAIL APs online: "
    .bss
    .align 4096
ap_stacks: .fill 4096 * 64, 1, 0
