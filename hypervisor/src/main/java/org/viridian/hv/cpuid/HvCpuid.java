package org.viridian.hv.cpuid;

import java.util.ArrayList;
import java.util.List;
import org.viridian.hv.HvFeatures;
import org.viridian.partition.CpuidPolicy;
import org.viridian.x86.CpuidEntry;

/**
 * The Hyper-V CPUID leaves 0x40000000–0x4000000A ("Microsoft Hv", interface "Hv#1"). They replace whatever KVM
 * advertises in the hypervisor range (its own KVM leaves), so the guest sees one hypervisor: this one. Each feature
 * bit is set only when Viridian implements it (see {@link HvFeatures}). Leaf 1 ECX bit 31 (hypervisor present) is
 * set too: KVM's supported CPUID leaves it clear, and without it guests never look at the hypervisor leaves.
 */
public final class HvCpuid {
    public static final int BASE = 0x40000000, MAX_LEAF = 0x4000000A;
    public static final int LEAF1_ECX_HYPERVISOR = 1 << 31;
    /** "Hv#1": the interface signature Linux and Windows check. */
    public static final int INTERFACE_HV1 = 0x31237648;

    // 0x40000003 EAX: partition privileges (low half).
    public static final int ACCESS_TIME_REF_COUNT = 1 << 1,
            ACCESS_SYNIC = 1 << 2,
            ACCESS_TIMERS = 1 << 3,
            ACCESS_HYPERCALL_MSRS = 1 << 5,
            ACCESS_VP_INDEX = 1 << 6,
            ACCESS_RESET = 1 << 7,
            ACCESS_REFERENCE_TSC = 1 << 9,
            ACCESS_FREQUENCY = 1 << 11;
    // 0x40000003 EBX: partition privileges (high half).
    public static final int POST_MESSAGES = 1 << 4, SIGNAL_EVENTS = 1 << 5;
    // 0x40000003 EDX: miscellaneous features.
    public static final int FREQUENCY_MSRS_AVAILABLE = 1 << 8,
            GUEST_CRASH_MSRS_AVAILABLE = 1 << 10,
            DIRECT_TIMERS_AVAILABLE = 1 << 19;
    // 0x40000004 EAX: recommendations.
    public static final int REMOTE_TLB_FLUSH_RECOMMENDED = 1 << 2,
            SYSTEM_RESET_RECOMMENDED = 1 << 4,
            RELAXED_TIMING_RECOMMENDED = 1 << 5,
            DEPRECATING_AEOI_RECOMMENDED = 1 << 9,
            CLUSTER_IPI_RECOMMENDED = 1 << 10,
            EX_PROCESSOR_MASKS_RECOMMENDED = 1 << 11;

    private HvCpuid() {}

    public static CpuidPolicy policy(HvFeatures f) {
        return (leaves, vp, n) -> {
            List<CpuidEntry> out = new ArrayList<>(leaves.stream()
                    .filter(e -> Integer.compareUnsigned(e.function(), BASE) < 0
                            || Integer.compareUnsigned(e.function(), 0x4FFFFFFF) > 0)
                    .map(e -> e.function() == 1
                            ? e.withRegs(e.eax(), e.ebx(), e.ecx() | LEAF1_ECX_HYPERVISOR, e.edx())
                            : e)
                    .toList());
            out.addAll(leaves(f, n));
            return out;
        };
    }

    static List<CpuidEntry> leaves(HvFeatures f, int vpCount) {
        int privLow = ACCESS_TIME_REF_COUNT
                | ACCESS_HYPERCALL_MSRS
                | ACCESS_VP_INDEX
                | ACCESS_RESET
                | (f.synic() ? ACCESS_SYNIC : 0)
                | (f.timers() ? ACCESS_TIMERS : 0)
                | (f.referenceTsc() ? ACCESS_REFERENCE_TSC : 0)
                | (f.frequencyMsrs() ? ACCESS_FREQUENCY : 0);
        int privHigh = f.synic() ? POST_MESSAGES | SIGNAL_EVENTS : 0;
        int misc = (f.frequencyMsrs() ? FREQUENCY_MSRS_AVAILABLE : 0)
                | (f.crashMsrs() ? GUEST_CRASH_MSRS_AVAILABLE : 0)
                | (f.directTimers() ? DIRECT_TIMERS_AVAILABLE : 0);
        // AutoEOI works (KVM's LAPIC ends it, see Synic) but keeps APICv/AVIC off while in use: recommend against it,
        // as Hyper-V does where the hardware virtualizes the APIC.
        int hints = SYSTEM_RESET_RECOMMENDED
                | RELAXED_TIMING_RECOMMENDED
                | DEPRECATING_AEOI_RECOMMENDED
                | (f.smpHypercalls()
                        ? REMOTE_TLB_FLUSH_RECOMMENDED | CLUSTER_IPI_RECOMMENDED | EX_PROCESSOR_MASKS_RECOMMENDED
                        : 0);
        List<CpuidEntry> l = new ArrayList<>();
        l.add(leaf(BASE, MAX_LEAF, ascii("Micr"), ascii("osof"), ascii("t Hv")));
        l.add(leaf(BASE + 1, INTERFACE_HV1, 0, 0, 0));
        l.add(leaf(BASE + 2, 20348, 10 << 16, 0, 0)); // reported as hypervisor version 10.0, build 20348
        l.add(leaf(BASE + 3, privLow, privHigh, 0, misc));
        l.add(leaf(BASE + 4, hints, -1 /* never notify long spin waits */, 0, 0));
        l.add(leaf(BASE + 5, vpCount, vpCount, 0, 0));
        for (int i = 6; i <= MAX_LEAF - BASE; i++) l.add(leaf(BASE + i, 0, 0, 0, 0));
        return l;
    }

    private static CpuidEntry leaf(int function, int eax, int ebx, int ecx, int edx) {
        return new CpuidEntry(function, 0, 0, eax, ebx, ecx, edx);
    }

    private static int ascii(String four) {
        return four.charAt(0) | four.charAt(1) << 8 | four.charAt(2) << 16 | four.charAt(3) << 24;
    }
}
