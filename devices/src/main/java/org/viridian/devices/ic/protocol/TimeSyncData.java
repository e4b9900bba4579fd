package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct ictimesync_data (time sync 1.0 and 3.0): parent time, child time, round-trip time, flags. */
public record TimeSyncData(long parentTime, long childTime, long roundTripTime, int flags) implements IcBody {
    public static final int SIZE = 25;

    public static TimeSyncData parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "time sample");
        return new TimeSyncData(m.getLong(0), m.getLong(8), m.getLong(16), m.get(24) & 0xFF);
    }

    @Override
    public byte[] toBytes() {
        return Wire.allocate(SIZE)
                .putLong(0, parentTime)
                .putLong(8, childTime)
                .putLong(16, roundTripTime)
                .put(24, (byte) flags)
                .array();
    }
}
