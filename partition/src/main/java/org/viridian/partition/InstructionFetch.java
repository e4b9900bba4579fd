package org.viridian.partition;

import java.util.OptionalLong;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/** Reads the bytes at a VP's RIP for crash reports, through KVM's translation of the current paging mode. */
final class InstructionFetch {
    private static final int MAX_INSN = 15;

    private InstructionFetch() {}

    static byte[] atRip(VirtualProcessor vp, GuestMemory memory) {
        try {
            Regs r = vp.vcpu().regs();
            Sregs s = vp.vcpu().sregs();
            boolean longMode = s.cs().l();
            long linear = longMode ? r.rip() : (s.cs().base() + r.rip()) & 0xFFFF_FFFFL;
            OptionalLong phys = vp.vcpu().translate(linear);
            if (phys.isEmpty()) return new byte[0];
            long gpa = phys.getAsLong();
            int n = (int) Math.min(MAX_INSN, GuestMemory.PAGE_SIZE - (gpa & (GuestMemory.PAGE_SIZE - 1)));
            return memory.contains(gpa, n) ? memory.read(gpa, n) : new byte[0];
        } catch (RuntimeException e) {
            return new byte[0];
        }
    }
}
