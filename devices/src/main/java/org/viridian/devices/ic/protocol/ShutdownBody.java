package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct shutdown_msg_data: reason code, timeout in seconds, flags (2: restart), a 2048-byte display message. */
public record ShutdownBody(int reasonCode, int timeoutSeconds, int flags) implements IcBody {
    public static final int SIZE = 12 + 2048, FLAG_RESTART = 2;
    /** "Planned, other": what Hyper-V sends for a shutdown from the management interface. */
    public static final int REASON_PLANNED = 0x80000000;

    public static ShutdownBody parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 12, "shutdown");
        return new ShutdownBody(m.getInt(0), m.getInt(4), m.getInt(8));
    }

    @Override
    public byte[] toBytes() {
        return Wire.allocate(SIZE)
                .putInt(0, reasonCode)
                .putInt(4, timeoutSeconds)
                .putInt(8, flags)
                .array();
    }
}
