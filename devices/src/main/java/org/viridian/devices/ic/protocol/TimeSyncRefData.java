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
    public int size() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putLong(at, parentTime).putLong(at + 8, referenceTime).put(at + 16, (byte) flags).put(at + 17, (byte) leapFlags)
                .put(at + 18, (byte) stratum);
    }
}
