package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthhid_protocol_request: the version the guest asks for (major << 16 | minor; Linux: 2.0). */
public record HidProtocolRequest(int version) implements HidMessage {
    public static final int SIZE = 4, VERSION_2_0 = 2 << 16;

    public static HidProtocolRequest parse(ByteBuffer b, int size) throws ProtocolException {
        return new HidProtocolRequest(
                Wire.view(b, size, SIZE, "synthhid_protocol_request").getInt(0));
    }

    @Override
    public int type() {
        return PROTOCOL_REQUEST;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putInt(version);
    }
}
