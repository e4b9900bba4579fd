package org.viridian.partition.nested;

import org.viridian.partition.CpuidPolicy;
import org.viridian.x86.CpuidEntry;

/**
 * Hides CPU features whose instructions KVM's emulator cannot run, for hosts where guest kernel code is emulated
 * (nested "PVM" KVM): XSAVE/OSXSAVE (xrstor fails emulation; hiding XSAVE also hides AVX, which needs it) and CX16
 * (cmpxchg16b fails emulation). Seen with Debian's cloud kernel; see shared/reference/kvm-from-java.md.
 */
public final class NestedHostCpuid {
    static final int ECX_CX16 = 1 << 13, ECX_XSAVE = 1 << 26, ECX_OSXSAVE = 1 << 27, ECX_AVX = 1 << 28;
    static final int EBX_AVX2 = 1 << 5, EBX_AVX512F = 1 << 16;

    private NestedHostCpuid() {}

    public static CpuidPolicy policy() {
        return (leaves, vp, n) -> leaves.stream()
                .filter(e -> e.function() != 0xD)
                .map(NestedHostCpuid::mask)
                .toList();
    }

    static CpuidEntry mask(CpuidEntry e) {
        return switch (e.function()) {
            case 1 -> e.withRegs(e.eax(), e.ebx(), e.ecx() & ~(ECX_CX16 | ECX_XSAVE | ECX_OSXSAVE | ECX_AVX), e.edx());
            case 7 -> e.index() == 0 ? e.withRegs(e.eax(), e.ebx() & ~(EBX_AVX2 | EBX_AVX512F), e.ecx(), e.edx()) : e;
            default -> e;
        };
    }
}
