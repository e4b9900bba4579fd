package org.viridian.hv.cpuid;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.hv.HvFeatures;
import org.viridian.x86.CpuidEntry;

/** The leaves a guest uses to find Hyper-V, and that only what is implemented is advertised. */
class HvCpuidTest {
    private static final List<CpuidEntry> KVM = List.of(
            new CpuidEntry(0, 0, 0, 0xD, 0, 0, 0),
            new CpuidEntry(1, 0, 0, 0x306A9, 0, 0x1, 0),
            new CpuidEntry(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
            new CpuidEntry(0x40000001, 0, 0, 0xFFFF, 0, 0, 0));

    private static CpuidEntry leaf(List<CpuidEntry> l, int f) {
        return l.stream()
                .filter(e -> e.function() == f)
                .reduce((a, b) -> {
                    throw new AssertionError("two leaves " + Integer.toHexString(f));
                })
                .orElseThrow();
    }

    @Test
    void vendorInterfaceAndLimitsReplaceKvmsLeaves() {
        List<CpuidEntry> l = HvCpuid.policy(HvFeatures.standard()).apply(KVM, 0, 4);
        CpuidEntry base = leaf(l, 0x40000000);
        String vendor = new String(ByteBuffer.allocate(12)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(base.ebx())
                .putInt(base.ecx())
                .putInt(base.edx())
                .array());
        assertThat(vendor).isEqualTo("Microsoft Hv");
        assertThat(base.eax()).isEqualTo(0x4000000A);
        assertThat(leaf(l, 0x40000001).eax()).isEqualTo(0x31237648);
        assertThat(leaf(l, 0x40000005).eax()).isEqualTo(4);
        assertThat(leaf(l, 0)).isEqualTo(KVM.getFirst());
        assertThat(leaf(l, 1).ecx() & HvCpuid.LEAF1_ECX_HYPERVISOR)
                .as("hypervisor present")
                .isNotZero();
    }

    @Test
    void featureBitsFollowWhatIsOffered() {
        CpuidEntry all = leaf(HvCpuid.policy(HvFeatures.standard()).apply(KVM, 0, 1), 0x40000003);
        assertThat(all.eax() & HvCpuid.ACCESS_SYNIC).isNotZero();
        assertThat(all.eax() & HvCpuid.ACCESS_REFERENCE_TSC).isNotZero();
        assertThat(all.ebx() & (HvCpuid.POST_MESSAGES | HvCpuid.SIGNAL_EVENTS))
                .isEqualTo(HvCpuid.POST_MESSAGES | HvCpuid.SIGNAL_EVENTS);
        assertThat(all.edx() & HvCpuid.GUEST_CRASH_MSRS_AVAILABLE).isNotZero();
        assertThat(all.eax() & HvCpuid.ACCESS_TIMERS).isNotZero();
        assertThat(all.edx() & HvCpuid.DIRECT_TIMERS_AVAILABLE).isNotZero();
        CpuidEntry none = leaf(
                HvCpuid.policy(new HvFeatures(false, false, false, false, false, false, false, false, false))
                        .apply(KVM, 0, 1),
                0x40000003);
        assertThat(none.eax() & (HvCpuid.ACCESS_SYNIC | HvCpuid.ACCESS_REFERENCE_TSC | HvCpuid.ACCESS_FREQUENCY))
                .isZero();
        assertThat(none.ebx()).isZero();
        assertThat(none.edx()).isZero();
        CpuidEntry messageTimers = leaf(
                HvCpuid.policy(HvFeatures.standard().withTimers(true, false)).apply(KVM, 0, 1), 0x40000003);
        assertThat(messageTimers.eax() & HvCpuid.ACCESS_TIMERS).isNotZero();
        assertThat(messageTimers.edx() & HvCpuid.DIRECT_TIMERS_AVAILABLE).isZero();
        CpuidEntry noTimers = leaf(
                HvCpuid.policy(HvFeatures.standard().withTimers(false, true)).apply(KVM, 0, 1), 0x40000003);
        assertThat(noTimers.eax() & HvCpuid.ACCESS_TIMERS).isZero();
        assertThat(noTimers.edx() & HvCpuid.DIRECT_TIMERS_AVAILABLE).isZero();
        assertThat(leaf(HvCpuid.policy(HvFeatures.standard()).apply(KVM, 0, 1), 0x40000004)
                                .eax()
                        & HvCpuid.DEPRECATING_AEOI_RECOMMENDED)
                .isNotZero();
    }
}
