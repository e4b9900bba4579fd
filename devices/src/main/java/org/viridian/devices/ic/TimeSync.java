package org.viridian.devices.ic;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.viridian.devices.ic.protocol.IcBody;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.IcVersion;
import org.viridian.devices.ic.protocol.TimeSyncData;
import org.viridian.devices.ic.protocol.TimeSyncRefData;

/**
 * The time synchronization integration service (class 9527e630-d0ae-497b-adce-e80ab0175caf): the host tells the guest
 * its UTC time in Windows units (100 ns since 1601). A sample flagged SYNC (at channel open and after the VM resumes)
 * asks the guest to set its clock; SAMPLE messages (periodically) are hints the guest may discipline its clock with.
 * Version 4 adds the partition reference time at which the host took the sample, so the guest can correct for the
 * time the message spent in flight; versions 3 and 1 carry parent time, two unused times and the flags.
 */
public final class TimeSync extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("9527e630-d0ae-497b-adce-e80ab0175caf");
    static final int TYPE_TIMESYNC = IcMessageType.TIMESYNC.code();
    static final int FLAG_SYNC = TimeSyncRefData.FLAG_SYNC, FLAG_SAMPLE = TimeSyncRefData.FLAG_SAMPLE;
    /** 100 ns units from 1601-01-01 to 1970-01-01. */
    static final long EPOCH_1601 = 116_444_736_000_000_000L;

    private final Clock clock;
    private final LongSupplier referenceTime;
    private final Duration period;
    private long samplesSent;

    /**
     * {@code clock}: the host's wall clock; {@code referenceTime}: the partition reference counter now (100 ns units,
     * as the guest reads it); {@code period}: how often to send a SAMPLE.
     */
    public TimeSync(Clock clock, LongSupplier referenceTime, Duration period) {
        super(CLASS_ID, IcVersion.V4_0, IcVersion.V3_0, IcVersion.V1_0);
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
        IcBody body;
        if (version() >= IcVersion.V4_0.code()) {
            // The reference time is read first: the guest adds (its counter now - this) to the parent time.
            long ref = referenceTime.getAsLong();
            body = new TimeSyncRefData(windowsTime(clock.instant()), ref, flags, 0, 0);
        } else {
            body = new TimeSyncData(windowsTime(clock.instant()), 0, 0, flags);
        }
        // A full ring (the guest is not reading) loses this sample only; the next one carries the time again.
        if (send(IcMessageType.TIMESYNC, body)) samplesSent++;
    }

    @Override
    void answered(IcMessage m) {
        // The guest echoes each sample; nothing to learn from it.
    }
}
