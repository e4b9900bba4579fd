package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One synthetic keyboard message (hyperv-keyboard's struct synth_kbd_msg): a u32 type (struct synth_kbd_msg_hdr),
 * then the message's fields; no pipe header on this protocol.
 */
public sealed interface KbdMessage permits KbdProtocolRequest, KbdProtocolResponse, Keystroke {
    int PROTOCOL_REQUEST = 1, PROTOCOL_RESPONSE = 2, EVENT = 3;
    int HEADER = 4;

    int type();

    /** Bytes {@link #writeTo} writes after the header. */
    int payloadSize();

    /** Writes the fields after the header at {@code b}'s position (little-endian) and moves past them. */
    void writeTo(ByteBuffer b);

    static KbdMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "synth_kbd_msg");
        int n = size - HEADER;
        ByteBuffer p = Wire.view(m.position(HEADER), n, 0, "synth_kbd payload");
        return switch (m.getInt(0)) {
            case PROTOCOL_REQUEST -> KbdProtocolRequest.parse(p, n);
            case PROTOCOL_RESPONSE -> KbdProtocolResponse.parse(p, n);
            case EVENT -> Keystroke.parse(p, n);
            default -> throw new ProtocolException("synth_kbd message type " + m.getInt(0));
        };
    }

    static KbdMessage parse(byte[] data) throws ProtocolException {
        return parse(ByteBuffer.wrap(data), data.length);
    }

    default byte[] toBytes() {
        return Wire.bytes(HEADER + payloadSize(), b -> {
            b.putInt(type());
            writeTo(b);
        });
    }
}
