package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthhid_protocol_response: the requested version echoed and whether the host approves it. */
public record HidProtocolResponse(int version, boolean approved) implements HidMessage {
    public static final int SIZE = 5;

    public static HidProtocolResponse parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synthhid_protocol_response");
        return new HidProtocolResponse(m.getInt(0), m.get(4) != 0);
    }

    @Override
    public int type() {
        return PROTOCOL_RESPONSE;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putInt(version).put((byte) (approved ? 1 : 0));
    }
}
