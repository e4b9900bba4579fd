package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synth_kbd_protocol_response: proto_status, bit 0 (PROTOCOL_ACCEPTED) set when the host takes the version. */
public record KbdProtocolResponse(int status) implements KbdMessage {
    public static final int SIZE = 4, ACCEPTED = 1;

    public static KbdProtocolResponse of(boolean accepted) {
        return new KbdProtocolResponse(accepted ? ACCEPTED : 0);
    }

    public static KbdProtocolResponse parse(ByteBuffer b, int size) throws ProtocolException {
        return new KbdProtocolResponse(
                Wire.view(b, size, SIZE, "synth_kbd_protocol_response").getInt(0));
    }

    public boolean accepted() {
        return (status & ACCEPTED) != 0;
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
        b.putInt(status);
    }
}
