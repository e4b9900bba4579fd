package org.viridian.hv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.msr.SyntheticMsrs;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.hv.time.ReferenceTime;
import org.viridian.partition.memory.GuestMemory;

/** Saving the interface's state and restoring it elsewhere loses no register and no undelivered message. */
class StateTest {
    private static SyntheticMsrs msrs(GuestMemory m, List<Synic> synics) {
        return new SyntheticMsrs(
                HvFeatures.standard(), m, new ReferenceTime(2_000_000_000L, 0), synics::get, new SyntheticMsrs.Host() {
                    public long guestTsc(int vp) {
                        return 4_000_000_000L;
                    }

                    public void reset() {}

                    public void guestCrashed(long[] p) {}
                });
    }

    @Test
    void registersAndQueuedMessagesSurviveSaveAndRestore() {
        try (GuestMemory a = GuestMemory.allocate(1 << 20);
                GuestMemory b = GuestMemory.allocate(1 << 20)) {
            List<int[]> raisedB = new ArrayList<>();
            List<Synic> sa = List.of(new Synic(0, a, (vp, v) -> {}));
            List<Synic> sb = List.of(new Synic(0, b, (vp, v) -> raisedB.add(new int[] {vp, v})));
            SyntheticMsrs ma = msrs(a, sa), mb = msrs(b, sb);
            ma.write(0, HvMsr.GUEST_OS_ID, 0x8100_0000_0001_0000L);
            ma.write(0, HvMsr.HYPERCALL, 0x5000 | 1);
            ma.write(0, HvMsr.REFERENCE_TSC, 0x6000 | 1);
            ma.write(0, HvMsr.CRASH_P0 + 2, 0xDEAD);
            ma.write(0, HvMsr.SIMP, 0x7000 | 1);
            ma.write(0, HvMsr.SINT0 + 1, 0x41);
            // Slot busy: the second message is still queued when the state is taken.
            sa.getFirst().post(1, new HvMessage(1, 9, new byte[] {1}));
            sa.getFirst().post(1, new HvMessage(2, 9, new byte[] {2}));
            ma.write(0, HvMsr.SCONTROL, 1);
            assertThat(sa.getFirst().queued(1)).isEqualTo(1);

            SyntheticMsrs.State saved = ma.state();
            Synic.SynicState synic = sa.getFirst().state();
            // Guest memory travels separately (memfd); copy the pages the state refers to.
            b.write(0x7000, a.read(0x7000, 4096));
            mb.restore(saved);
            sb.getFirst().restore(synic);

            for (int msr : new int[] {
                HvMsr.GUEST_OS_ID,
                HvMsr.HYPERCALL,
                HvMsr.REFERENCE_TSC,
                HvMsr.CRASH_P0 + 2,
                HvMsr.SIMP,
                HvMsr.SINT0 + 1,
                HvMsr.SCONTROL
            }) {
                assertThat(mb.read(0, msr)).as(Integer.toHexString(msr)).isEqualTo(ma.read(0, msr));
            }
            assertThat(b.readInt(0x6000)).as("TSC page republished").isNotZero();
            // The guest consumes the slot on the target and the queued message arrives there.
            b.writeInt(0x7000 + 256, 0);
            mb.write(0, HvMsr.EOM, 0);
            assertThat(b.readInt(0x7000 + 256)).isEqualTo(2);
            assertThat(raisedB).hasSize(1);
        }
    }
}
