package org.viridian.x86;

/** Segment, descriptor-table and control registers, EFER, the APIC base and pending interrupts (KVM: kvm_sregs). */
public record Sregs(
        Segment cs,
        Segment ds,
        Segment es,
        Segment fs,
        Segment gs,
        Segment ss,
        Segment tr,
        Segment ldt,
        DescriptorTable gdt,
        DescriptorTable idt,
        long cr0,
        long cr2,
        long cr3,
        long cr4,
        long cr8,
        long efer,
        long apicBase,
        long[] interruptBitmap) {
    /** Base and limit of the GDT or IDT. */
    public record DescriptorTable(long base, int limit) {
        @Override
        public String toString() {
            return String.format("base=%016x limit=%04x", base, limit);
        }
    }

    @Override
    public String toString() {
        return String.format(
                """
                cs  %s
                ds  %s
                ss  %s
                tr  %s
                gdt %s  idt %s
                cr0=%016x cr2=%016x cr3=%016x cr4=%016x efer=%016x apic_base=%016x""",
                cs, ds, ss, tr, gdt, idt, cr0, cr2, cr3, cr4, efer, apicBase);
    }
}
