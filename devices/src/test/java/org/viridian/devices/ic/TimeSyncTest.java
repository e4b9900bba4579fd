package org.viridian.devices.ic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.devices.ic.GuestSide.body;
import static org.viridian.devices.ic.GuestSide.type;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.viridian.devices.ic.protocol.TimeSyncData;
import org.viridian.devices.ic.protocol.TimeSyncRefData;

/** Time samples as Linux's timesync_onchannelcallback reads them (ictimesync_ref_data / ictimesync_data). */
class TimeSyncTest {
    private static final Instant HOST_NOW = Instant.parse("2026-11-25T07:30:15.1234567Z");
    private final AtomicLong reference = new AtomicLong(123_456_789L);
    private final Clock clock = Clock.fixed(HOST_NOW, ZoneOffset.UTC);

    /** Windows time back to an instant, as adj_guesttime does ((t - WLTIMEDELTA) * 100 ns). */
    private static Instant fromWindows(long t) {
        long unix100ns = t - 116_444_736_000_000_000L;
        return Instant.ofEpochSecond(
                Math.floorDiv(unix100ns, 10_000_000L), Math.floorMod(unix100ns, 10_000_000L) * 100);
    }

    @Test
    void version4SyncsAtOpenThenSamplesWithTheReferenceTimeAndSyncsAgainOnResume() throws Exception {
        TimeSync ts = new TimeSync(clock, reference::get, Duration.ofMillis(50));
        try (GuestSide guest = new GuestSide(ts, 4)) {
            guest.open();
            guest.negotiate(3 << 16, 4 << 16);

            ByteBuffer first = guest.next();
            assertThat(type(first)).isEqualTo(TimeSync.TYPE_TIMESYNC);
            assertThat(first.getShort(GuestSide.PIPE + 10)).as("icmsgsize").isEqualTo((short) TimeSyncRefData.SIZE);
            ByteBuffer b = body(first);
            assertThat(fromWindows(b.getLong(0))).isEqualTo(HOST_NOW);
            assertThat(b.getLong(8)).as("vmreferencetime").isEqualTo(123_456_789L);
            assertThat(b.get(16)).as("flags").isEqualTo((byte) TimeSync.FLAG_SYNC);
            guest.answer(first, 0);

            reference.set(223_456_789L);
            ByteBuffer sample = body(guest.next());
            assertThat(sample.get(16)).isEqualTo((byte) TimeSync.FLAG_SAMPLE);
            assertThat(sample.getLong(8)).isEqualTo(223_456_789L);

            ts.resumed();
            ByteBuffer resync;
            do {
                resync = body(guest.next());
            } while (resync.get(16) != TimeSync.FLAG_SYNC);
            assertThat(fromWindows(resync.getLong(0))).isEqualTo(HOST_NOW);
        }
    }

    @Test
    void olderGuestsGetParentTimeAndFlagsAtTheirOffsets() throws Exception {
        TimeSync ts = new TimeSync(Clock.systemUTC(), reference::get, Duration.ofSeconds(5));
        try (GuestSide guest = new GuestSide(ts, 4)) {
            guest.open();
            guest.negotiate(3 << 16, 3 << 16);
            ByteBuffer m = guest.next();
            assertThat(m.getShort(GuestSide.PIPE + 10)).as("icmsgsize").isEqualTo((short) TimeSyncData.SIZE);
            ByteBuffer b = body(m);
            assertThat(Duration.between(fromWindows(b.getLong(0)), Instant.now())
                            .abs())
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(b.get(24)).isEqualTo((byte) TimeSync.FLAG_SYNC);
        }
    }

    @Test
    void aFullRingLosesSamplesNotTheChannelAndSamplingGoesOnOnceTheGuestReads() throws Exception {
        TimeSync ts = new TimeSync(clock, reference::get, Duration.ofMillis(2));
        try (GuestSide guest = new GuestSide(ts, 2)) { // one 4 KiB data page: about 50 samples
            guest.open();
            guest.negotiate(3 << 16, 4 << 16);
            // The guest reads nothing for a while: the ring fills and the host stops counting samples as sent.
            long before;
            do {
                before = ts.samplesSent();
                Thread.sleep(100);
            } while (ts.samplesSent() != before);
            assertThat(before).isBetween(20L, 60L);
            while (!guest.inboxEmpty()) {
                /* the guest catches up */
            }
            // Sampling goes on (within a couple of seconds even on a host whose CPUs are all busy).
            for (int i = 0; i < 200 && ts.samplesSent() <= before; i++) Thread.sleep(10);
            assertThat(ts.samplesSent()).isGreaterThan(before);
            assertThat(body(guest.next()).get(16)).isEqualTo((byte) TimeSync.FLAG_SAMPLE);
        }
    }

    @Test
    void windowsTimeCountsHundredsOfNanosecondsFrom1601() {
        assertThat(TimeSync.windowsTime(Instant.EPOCH)).isEqualTo(116_444_736_000_000_000L);
        assertThat(TimeSync.windowsTime(Instant.ofEpochSecond(1, 250))).isEqualTo(116_444_736_010_000_002L);
    }
}
