package org.viridian.hv.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

/** The TLFS formula the guest applies to the TSC page gives 100 ns units, and the page protocol is followed. */
class ReferenceTimeTest {
    @Test
    void oneSecondOfTscIsTenMillionUnitsAtAnyFrequency() {
        for (long hz : new long[] {1_000_000_000L, 2_994_374_000L, 3_700_000_000L}) {
            ReferenceTime t = new ReferenceTime(hz, 0);
            assertThat(t.fromTsc(hz)).isCloseTo(10_000_000L, within(1L));
            assertThat(t.fromTsc(hz * 3600)).isCloseTo(36_000_000_000L, within(3600L));
            long prev = -1;
            for (long tsc = 0; tsc < 10 * hz; tsc += hz / 7) {
                assertThat(t.fromTsc(tsc)).isGreaterThanOrEqualTo(prev);
                prev = t.fromTsc(tsc);
            }
        }
    }

    @Test
    void publishingWritesScaleAndOffsetAndANewValidSequence() {
        try (GuestMemory m = GuestMemory.allocate(1 << 20)) {
            ReferenceTime t = new ReferenceTime(2_000_000_000L, 5);
            t.publish(m, 0x3000);
            int first = m.readInt(0x3000);
            assertThat(first).isNotZero();
            assertThat(m.readLong(0x3000 + ReferenceTime.SCALE)).isEqualTo(t.scale());
            assertThat(m.readLong(0x3000 + ReferenceTime.OFFSET)).isEqualTo(5);
            // The guest computes ((tsc * scale) >> 64) + offset: 2e9 ticks are one second.
            assertThat(Math.unsignedMultiplyHigh(2_000_000_000L, m.readLong(0x3000 + 8)) + 5)
                    .isCloseTo(10_000_005L, within(1L));
            t.publish(m, 0x3000);
            assertThat(m.readInt(0x3000)).isNotEqualTo(first).isNotZero();
        }
    }

    @Test
    void nowExtrapolatesFromTheLastVpReadingAtTheHostsRate() throws InterruptedException {
        ReferenceTime t = new ReferenceTime(2_000_000_000L, 0);
        long sampled = t.sample(2_000_000_000L * 100); // the guest is 100 s in
        assertThat(sampled).isCloseTo(1_000_000_000L, within(1L));
        Thread.sleep(50);
        // 50 ms later on the host: 500,000 units more (allow scheduling slack, never less).
        assertThat(t.now() - sampled).isBetween(500_000L, 500_000L + 2_000_000L);
    }
}
