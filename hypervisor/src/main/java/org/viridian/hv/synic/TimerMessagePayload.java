package org.viridian.hv.synic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.hypercall.HvStatus;

/**
 * A TIMER_EXPIRED message's payload (Linux's struct hv_timer_message_payload, 24 bytes): timer index u32, reserved
 * u32, expiration time and delivery time (reference time, 100 ns units).
 */
public record TimerMessagePayload(int timerIndex, long expirationTime, long deliveryTime) {
    public static final int SIZE = 24;

    public static TimerMessagePayload parse(ByteBuffer b, int size) throws HvProtocolException {
        if (size < SIZE || size > b.remaining()) {
            throw new HvProtocolException(HvStatus.INVALID_PARAMETER, "timer payload of " + size + " bytes");
        }
        ByteBuffer m = b.slice(b.position(), size).order(ByteOrder.LITTLE_ENDIAN);
        return new TimerMessagePayload(m.getInt(0), m.getLong(8), m.getLong(16));
    }

    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putInt(at, timerIndex)
                .putInt(at + 4, 0)
                .putLong(at + 8, expirationTime)
                .putLong(at + 16, deliveryTime);
    }

    /** The message carrying this payload. */
    public HvMessage toMessage() {
        ByteBuffer p = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        writeTo(p);
        return new HvMessage(HvMessageType.TIMER_EXPIRED.code(), 0, p.array());
    }
}
