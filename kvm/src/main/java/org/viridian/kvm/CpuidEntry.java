package org.viridian.kvm;

/** struct kvm_cpuid_entry2: one CPUID leaf/subleaf as KVM reports or accepts it. */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    public static final long SIZE = 40;
    /** The leaf's output depends on ECX (the subleaf index). */
    public static final int KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

    public CpuidEntry withRegs(int a, int b, int c, int d) {
        return new CpuidEntry(function, index, flags, a, b, c, d);
    }
}
