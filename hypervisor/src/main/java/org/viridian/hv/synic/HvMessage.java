package org.viridian.hv.synic;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.hypercall.HvStatus;

/**
 * A SynIC message (Linux's struct hv_message, 256 bytes): struct hv_message_header (message type u32, payload size
 * u8, message flags u8 (bit 0 MessagePending), reserved u16, the sender's connection or port id u64), then up to 240
 * bytes of payload. MessagePending is the slot's state, kept by {@link Synic}, not part of the message.
 */
public record HvMessage(int type, long senderId, byte[] payload) {
    public static final int SIZE = 256, HEADER = 16, MAX_PAYLOAD = 240;
    public static final int TYPE_NONE = HvMessageType.NONE.code();
    static final int FLAGS = 5, PENDING = 1;

    public HvMessage {
        if (type == TYPE_NONE) throw new IllegalArgumentException("message type 0 means 'no message'");
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds 240");
        }
        payload = payload.clone();
    }

    /** A message as a slot holds it; an empty slot (type 0) or a size past 240 or past the bytes is refused. */
    public static HvMessage parse(ByteBuffer b, int size) throws HvProtocolException {
        if (size < HEADER || size > b.remaining()) {
            throw new HvProtocolException(HvStatus.INVALID_PARAMETER, "SynIC message of " + size + " bytes");
        }
        ByteBuffer m = b.slice(b.position(), size).order(ByteOrder.LITTLE_ENDIAN);
        int type = m.getInt(0), length = m.get(4) & 0xFF;
        if (type == TYPE_NONE) throw new HvProtocolException(HvStatus.INVALID_PARAMETER, "an empty SynIC message slot");
        if (length > MAX_PAYLOAD || HEADER + length > size) {
            String why = "SynIC payload of " + length + " bytes in " + size;
            throw new HvProtocolException(HvStatus.INVALID_PARAMETER, why);
        }
        byte[] payload = new byte[length];
        m.get(HEADER, payload);
        return new HvMessage(type, m.getLong(8), payload);
    }

    /** Writes the 256 bytes at {@code b}'s position (absolute, indexed from it; flags clear); does not move it. */
    public void writeTo(ByteBuffer b) {
        writeBody(b, b.position());
        b.putInt(b.position(), type);
    }

    /** Writes this message into a slot (the slot's pending flag is cleared: the guest sees a fresh message). */
    void writeTo(MemorySegment slot) {
        ByteBuffer b = slot.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        writeBody(b, 0);
        // The type goes last: a guest polling the slot must not see a type before the body.
        java.lang.invoke.VarHandle.fullFence();
        b.putInt(0, type);
    }

    private void writeBody(ByteBuffer b, int at) {
        b.put(at + HEADER, payload).put(at + HEADER + payload.length, new byte[MAX_PAYLOAD - payload.length]);
        b.put(at + 4, (byte) payload.length)
                .put(at + FLAGS, (byte) 0)
                .putShort(at + 6, (short) 0)
                .putLong(at + 8, senderId);
    }
}
