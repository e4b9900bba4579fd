package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.viridian.x86.CpuidEntry;

/** Reads and writes struct kvm_cpuid2 (nent, padding, then kvm_cpuid_entry2[nent]). */
final class CpuidCodec {
    private CpuidCodec() {}

    static List<CpuidEntry> read(MemorySegment buf) {
        int n = buf.get(JAVA_INT, 0);
        List<CpuidEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long o = 8 + i * RegsCodec.CPUID_ENTRY_SIZE;
            out.add(new CpuidEntry(
                    buf.get(JAVA_INT, o),
                    buf.get(JAVA_INT, o + 4),
                    buf.get(JAVA_INT, o + 8),
                    buf.get(JAVA_INT, o + 12),
                    buf.get(JAVA_INT, o + 16),
                    buf.get(JAVA_INT, o + 20),
                    buf.get(JAVA_INT, o + 24)));
        }
        return out;
    }

    static void write(MemorySegment buf, List<CpuidEntry> entries) {
        buf.set(JAVA_INT, 0, entries.size());
        buf.set(JAVA_INT, 4, 0);
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry e = entries.get(i);
            long o = 8 + i * RegsCodec.CPUID_ENTRY_SIZE;
            int[] v = {e.function(), e.index(), e.flags(), e.eax(), e.ebx(), e.ecx(), e.edx(), 0, 0, 0};
            MemorySegment.copy(v, 0, buf, JAVA_INT, o, v.length);
        }
    }
}
