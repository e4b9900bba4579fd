package org.viridian.x86;

/** One CPUID leaf/subleaf: input EAX (function) and ECX (index), flags, and the four output registers. */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    /** The leaf's output depends on ECX (the subleaf index). */
    public static final int KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

    public CpuidEntry withRegs(int a, int b, int c, int d) {
        return new CpuidEntry(function, index, flags, a, b, c, d);
    }
}
