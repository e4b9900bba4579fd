package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The time synchronization integration service (class 9527e630-d0ae-497b-adce-e80ab0175caf): the host tells the guest
 * its UTC time in Windows units (100 ns since 1601). A sample flagged SYNC (at channel open and after the VM resumes)
 * asks the guest to set its clock; SAMPLE messages (periodically) are hints the guest may discipline its clock with.
 * Version 4 adds the partition reference time at which the host took the sample, so the guest can correct for the
 * time the message spent in flight; versions 3 and 1 carry parent time, two unused times and the flags.
 */
public final class TimeSync extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("9527e630-d0ae-497b-adce-e80ab0175caf");
    static final int TYPE_TIMESYNC = 4;
    static final int FLAG_SYNC = 1, FLAG_SAMPLE = 2;
    static final int V4 = 4 << 16, V3 = 3 << 16, V1 = 1 << 16;
    /** 100 ns units from 1601-01-01 to 1970-01-01. */
    static final long EPOCH_1601 = 116_444_736_000_000_000L;
    /** ictimesync_ref_data: parent time, reference time, flags, leap flags, stratum, 3 reserved. */
    static final int REF_BODY = 24;
    /** ictimesync_data: parent time, child time, round-trip time, flags. */
    static final int OLD_BODY = 25;

    private final Clock clock;
    private final LongSupplier referenceTime;
    private final Duration period;
    private long samplesSent;

    /**
     * {@code clock}: the host's wall clock; {@code referenceTime}: the partition reference counter now (100 ns units,
     * as the guest reads it); {@code period}: how often to send a SAMPLE.
     */
    public TimeSync(Clock clock, LongSupplier referenceTime, Duration period) {
        super(CLASS_ID, new int[] {V4, V3, V1});
        if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("sample period " + period);
        this.clock = clock;
        this.referenceTime = referenceTime;
        this.period = period;
    }

    /** Windows file time (100 ns since 1601) for an instant. */
    static long windowsTime(Instant t) {
        return EPOCH_1601 + Math.multiplyExact(t.getEpochSecond(), 10_000_000L) + t.getNano() / 100;
    }

    /** Messages sent since creation (SYNC and SAMPLE). */
    public synchronized long samplesSent() {
        return samplesSent;
    }

    /** The VM resumed (or was restored): its clock stood still, so ask the guest to set it again. */
    public synchronized void resumed() {
        if (version() != 0) sample(FLAG_SYNC);
    }

    @Override
    void negotiated() {
        sample(FLAG_SYNC);
        tick();
    }

    private void tick() {
        later(period.toMillis(), TimeUnit.MILLISECONDS, () -> {
            sample(FLAG_SAMPLE);
            tick();
        });
    }

    private void sample(int flags) {
        ByteBuffer b;
        if (version() >= V4) {
            b = ByteBuffer.allocate(REF_BODY).order(ByteOrder.LITTLE_ENDIAN);
            // The reference time is read first: the guest adds (its counter now - this) to the parent time.
            long ref = referenceTime.getAsLong();
            b.putLong(0, windowsTime(clock.instant())).putLong(8, ref).put(16, (byte) flags);
        } else {
            b = ByteBuffer.allocate(OLD_BODY).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, windowsTime(clock.instant())).put(24, (byte) flags);
        }
        // A full ring (the guest is not reading) loses this sample only; the next one carries the time again.
        if (send(TYPE_TIMESYNC, b.array())) samplesSent++;
    }

    @Override
    void answered(IcMessage.Parsed m) {
        // The guest echoes each sample; nothing to learn from it.
    }
}
