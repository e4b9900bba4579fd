package org.viridian.machine.boot;

import org.viridian.partition.memory.GuestMemory;

/**
 * The boot GDT: null, null, code at 0x10, data at 0x18, TSS at 0x20. The selectors are Linux's __BOOT_CS/__BOOT_DS,
 * which its 64-bit boot protocol requires; multiboot only needs flat segments, so both loaders share one layout.
 */
final class BootGdt {
    static final int CODE = 0x10;
    static final int DATA = 0x18;
    static final int TSS = 0x20;
    private static final int ENTRIES = 5;

    private BootGdt() {}

    /**
     * Segment state for entry in {@code mode}; writes the GDT at {@link BootLayout#GDT} and returns the entry state.
     */
    static EntryState enter(
            GuestMemory memory, EntryState.Mode mode, long rip, long rax, long rbx, long rsi, long cr3) {
        SegmentDescriptor cs =
                mode == EntryState.Mode.LONG64 ? SegmentDescriptor.code64(CODE) : SegmentDescriptor.code32(CODE);
        SegmentDescriptor ds = SegmentDescriptor.data32(DATA);
        SegmentDescriptor tr = SegmentDescriptor.busyTss(TSS, 0);
        long[] gdt = new long[ENTRIES];
        gdt[CODE >> 3] = cs.toGdtEntry();
        gdt[DATA >> 3] = ds.toGdtEntry();
        gdt[TSS >> 3] = tr.toGdtEntry();
        for (int i = 0; i < ENTRIES; i++) memory.writeLong(BootLayout.GDT + 8L * i, gdt[i]);
        boolean long64 = mode == EntryState.Mode.LONG64;
        long cr0 = EntryState.CR0_PE | EntryState.CR0_ET | (long64 ? EntryState.CR0_PG : 0);
        long cr4 = long64 ? EntryState.CR4_PAE : 0;
        long efer = long64 ? EntryState.EFER_LME | EntryState.EFER_LMA : 0;
        return new EntryState(
                mode,
                rip,
                BootLayout.STACK_TOP,
                rax,
                rbx,
                rsi,
                EntryState.RFLAGS_RESERVED,
                cr0,
                long64 ? cr3 : 0,
                cr4,
                efer,
                cs,
                ds,
                ds,
                ds,
                ds,
                ds,
                tr,
                EntryState.NO_LDT,
                new DescriptorTable(BootLayout.GDT, ENTRIES * 8 - 1),
                DescriptorTable.EMPTY);
    }
}
