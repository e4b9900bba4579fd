package org.viridian.hv.msr;

/** Synthetic MSR numbers (TLFS, "Partition and VP MSRs"). */
public final class HvMsr {
    private HvMsr() {}

    public static final int GUEST_OS_ID = 0x40000000;
    public static final int HYPERCALL = 0x40000001;
    public static final int VP_INDEX = 0x40000002;
    public static final int RESET = 0x40000003;
    public static final int TIME_REF_COUNT = 0x40000020;
    public static final int REFERENCE_TSC = 0x40000021;
    public static final int TSC_FREQUENCY = 0x40000022;
    public static final int APIC_FREQUENCY = 0x40000023;
    public static final int VP_ASSIST_PAGE = 0x40000073;
    public static final int SCONTROL = 0x40000080;
    public static final int SVERSION = 0x40000081;
    public static final int SIEFP = 0x40000082;
    public static final int SIMP = 0x40000083;
    public static final int EOM = 0x40000084;
    public static final int SINT0 = 0x40000090;
    public static final int SINT15 = 0x4000009F;
    public static final int CRASH_P0 = 0x40000100;
    public static final int CRASH_P4 = 0x40000104;
    public static final int CRASH_CTL = 0x40000105;

    /** The whole synthetic range, claimed from KVM by the MSR filter so every access comes to user space. */
    public static final int RANGE_FIRST = 0x40000000, RANGE_COUNT = 0x200;
}
