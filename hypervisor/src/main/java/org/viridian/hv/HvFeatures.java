package org.viridian.hv;

/**
 * What the hypervisor interface offers a partition. Only what works is advertised in CPUID: a guest that finds a bit
 * set will use it. Defaults: everything implemented except the SMP hypercalls, which need KVM's help (see
 * {@link #withSmpHypercalls}).
 *
 * @param synic          SynIC MSRs, message and event pages, HvPostMessage and HvSignalEvent
 * @param referenceTsc   the reference TSC page (the guest's enlightened clock source)
 * @param frequencyMsrs  TSC and APIC timer frequencies, so the guest does not calibrate them
 * @param crashMsrs      guest crash reporting MSRs
 * @param timers         synthetic timers STIMER0-3 in message mode
 * @param directTimers   and in direct mode (an APIC vector instead of a SynIC message); needs {@code timers}
 * @param userHypercalls let CPL3 code make hypercalls (benchmarks only; Hyper-V refuses them with #UD)
 * @param smpHypercalls  HvFlushVirtualAddressSpace/List and HvSendSyntheticClusterIpi (and their Ex forms), answered
 *                       by KVM in the kernel: recommended in CPUID only where the partition's KVM takes them
 * @param doorbells      fast HvSignalEvent calls on VMBus channels answered by KVM through eventfds, with no exit to
 *                       user space (see SignalDoorbells): not visible to the guest, only faster
 */
public record HvFeatures(
        boolean synic,
        boolean referenceTsc,
        boolean frequencyMsrs,
        boolean crashMsrs,
        boolean timers,
        boolean directTimers,
        boolean userHypercalls,
        boolean smpHypercalls,
        boolean doorbells) {
    public HvFeatures {
        if (timers && !synic) throw new IllegalArgumentException("synthetic timers need the SynIC");
        if (directTimers && !timers) throw new IllegalArgumentException("direct-mode timers need the timers");
    }

    public static HvFeatures standard() {
        return new HvFeatures(true, true, true, true, true, true, false, false, true);
    }

    public HvFeatures withUserHypercalls() {
        return new HvFeatures(
                synic, referenceTsc, frequencyMsrs, crashMsrs, timers, directTimers, true, smpHypercalls, doorbells);
    }

    /** With the TLB-flush and IPI hypercalls: only where KVM answers them (they reach it by VMCALL, see HypercallPage). */
    public HvFeatures withSmpHypercalls(boolean on) {
        return new HvFeatures(
                synic, referenceTsc, frequencyMsrs, crashMsrs, timers, directTimers, userHypercalls, on, doorbells);
    }

    /**
     * With the synthetic timers in both modes, in message mode only, or not at all (the guest then uses its LAPIC
     * timer, which KVM runs in the kernel): to compare the timer paths (issue 15's stress runs).
     */
    public HvFeatures withTimers(boolean on, boolean direct) {
        return new HvFeatures(
                synic,
                referenceTsc,
                frequencyMsrs,
                crashMsrs,
                on,
                on && direct,
                userHypercalls,
                smpHypercalls,
                doorbells);
    }

    /** With or without the signal doorbells (to measure what they save). */
    public HvFeatures withDoorbells(boolean on) {
        return new HvFeatures(
                synic, referenceTsc, frequencyMsrs, crashMsrs, timers, directTimers, userHypercalls, smpHypercalls, on);
    }
}
