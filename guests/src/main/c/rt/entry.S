/*
 * Boot entry, interrupt stubs, CPL3 switch and the AP trampoline.
 * 32-bit protected mode, paging off (see rt.h).
 */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23

/* Multiboot v1 header (Multiboot spec 3.1.1). It must lie in the first
 * 8 KiB of the file; the linker script puts this section first.
 * flags bit 0: page-align modules, bit 1: we want mem_* and the mmap.
 * No bit 16: loaders take the load addresses from the ELF headers. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003
        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .section .bss.stacks, "aw", @nobits
        .align 16
boot_stack:
        .skip 16384
boot_stack_top:
        .global intr_stack_top
intr_stack:             /* TSS.esp0: traps from CPL3 land here */
        .skip 16384
intr_stack_top:
user_stack:             /* run_user() stack */
        .skip 65536
user_stack_top:

        .section .bss
        .align 4
kernel_saved_esp:
        .skip 4

        .text
        .code32
        .global _start
_start:
        /* EAX = magic, EBX = multiboot info. Clear .bss first (loaders
         * need not zero it); keep EAX/EBX in EBP/ESI meanwhile. */
        cli
        cld
        mov     %eax, %ebp
        mov     %ebx, %esi
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        shr     $2, %ecx                /* link.ld aligns both to 4 */
        xor     %eax, %eax
        rep stosl
        mov     $boot_stack_top, %esp
        pushl   $0
        popf                    /* known EFLAGS: IF=0, DF=0, IOPL=0 */
        push    %esi
        push    %ebp
        call    rt_start        /* never returns */
1:      cli
        hlt
        jmp     1b

/* Interrupt stubs: one 16-byte slot per vector, so the IDT entry for vector
 * v is isr_stubs + 16*v. Each pushes a dummy error code where the CPU does
 * not push one (SDM vol. 3 table 6-1), then the vector number. */
        .align 16
        .global isr_stubs
isr_stubs:
        .set vec, 0
        .rept 256
        .align 16
        .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushl   $0
        .endif
        pushl   $vec
        jmp     isr_common
        .set vec, vec + 1
        .endr

/* No IRET anywhere: on the target hosts CPL0 code runs in KVM's instruction
 * emulator, which cannot emulate a protected-mode IRET. Returns to CPL3 use
 * SYSEXIT (EIP = EDX, ESP = ECX, so CPL3 code must treat ECX, EDX and the
 * arithmetic flags as clobbered by anything that traps), returns to CPL0
 * restore EFLAGS with POPF and jump back with RET. */
isr_common:
        pusha
        push    %ds
        push    %es
        push    %fs
        push    %gs
        mov     $SEL_KDATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        push    %esp            /* struct frame * */
        call    isr_dispatch
        add     $4, %esp
        pop     %gs
        pop     %fs
        pop     %es
        pop     %ds
        popa
        add     $8, %esp        /* vector, error code */
        /* Stack: EIP, CS, EFLAGS [, ESP, SS when the trap came from CPL3]. */
        testl   $3, 4(%esp)
        jnz     return_to_user
        /* Make it EFLAGS, EIP: POPF; RET. */
        push    %eax
        mov     4(%esp), %eax           /* EIP */
        xchg    %eax, 12(%esp)          /* EIP over EFLAGS, EAX = EFLAGS */
        mov     %eax, 8(%esp)           /* EFLAGS over CS */
        pop     %eax
        add     $4, %esp
        popf
        ret
return_to_user:
        /* CS/SS are the only user ones; EFLAGS stays as it is now (IF=0,
         * as user code always runs). */
        mov     (%esp), %edx            /* EIP */
        mov     12(%esp), %ecx          /* ESP */
        sysexit

/* uint32_t run_user(uint32_t (*fn)(uint32_t), uint32_t arg)
 * Saves the callee-saved registers and EFLAGS on the kernel stack, then
 * SYSEXITs to fn at CPL3 (IF=0) on user_stack with return address
 * user_return. SYSEXIT's CS/SS are SYSENTER_CS+16/+24 (cpu.c sets it). */
        .global run_user
run_user:
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        pushf
        mov     %esp, kernel_saved_esp
        mov     28(%esp), %eax          /* arg */
        mov     $user_stack_top - 16, %ecx
        mov     %eax, 4(%ecx)
        movl    $user_return, (%ecx)
        mov     24(%esp), %edx          /* fn */
        mov     $SEL_UDATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %fs
        mov     %eax, %gs
        cli
        sysexit
user_return:                            /* CPL3, EAX = fn's result */
        .global rt_user_exit_gate
rt_user_exit_gate:                      /* isr_dispatch: this #UD from CPL3 = back to run_user's caller */
        ud2

/* uint32_t rt_syscall(EAX, EBX): a system call from CPL3 without INT n, which
 * PVM hosts deliver as #UD from CPL3. The #UD of this UD2 is the gate:
 * isr_dispatch runs the VEC_SYSCALL handler on the frame and resumes past it.
 * Exceptions from CPL3 reach the guest on every KVM, hardware or PVM. */
        .global rt_syscall, rt_syscall_gate
rt_syscall:
rt_syscall_gate:
        ud2
        ret

/* _Noreturn void rt_resume_kernel(uint32_t value): called for the #UD at
 * rt_user_exit_gate; drops the trap frame and returns `value` from run_user. */
        .global rt_resume_kernel
rt_resume_kernel:
        mov     4(%esp), %eax
        mov     $SEL_KDATA, %edx
        mov     %edx, %ds
        mov     %edx, %es
        mov     %edx, %fs
        mov     %edx, %gs
        mov     %edx, %ss
        mov     kernel_saved_esp, %esp
        popf
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

/* AP startup trampoline (SDM vol. 3 8.4.4). smp.c copies the bytes between
 * ap_trampoline_start and ap_trampoline_end to a page below 1 MiB, fills in
 * ap_gdtr with SGDT, and sends SIPIs with that page's number. The AP starts
 * in real mode at CS = page<<8, IP = 0. */
        .section .rodata
        .global ap_trampoline_start, ap_trampoline_end, ap_gdtr
        .code16
ap_trampoline_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   ap_gdtr - ap_trampoline_start
        mov     %cr0, %eax
        or      $1, %eax                /* CR0.PE */
        mov     %eax, %cr0
        ljmpl   $SEL_KCODE, $ap_entry32
        .align 8
ap_gdtr:
        .word   0
        .long   0
ap_trampoline_end:

        .text
        .code32
ap_entry32:
        mov     $SEL_KDATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        /* The first AP to get here is CPU 1, the next CPU 2, ... Its stack
         * is slot (index - 1) of ap_stacks (8 KiB each, see smp.c). */
        mov     $1, %eax
        lock xadd %eax, ap_arrivals
        inc     %eax
        mov     %eax, %ecx
        shl     $13, %ecx
        lea     ap_stacks(%ecx), %esp
        push    %eax
        call    ap_main                 /* never returns */
2:      cli
        hlt
        jmp     2b
