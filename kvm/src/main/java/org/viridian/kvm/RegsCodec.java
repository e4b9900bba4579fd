package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import org.viridian.x86.Regs;
import org.viridian.x86.Segment;
import org.viridian.x86.Sregs;

/**
 * Reads and writes struct kvm_regs, kvm_sregs and kvm_segment (linux/kvm.h, x86-64; sizes and offsets checked by
 * KvmLayoutTest) from and to the x86 records the layers above use.
 */
final class RegsCodec {
    static final long REGS_SIZE = 144, SREGS_SIZE = 312, SEGMENT_SIZE = 24, CPUID_ENTRY_SIZE = 40;

    private RegsCodec() {}

    static Regs readRegs(MemorySegment s) {
        long[] v = s.asSlice(0, REGS_SIZE).toArray(JAVA_LONG);
        return new Regs(
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15],
                v[16], v[17]);
    }

    static void write(Regs r, MemorySegment s) {
        long[] v = {
            r.rax(),
            r.rbx(),
            r.rcx(),
            r.rdx(),
            r.rsi(),
            r.rdi(),
            r.rsp(),
            r.rbp(),
            r.r8(),
            r.r9(),
            r.r10(),
            r.r11(),
            r.r12(),
            r.r13(),
            r.r14(),
            r.r15(),
            r.rip(),
            r.rflags()
        };
        MemorySegment.copy(v, 0, s, JAVA_LONG, 0, v.length);
    }

    static Sregs readSregs(MemorySegment m) {
        Segment[] seg = new Segment[8];
        for (int i = 0; i < 8; i++) seg[i] = readSegment(m, i * SEGMENT_SIZE);
        return new Sregs(
                seg[0],
                seg[1],
                seg[2],
                seg[3],
                seg[4],
                seg[5],
                seg[6],
                seg[7],
                table(m, 192),
                table(m, 208),
                m.get(JAVA_LONG, 224),
                m.get(JAVA_LONG, 232),
                m.get(JAVA_LONG, 240),
                m.get(JAVA_LONG, 248),
                m.get(JAVA_LONG, 256),
                m.get(JAVA_LONG, 264),
                m.get(JAVA_LONG, 272),
                m.asSlice(280, 32).toArray(JAVA_LONG));
    }

    static void write(Sregs r, MemorySegment m) {
        Segment[] seg = {r.cs(), r.ds(), r.es(), r.fs(), r.gs(), r.ss(), r.tr(), r.ldt()};
        for (int i = 0; i < 8; i++) write(seg[i], m, i * SEGMENT_SIZE);
        writeTable(m, 192, r.gdt());
        writeTable(m, 208, r.idt());
        long[] cr = {r.cr0(), r.cr2(), r.cr3(), r.cr4(), r.cr8(), r.efer(), r.apicBase()};
        MemorySegment.copy(cr, 0, m, JAVA_LONG, 224, cr.length);
        MemorySegment.copy(r.interruptBitmap(), 0, m, JAVA_LONG, 280, 4);
    }

    private static Sregs.DescriptorTable table(MemorySegment m, long off) {
        return new Sregs.DescriptorTable(m.get(JAVA_LONG, off), Short.toUnsignedInt(m.get(JAVA_SHORT, off + 8)));
    }

    private static void writeTable(MemorySegment m, long off, Sregs.DescriptorTable t) {
        m.set(JAVA_LONG, off, t.base());
        m.set(JAVA_SHORT, off + 8, (short) t.limit());
        m.asSlice(off + 10, 6).fill((byte) 0);
    }

    static Segment readSegment(MemorySegment m, long off) {
        return new Segment(
                m.get(JAVA_LONG, off),
                m.get(JAVA_INT, off + 8),
                Short.toUnsignedInt(m.get(JAVA_SHORT, off + 12)),
                m.get(JAVA_BYTE, off + 14),
                m.get(JAVA_BYTE, off + 15) != 0,
                m.get(JAVA_BYTE, off + 16),
                m.get(JAVA_BYTE, off + 17) != 0,
                m.get(JAVA_BYTE, off + 18) != 0,
                m.get(JAVA_BYTE, off + 19) != 0,
                m.get(JAVA_BYTE, off + 20) != 0,
                m.get(JAVA_BYTE, off + 21) != 0,
                m.get(JAVA_BYTE, off + 22) != 0);
    }

    static void write(Segment s, MemorySegment m, long off) {
        m.set(JAVA_LONG, off, s.base());
        m.set(JAVA_INT, off + 8, s.limit());
        m.set(JAVA_SHORT, off + 12, (short) s.selector());
        m.set(JAVA_BYTE, off + 14, (byte) s.type());
        m.set(JAVA_BYTE, off + 15, bit(s.present()));
        m.set(JAVA_BYTE, off + 16, (byte) s.dpl());
        m.set(JAVA_BYTE, off + 17, bit(s.db()));
        m.set(JAVA_BYTE, off + 18, bit(s.s()));
        m.set(JAVA_BYTE, off + 19, bit(s.l()));
        m.set(JAVA_BYTE, off + 20, bit(s.g()));
        m.set(JAVA_BYTE, off + 21, bit(s.avl()));
        m.set(JAVA_BYTE, off + 22, bit(s.unusable()));
        m.set(JAVA_BYTE, off + 23, (byte) 0);
    }

    private static byte bit(boolean b) {
        return (byte) (b ? 1 : 0);
    }
}
