package org.viridian.partition;

import java.util.List;
import org.viridian.x86.CpuidEntry;

/**
 * Shapes the CPUID a VP sees, starting from what KVM supports. Layers above add theirs (the hypervisor interface adds
 * the Hyper-V leaves; nested-host workarounds hide instructions KVM's emulator cannot run).
 */
@FunctionalInterface
public interface CpuidPolicy {
    List<CpuidEntry> apply(List<CpuidEntry> leaves, int vpIndex, int vpCount);

    default CpuidPolicy andThen(CpuidPolicy next) {
        return (leaves, vp, n) -> next.apply(apply(leaves, vp, n), vp, n);
    }

    /** Per-VP topology: the initial APIC id in leaf 1 and the x2APIC id in leaves 0xB/0x1F equal the VP index. */
    static CpuidPolicy topology() {
        return (leaves, vp, n) -> leaves.stream()
                .map(e -> switch (e.function()) {
                    case 1 ->
                        e.withRegs(
                                e.eax(),
                                (e.ebx() & 0x0000FFFF) | (Math.min(n, 255) << 16) | (vp << 24),
                                e.ecx(),
                                e.edx() | (1 << 28) /* HTT: leaf 1 EBX[23:16] is valid */);
                    case 0xB, 0x1F -> e.withRegs(e.eax(), e.ebx(), e.ecx(), vp);
                    default -> e;
                })
                .toList();
    }
}
