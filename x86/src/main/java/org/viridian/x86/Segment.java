package org.viridian.x86;

/** A segment register with its descriptor's attributes unpacked (as KVM's struct kvm_segment keeps it). */
public record Segment(
        long base,
        int limit,
        int selector,
        int type,
        boolean present,
        int dpl,
        boolean db,
        boolean s,
        boolean l,
        boolean g,
        boolean avl,
        boolean unusable) {
    /** A flat segment over 4 GiB: {@code type} 0xB = code execute/read accessed, 0x3 = data read/write accessed. */
    public static Segment flat(int selector, int type, boolean code64) {
        return new Segment(0, 0xFFFF_FFFF, selector, type, true, 0, !code64, true, code64, true, false, false);
    }

    @Override
    public String toString() {
        return String.format(
                "sel=%04x base=%016x limit=%08x type=%x p=%d dpl=%d db=%d s=%d l=%d g=%d",
                selector, base, limit, type, present ? 1 : 0, dpl, db ? 1 : 0, s ? 1 : 0, l ? 1 : 0, g ? 1 : 0);
    }
}
