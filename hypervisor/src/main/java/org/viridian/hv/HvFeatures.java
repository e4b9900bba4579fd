package org.viridian.hv;

/**
 * What the hypervisor interface offers a partition. Only what works is advertised in CPUID: a guest that finds a bit
 * set will use it. Defaults: everything implemented; synthetic timers and TLB-flush/IPI hypercalls are not (yet).
 *
 * @param synic          SynIC MSRs, message and event pages, HvPostMessage and HvSignalEvent
 * @param referenceTsc   the reference TSC page (the guest's enlightened clock source)
 * @param frequencyMsrs  TSC and APIC timer frequencies, so the guest does not calibrate them
 * @param crashMsrs      guest crash reporting MSRs
 * @param userHypercalls let CPL3 code make hypercalls (benchmarks only; Hyper-V refuses them with #UD)
 */
public record HvFeatures(boolean synic, boolean referenceTsc, boolean frequencyMsrs, boolean crashMsrs, boolean userHypercalls) {
    public static HvFeatures standard() {
        return new HvFeatures(true, true, true, true, false);
    }

    public HvFeatures withUserHypercalls() {
        return new HvFeatures(synic, referenceTsc, frequencyMsrs, crashMsrs, true);
    }
}
