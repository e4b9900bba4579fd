package org.viridian.machine.boot;

/**
 * A segment register as the CPU holds it after loading a selector: the selector plus the hidden descriptor cache.
 * Field names follow the x86 descriptor bits (and KVM's {@code struct kvm_segment}), so the VP layer copies them 1:1.
 *
 * @param selector GDT selector (index << 3 | TI | RPL); 0 for a null/unusable segment
 * @param base     linear base address
 * @param limit    byte-granular limit as cached by the CPU (0xFFFF_FFFF for a flat 4 GiB segment, even when {@code g})
 * @param type     4-bit type field: code 0xB = execute/read/accessed, data 0x3 = read/write/accessed, TSS 0xB = busy
 * @param s        descriptor class: true for code/data, false for system segments (TSS, LDT)
 * @param dpl      descriptor privilege level, 0..3
 * @param present  P bit; a non-present segment is treated as unusable
 * @param db       default operation size: true = 32-bit (must be false for a 64-bit code segment)
 * @param l        64-bit code segment (long mode only)
 * @param g        granularity: limit counted in 4 KiB units in the in-memory descriptor
 */
public record SegmentDescriptor(
        int selector,
        long base,
        long limit,
        int type,
        boolean s,
        int dpl,
        boolean present,
        boolean db,
        boolean l,
        boolean g) {

    public SegmentDescriptor {
        if (type < 0 || type > 0xF) throw new IllegalArgumentException("segment type must be 4 bits: " + type);
        if (dpl < 0 || dpl > 3) throw new IllegalArgumentException("dpl must be 0..3: " + dpl);
        if (selector < 0 || selector > 0xFFFF)
            throw new IllegalArgumentException("selector must be 16 bits: " + selector);
        if (limit < 0 || limit > 0xFFFF_FFFFL) throw new IllegalArgumentException("limit must be 32 bits: " + limit);
        if (g && (limit & 0xFFF) != 0xFFF) {
            throw new IllegalArgumentException("a page-granular limit must end in 0xFFF: 0x" + Long.toHexString(limit));
        }
    }

    private static final long FLAT_LIMIT = 0xFFFF_FFFFL;

    /** Flat 4 GiB 32-bit code segment (protected mode). */
    public static SegmentDescriptor code32(int selector) {
        return new SegmentDescriptor(selector, 0, FLAT_LIMIT, 0xB, true, 0, true, true, false, true);
    }

    /** 64-bit code segment (long mode; base and limit ignored by the CPU but kept flat). */
    public static SegmentDescriptor code64(int selector) {
        return new SegmentDescriptor(selector, 0, FLAT_LIMIT, 0xB, true, 0, true, false, true, true);
    }

    /** Flat 4 GiB read/write data segment. */
    public static SegmentDescriptor data32(int selector) {
        return new SegmentDescriptor(selector, 0, FLAT_LIMIT, 0x3, true, 0, true, true, false, true);
    }

    /** A busy 32/64-bit TSS: VMX requires a usable TR in protected mode even though nothing switches tasks. */
    public static SegmentDescriptor busyTss(int selector, long base) {
        return new SegmentDescriptor(selector, base, 0x67, 0xB, false, 0, true, false, false, false);
    }

    /** The 8-byte GDT entry that loads into exactly this cached state (bases above 4 GiB are not representable). */
    public long toGdtEntry() {
        if (base > 0xFFFF_FFFFL) throw new IllegalStateException("8-byte descriptors hold 32-bit bases only");
        long raw = g ? limit >>> 12 : limit;
        if (raw > 0xF_FFFF)
            throw new IllegalStateException("byte-granular limit exceeds 20 bits: 0x" + Long.toHexString(limit));
        long access = type | (s ? 0x10 : 0) | ((long) dpl << 5) | (present ? 0x80 : 0);
        long flags = (l ? 0x2 : 0) | (db ? 0x4 : 0) | (g ? 0x8 : 0);
        return (raw & 0xFFFF)
                | (base & 0xFF_FFFF) << 16
                | access << 40
                | ((raw >>> 16) & 0xF) << 48
                | flags << 52
                | ((base >>> 24) & 0xFF) << 56;
    }
}
