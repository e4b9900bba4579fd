package org.viridian.machine.acpi;

/**
 * Builds a {@code ResourceTemplate() { ... }} buffer (ACPI 6.x §6.4): I/O ports, legacy IRQs, fixed 32-bit memory
 * and 64-bit memory ranges, closed by the end tag.
 */
public final class ResourceTemplate {
    private final ByteSink out = new ByteSink();

    /** {@code IO(Decode16, min, max, alignment, length)}. */
    public ResourceTemplate io(int min, int max, int alignment, int length) {
        check(min, 0xFFFF, "IO minimum");
        check(max, 0xFFFF, "IO maximum");
        check(alignment, 0xFF, "IO alignment");
        check(length, 0xFF, "IO length");
        out.u8(0x47).u8(0x01).u16(min).u16(max).u8(alignment).u8(length);
        return this;
    }

    /** A fixed I/O range: {@code IO(Decode16, base, base, 1, length)}. */
    public ResourceTemplate io(int base, int length) {
        return io(base, base, 1, length);
    }

    /** {@code IRQNoFlags() {irqs}}: edge-triggered, active-high, exclusive ISA interrupts. */
    public ResourceTemplate irqNoFlags(int... irqs) {
        int mask = 0;
        for (int irq : irqs) {
            check(irq, 15, "IRQ");
            mask |= 1 << irq;
        }
        out.u8(0x22).u16(mask);
        return this;
    }

    /** {@code Memory32Fixed(ReadWrite|ReadOnly, base, length)}. */
    public ResourceTemplate memory32Fixed(boolean writable, long base, long length) {
        check(base, 0xFFFF_FFFFL, "Memory32Fixed base");
        check(length, 0xFFFF_FFFFL, "Memory32Fixed length");
        out.u8(0x86).u16(9).u8(writable ? 1 : 0).u32(base).u32(length);
        return this;
    }

    /**
     * {@code QWordMemory(ResourceConsumer|Producer, PosDecode, MinFixed, MaxFixed, Cacheable|NonCacheable, ReadWrite,
     * 0, min, min + length - 1, 0, length)}: a fixed 64-bit memory range.
     */
    public ResourceTemplate qwordMemory(boolean producer, boolean cacheable, long min, long length) {
        if (length <= 0 || min < 0 || min + length - 1 < min)
            throw new IllegalArgumentException("bad QWordMemory range");
        int general = (producer ? 0 : 1) | 0x04 | 0x08; // consumer bit, MinFixed, MaxFixed
        int specific = 0x01 | (cacheable ? 0x02 : 0); // ReadWrite, cacheability
        out.u8(0x8A)
                .u16(43)
                .u8(0)
                .u8(general)
                .u8(specific)
                .u64(0)
                .u64(min)
                .u64(min + length - 1)
                .u64(0)
                .u64(length);
        return this;
    }

    /**
     * {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, max - min + 1)}: the bus
     * numbers a PCI host bridge decodes.
     */
    public ResourceTemplate wordBusNumber(int min, int max) {
        check(min, 0xFF, "bus minimum");
        check(max, 0xFF, "bus maximum");
        if (max < min) throw new IllegalArgumentException("bus range " + min + "-" + max);
        out.u8(0x88)
                .u16(13)
                .u8(2)
                .u8(0x0C)
                .u8(0)
                .u16(0)
                .u16(min)
                .u16(max)
                .u16(0)
                .u16(max - min + 1);
        return this;
    }

    /** The buffer term, closed by the end tag (checksum 0: "treat as correct"). */
    public AmlTerm build() {
        byte[] body = new ByteSink().bytes(out.toByteArray()).u8(0x79).u8(0).toByteArray();
        return Aml.buffer(body);
    }

    private static void check(long v, long max, String what) {
        if (v < 0 || v > max) throw new IllegalArgumentException(what + " out of range: " + v);
    }
}
