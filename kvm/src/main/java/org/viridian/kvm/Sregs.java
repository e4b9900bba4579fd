package org.viridian.kvm;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** struct kvm_sregs (312 bytes): segment, descriptor-table and control registers. */
public record Sregs(Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss, Segment tr, Segment ldt,
                    DescriptorTable gdt, DescriptorTable idt, long cr0, long cr2, long cr3, long cr4, long cr8,
                    long efer, long apicBase, long[] interruptBitmap) {
    public static final long SIZE = 312;

    /** struct kvm_dtable: base and limit of the GDT or IDT. */
    public record DescriptorTable(long base, int limit) {
        @Override
        public String toString() {
            return String.format("base=%016x limit=%04x", base, limit);
        }
    }

    public static Sregs read(MemorySegment m) {
        Segment[] seg = new Segment[8];
        for (int i = 0; i < 8; i++) seg[i] = Segment.read(m, i * Segment.SIZE);
        return new Sregs(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7], table(m, 192), table(m, 208),
                m.get(JAVA_LONG, 224), m.get(JAVA_LONG, 232), m.get(JAVA_LONG, 240), m.get(JAVA_LONG, 248),
                m.get(JAVA_LONG, 256), m.get(JAVA_LONG, 264), m.get(JAVA_LONG, 272),
                m.asSlice(280, 32).toArray(JAVA_LONG));
    }

    private static DescriptorTable table(MemorySegment m, long off) {
        return new DescriptorTable(m.get(JAVA_LONG, off), Short.toUnsignedInt(m.get(JAVA_SHORT, off + 8)));
    }

    public void write(MemorySegment m) {
        Segment[] seg = {cs, ds, es, fs, gs, ss, tr, ldt};
        for (int i = 0; i < 8; i++) seg[i].write(m, i * Segment.SIZE);
        writeTable(m, 192, gdt);
        writeTable(m, 208, idt);
        long[] cr = {cr0, cr2, cr3, cr4, cr8, efer, apicBase};
        MemorySegment.copy(cr, 0, m, JAVA_LONG, 224, cr.length);
        MemorySegment.copy(interruptBitmap, 0, m, JAVA_LONG, 280, 4);
    }

    private static void writeTable(MemorySegment m, long off, DescriptorTable t) {
        m.set(JAVA_LONG, off, t.base());
        m.set(JAVA_SHORT, off + 8, (short) t.limit());
        m.asSlice(off + 10, 6).fill((byte) 0);
    }

    @Override
    public String toString() {
        return String.format("""
                cs  %s
                ds  %s
                ss  %s
                tr  %s
                gdt %s  idt %s
                cr0=%016x cr2=%016x cr3=%016x cr4=%016x efer=%016x apic_base=%016x""", cs, ds, ss, tr, gdt, idt,
                cr0, cr2, cr3, cr4, efer, apicBase);
    }
}
