package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct heartbeat_msg_data: the sequence number (the guest answers with it plus one) and 32 reserved bytes. */
public record HeartbeatBody(long sequenceNumber) implements IcBody {
    public static final int SIZE = 40;

    /** Only the sequence number must be there. */
    public static HeartbeatBody parse(ByteBuffer b, int size) throws ProtocolException {
        return new HeartbeatBody(Wire.view(b, size, 8, "heartbeat").getLong(0));
    }

    @Override
    public byte[] toBytes() {
        return Wire.allocate(SIZE).putLong(0, sequenceNumber).array();
    }
}
