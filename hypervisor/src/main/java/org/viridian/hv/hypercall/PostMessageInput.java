package org.viridian.hv.hypercall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.HvMessageType;

/**
 * HvPostMessage's input block (Linux's struct hv_input_post_message): connection id, reserved, message type, payload
 * size, then at most 240 bytes of payload. A block that ends before its payload is INVALID_ALIGNMENT (it would cross
 * its page); a hypervisor-owned or zero type, or a size over 240, is INVALID_PARAMETER.
 */
public record PostMessageInput(int connectionId, int messageType, byte[] payload) {
    public static final int HEADER = 16;

    public PostMessageInput {
        payload = payload.clone();
    }

    public static PostMessageInput parse(ByteBuffer b, int size) throws HvProtocolException {
        if (size < HEADER || size > b.remaining()) {
            throw new HvProtocolException(HvStatus.INVALID_ALIGNMENT, "post-message input of " + size + " bytes");
        }
        ByteBuffer m = b.slice(b.position(), size).order(ByteOrder.LITTLE_ENDIAN);
        int type = m.getInt(8), length = m.getInt(12);
        // Types with bit 31 set belong to the hypervisor; a guest may not forge them.
        if (type == HvMessageType.NONE.code()
                || HvMessageType.isHypervisors(type)
                || length < 0
                || length > HvMessage.MAX_PAYLOAD) {
            throw new HvProtocolException(
                    HvStatus.INVALID_PARAMETER,
                    "message type " + Integer.toHexString(type) + " with " + Integer.toUnsignedString(length)
                            + " bytes");
        }
        if (size < HEADER + length) {
            String why = "payload of " + length + " bytes crosses a page";
            throw new HvProtocolException(HvStatus.INVALID_ALIGNMENT, why);
        }
        byte[] payload = new byte[length];
        m.get(HEADER, payload);
        return new PostMessageInput(m.getInt(0), type, payload);
    }

    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putInt(at, connectionId)
                .putInt(at + 4, 0)
                .putInt(at + 8, messageType)
                .putInt(at + 12, payload.length)
                .put(at + HEADER, payload);
    }
}
