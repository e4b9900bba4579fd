package org.viridian.machine.boot;

/**
 * The architectural state of the bootstrap processor when the loaded kernel starts running. Independent of KVM: the VP
 * layer translates it into {@code kvm_regs}/{@code kvm_sregs}. General-purpose registers not listed here (RCX, RDX,
 * RDI, RBP, R8–R15) are zero. The referenced GDT and page tables are already in guest memory.
 *
 * @param mode   the CPU mode at entry
 * @param rip    entry point (guest-physical; paging is either off or identity-mapped)
 * @param rsp    initial stack pointer (a small scratch stack in low memory; kernels set up their own)
 * @param rax    multiboot: the bootloader magic 0x2BADB002; Linux: 0
 * @param rbx    multiboot: the physical address of the multiboot info structure; Linux: 0
 * @param rsi    Linux 64-bit boot protocol: the physical address of boot_params (the "zero page"); multiboot: 0
 * @param rflags only the reserved bit 1 is set (interrupts disabled)
 * @param cr0    PE|ET, plus PG in long mode
 * @param cr3    physical address of the PML4 in long mode; 0 in protected mode
 * @param cr4    PAE in long mode; 0 in protected mode
 * @param efer   LME|LMA in long mode; 0 in protected mode
 * @param cs     code segment: 32-bit flat code (protected mode) or 64-bit code (long mode)
 * @param ds     flat data segment; {@code es}, {@code fs}, {@code gs}, {@code ss} hold the same descriptor
 * @param es     see {@code ds}
 * @param fs     see {@code ds}
 * @param gs     see {@code ds}
 * @param ss     see {@code ds}
 * @param tr     a busy TSS (VMX requires a usable task register in protected mode)
 * @param ldt    unusable (null selector, not present)
 * @param gdt    the boot GDT in guest memory
 * @param idt    empty: the kernel installs its own before enabling interrupts
 */
public record EntryState(
        Mode mode,
        long rip,
        long rsp,
        long rax,
        long rbx,
        long rsi,
        long rflags,
        long cr0,
        long cr3,
        long cr4,
        long efer,
        SegmentDescriptor cs,
        SegmentDescriptor ds,
        SegmentDescriptor es,
        SegmentDescriptor fs,
        SegmentDescriptor gs,
        SegmentDescriptor ss,
        SegmentDescriptor tr,
        SegmentDescriptor ldt,
        DescriptorTable gdt,
        DescriptorTable idt) {

    /** The processor mode the kernel is entered in. */
    public enum Mode {
        /** 32-bit protected mode, paging off (multiboot). */
        PROTECTED32,
        /** 64-bit long mode with identity-mapped paging (Linux 64-bit boot protocol). */
        LONG64
    }

    public static final long CR0_PE = 1L;
    public static final long CR0_ET = 1L << 4;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5;
    public static final long EFER_LME = 1L << 8;
    public static final long EFER_LMA = 1L << 10;
    public static final long RFLAGS_RESERVED = 1L << 1;

    /** The unusable LDT every entry state carries. */
    public static final SegmentDescriptor NO_LDT =
            new SegmentDescriptor(0, 0, 0, 0x2, false, 0, false, false, false, false);

    public EntryState {
        if (mode == Mode.LONG64 && (!cs.l() || cs.db() || (efer & EFER_LMA) == 0 || (cr0 & CR0_PG) == 0)) {
            throw new IllegalArgumentException("long mode entry needs a 64-bit CS, EFER.LMA and CR0.PG");
        }
        if (mode == Mode.PROTECTED32 && (cs.l() || !cs.db() || (cr0 & CR0_PE) == 0)) {
            throw new IllegalArgumentException("protected mode entry needs a 32-bit CS and CR0.PE");
        }
    }
}
