package org.viridian.partition.nested;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.x86.CpuidEntry;

class NestedHostTest {
    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (byte) v[i];
        return out;
    }

    @Test
    void exceptionInstructionsAreClassifiedWithTheirLength() {
        assertThat(FailedInstruction.classify(b(0xCC, 0x90))).isEqualTo(new FailedInstruction.Trap(3, 1));
        assertThat(FailedInstruction.classify(b(0x0F, 0x0B))).isEqualTo(new FailedInstruction.Fault(6));
        assertThat(FailedInstruction.classify(b(0xCD, 0x80))).isEqualTo(new FailedInstruction.Trap(0x80, 2));
        assertThat(FailedInstruction.classify(b(0xF1))).isEqualTo(new FailedInstruction.Trap(1, 1));
        // Prefixes do not change the opcode but do count in the length the trap skips.
        assertThat(FailedInstruction.classify(b(0x66, 0x48, 0xCC))).isEqualTo(new FailedInstruction.Trap(3, 3));
    }

    @Test
    void otherInstructionsAreLeftToCrashTheGuest() {
        assertThat(FailedInstruction.classify(b(0x0F, 0xAE, 0x2F)))
                .isInstanceOf(FailedInstruction.Unknown.class); // xrstor
        assertThat(FailedInstruction.classify(b(0x48, 0x0F, 0xC7, 0x0E))).isInstanceOf(FailedInstruction.Unknown.class);
        assertThat(FailedInstruction.classify(b(0xCD))).isInstanceOf(FailedInstruction.Unknown.class); // truncated
        assertThat(FailedInstruction.classify(new byte[0])).isInstanceOf(FailedInstruction.Unknown.class);
        assertThat(FailedInstruction.classify(
                        b(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66)))
                .isInstanceOf(FailedInstruction.Unknown.class);
    }

    @Test
    void nestedPolicyHidesXsaveAndCx16ButKeepsTheRest() {
        List<CpuidEntry> in = List.of(
                new CpuidEntry(1, 0, 0, 0x806F8, 0, 0xFFFFFFFF, 0xFFFFFFFF),
                new CpuidEntry(0xD, 0, 1, 7, 0, 0, 0),
                new CpuidEntry(7, 0, 1, 0, 0xFFFFFFFF, 0, 0));
        List<CpuidEntry> out = NestedHostCpuid.policy().apply(in, 0, 1);
        assertThat(out).extracting(CpuidEntry::function).containsExactly(1, 7);
        int ecx = out.get(0).ecx();
        assertThat(ecx & NestedHostCpuid.ECX_CX16).isZero();
        assertThat(ecx & NestedHostCpuid.ECX_XSAVE).isZero();
        assertThat(ecx & 1).isEqualTo(1); // SSE3 untouched
        assertThat(out.get(0).edx()).isEqualTo(0xFFFFFFFF);
        assertThat(out.get(1).ebx() & NestedHostCpuid.EBX_AVX2).isZero();
    }
}
