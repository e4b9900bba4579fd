package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synth_kbd_protocol_request: the version the guest asks for (major << 16 | minor; Linux: 1.0). */
public record KbdProtocolRequest(int version) implements KbdMessage {
    public static final int SIZE = 4, VERSION_1_0 = 1 << 16;

    public static KbdProtocolRequest parse(ByteBuffer b, int size) throws ProtocolException {
        return new KbdProtocolRequest(
                Wire.view(b, size, SIZE, "synth_kbd_protocol_request").getInt(0));
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
