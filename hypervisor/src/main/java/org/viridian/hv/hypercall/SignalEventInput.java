package org.viridian.hv.hypercall;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.synic.Synic;

/**
 * HvSignalEvent's input (Linux's struct hv_input_signal_event): connection id u32, flag number u16, reserved u16
 * (zero). Usually a fast call with the eight bytes in RDX. A flag past the SINT's event flags is INVALID_PARAMETER.
 */
public record SignalEventInput(int connectionId, int flagNumber) {
    public static final int SIZE = 8;

    /** The input of a fast call, as the register carries it. */
    public static SignalEventInput of(long value) throws HvProtocolException {
        int flag = (int) ((value >>> 32) & 0xFFFF);
        if ((value >>> 48) != 0 || flag >= Synic.EVENT_FLAGS_PER_SINT) {
            throw new HvProtocolException(HvStatus.INVALID_PARAMETER, "signal-event input " + Long.toHexString(value));
        }
        return new SignalEventInput((int) value, flag);
    }

    public static SignalEventInput parse(ByteBuffer b, int size) throws HvProtocolException {
        if (size < SIZE || size > b.remaining()) {
            throw new HvProtocolException(HvStatus.INVALID_ALIGNMENT, "signal-event input of " + size + " bytes");
        }
        return of(b.slice(b.position(), SIZE).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    /** The eight bytes as a fast call passes them. */
    public long toLong() {
        return (long) flagNumber << 32 | Integer.toUnsignedLong(connectionId);
    }

    public void writeTo(ByteBuffer b) {
        b.putLong(b.position(), toLong());
    }
}
