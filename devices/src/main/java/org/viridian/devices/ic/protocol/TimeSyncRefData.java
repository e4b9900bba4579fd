package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct ictimesync_ref_data (time sync 4.0): parent time, the partition reference time at which it was taken, flags,
 * leap flags, stratum, 3 reserved bytes.
 */
public record TimeSyncRefData(long parentTime, long referenceTime, int flags, int leapFlags, int stratum)
        implements IcBody {
    public static final int SIZE = 24;
    public static final int FLAG_SYNC = 1, FLAG_SAMPLE = 2;

    public static TimeSyncRefData parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "time reference sample");
        return new TimeSyncRefData(m.getLong(0), m.getLong(8), m.get(16) & 0xFF, m.get(17) & 0xFF, m.get(18) & 0xFF);
    }

    @Override
    public byte[] toBytes() {
        return Wire.allocate(SIZE)
                .putLong(0, parentTime)
                .putLong(8, referenceTime)
                .put(16, (byte) flags)
                .put(17, (byte) leapFlags)
                .put(18, (byte) stratum)
                .array();
    }
}
