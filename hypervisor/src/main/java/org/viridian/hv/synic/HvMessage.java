package org.viridian.hv.synic;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A SynIC message (HV_MESSAGE, 256 bytes): MessageType (u32), PayloadSize (u8), MessageFlags (u8, bit 0
 * MessagePending), reserved (u16), the sender's connection or port id (u64), then up to 240 bytes of payload.
 */
public record HvMessage(int type, long senderId, byte[] payload) {
    public static final int SIZE = 256, HEADER = 16, MAX_PAYLOAD = 240;
    public static final int TYPE_NONE = 0;
    static final int FLAGS = 5, PENDING = 1;

    public HvMessage {
        if (type == TYPE_NONE) throw new IllegalArgumentException("message type 0 means 'no message'");
        if (payload.length > MAX_PAYLOAD) throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds 240");
        payload = payload.clone();
    }

    /** Writes this message into a slot (the slot's pending flag is cleared: the guest sees a fresh message). */
    void writeTo(MemorySegment slot) {
        MemorySegment.copy(payload, 0, slot, ValueLayout.JAVA_BYTE, HEADER, payload.length);
        slot.asSlice(HEADER + payload.length, MAX_PAYLOAD - payload.length).fill((byte) 0);
        slot.set(ValueLayout.JAVA_BYTE, 4, (byte) payload.length);
        slot.set(ValueLayout.JAVA_BYTE, FLAGS, (byte) 0);
        slot.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) 0);
        slot.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, senderId);
        // The type goes last: a guest polling the slot must not see a type before the body.
        java.lang.invoke.VarHandle.fullFence();
        slot.set(ValueLayout.JAVA_INT_UNALIGNED, 0, type);
    }
}
