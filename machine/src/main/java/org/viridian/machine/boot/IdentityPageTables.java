package org.viridian.machine.boot;

import org.viridian.partition.memory.GuestMemory;

/**
 * 4-level page tables identity-mapping the first 4 GiB with 2 MiB pages (1 GiB pages need PDPE1GB in the guest's
 * CPUID, which the VP layer may not expose). Layout at {@link BootLayout#PAGE_TABLES}: PML4, PDPT, then 4 page
 * directories. Linux's startup_64 only needs its own image, boot_params and the command line mapped; mapping all of
 * 4 GiB also covers the initrd and the MMIO hole.
 */
final class IdentityPageTables {
    private static final long PRESENT_RW = 0x3;
    private static final long PAGE_SIZE_2M = 0x80;
    private static final long PAGE = 0x1000;

    private IdentityPageTables() {}

    /** Writes the tables and returns the PML4 address for CR3. */
    static long write(GuestMemory memory) {
        long pml4 = BootLayout.PAGE_TABLES;
        long pdpt = pml4 + PAGE;
        long pd0 = pdpt + PAGE;
        memory.slice(pml4, BootLayout.PAGE_TABLES_END - pml4).fill((byte) 0);
        memory.writeLong(pml4, pdpt | PRESENT_RW);
        for (int gib = 0; gib < 4; gib++) {
            long pd = pd0 + gib * PAGE;
            memory.writeLong(pdpt + 8L * gib, pd | PRESENT_RW);
            for (int i = 0; i < 512; i++) {
                long phys = ((long) gib << 30) | ((long) i << 21);
                memory.writeLong(pd + 8L * i, phys | PRESENT_RW | PAGE_SIZE_2M);
            }
        }
        return pml4;
    }
}
