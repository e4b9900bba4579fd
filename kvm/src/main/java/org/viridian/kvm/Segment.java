package org.viridian.kvm;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** struct kvm_segment (24 bytes): a segment register as KVM keeps it, with the descriptor's attributes unpacked. */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db, boolean s,
                      boolean l, boolean g, boolean avl, boolean unusable) {
    public static final long SIZE = 24;

    /** A flat segment over 4 GiB: {@code type} 0xB = code execute/read accessed, 0x3 = data read/write accessed. */
    public static Segment flat(int selector, int type, boolean code64) {
        return new Segment(0, 0xFFFF_FFFF, selector, type, true, 0, !code64, true, code64, true, false, false);
    }

    static Segment read(MemorySegment m, long off) {
        return new Segment(m.get(JAVA_LONG, off), m.get(JAVA_INT, off + 8), Short.toUnsignedInt(m.get(JAVA_SHORT, off + 12)),
                m.get(JAVA_BYTE, off + 14), m.get(JAVA_BYTE, off + 15) != 0, m.get(JAVA_BYTE, off + 16),
                m.get(JAVA_BYTE, off + 17) != 0, m.get(JAVA_BYTE, off + 18) != 0, m.get(JAVA_BYTE, off + 19) != 0,
                m.get(JAVA_BYTE, off + 20) != 0, m.get(JAVA_BYTE, off + 21) != 0, m.get(JAVA_BYTE, off + 22) != 0);
    }

    void write(MemorySegment m, long off) {
        m.set(JAVA_LONG, off, base);
        m.set(JAVA_INT, off + 8, limit);
        m.set(JAVA_SHORT, off + 12, (short) selector);
        m.set(JAVA_BYTE, off + 14, (byte) type);
        m.set(JAVA_BYTE, off + 15, bit(present));
        m.set(JAVA_BYTE, off + 16, (byte) dpl);
        m.set(JAVA_BYTE, off + 17, bit(db));
        m.set(JAVA_BYTE, off + 18, bit(s));
        m.set(JAVA_BYTE, off + 19, bit(l));
        m.set(JAVA_BYTE, off + 20, bit(g));
        m.set(JAVA_BYTE, off + 21, bit(avl));
        m.set(JAVA_BYTE, off + 22, bit(unusable));
        m.set(JAVA_BYTE, off + 23, (byte) 0);
    }

    private static byte bit(boolean b) {
        return (byte) (b ? 1 : 0);
    }

    @Override
    public String toString() {
        return String.format("sel=%04x base=%016x limit=%08x type=%x p=%d dpl=%d db=%d s=%d l=%d g=%d", selector, base,
                limit, type, present ? 1 : 0, dpl, db ? 1 : 0, s ? 1 : 0, l ? 1 : 0, g ? 1 : 0);
    }
}
