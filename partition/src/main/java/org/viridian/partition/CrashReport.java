package org.viridian.partition;

import org.viridian.kvm.Regs;
import org.viridian.kvm.Sregs;

import java.util.HexFormat;

/**
 * Everything needed to understand why a partition died: which VP, why, its registers, and the bytes at RIP.
 * Registers may be null when the VP's state could not be read (the report then says so).
 */
public record CrashReport(int vp, String reason, Regs regs, Sregs sregs, byte[] instructionBytes) {
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("VM crashed on virtual processor ").append(vp).append(": ").append(reason).append('\n');
        if (regs != null) b.append(regs).append('\n');
        if (sregs != null) b.append(sregs).append('\n');
        b.append("instruction bytes at rip: ")
                .append(instructionBytes == null || instructionBytes.length == 0 ? "(unavailable)"
                        : HexFormat.ofDelimiter(" ").formatHex(instructionBytes))
                .append('\n');
        return b.toString();
    }
}
