package org.viridian.vmbus.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One VMBus packet as read from a ring: the descriptor's type, flags and transaction id, and its bytes. Between the
 * 16-byte descriptor and {@code dataOffset} sit type-specific headers (GPA ranges, transfer-page ranges).
 */
public record Packet(int type, int flags, long transactionId, byte[] bytes, int dataOffset) {
    public static final int DATA_INBAND = 6, DATA_USING_XFER_PAGES = 7, DATA_USING_GPA_DIRECT = 9, COMPLETION = 11;
    public static final int FLAG_COMPLETION_REQUESTED = 1;

    /** The packet's data (after all headers). */
    public byte[] data() {
        return Arrays.copyOfRange(bytes, dataOffset, bytes.length);
    }

    /** The bytes between the descriptor and the data (e.g. GPA range headers), little-endian. */
    public ByteBuffer extraHeaders() {
        return ByteBuffer.wrap(bytes, RingBuffer.DESCRIPTOR, dataOffset - RingBuffer.DESCRIPTOR)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    public boolean completionRequested() {
        return (flags & FLAG_COMPLETION_REQUESTED) != 0;
    }
}
