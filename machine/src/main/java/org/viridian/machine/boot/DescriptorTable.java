package org.viridian.machine.boot;

/**
 * A GDTR/IDTR value.
 *
 * @param base  guest-linear (= physical at entry, paging is identity or off) address of the table
 * @param limit size in bytes minus one; 0 with base 0 for an empty IDT
 */
public record DescriptorTable(long base, int limit) {
    public DescriptorTable {
        if (limit < 0 || limit > 0xFFFF) throw new IllegalArgumentException("descriptor table limit must be 16 bits");
    }

    public static final DescriptorTable EMPTY = new DescriptorTable(0, 0);
}
