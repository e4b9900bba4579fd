package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/**
 * The first message of a GPADL (struct vmbus_channel_gpadl_header with its first struct gpa_range): channel, handle,
 * the byte length of the range list, the range count, then the first range's byte count, byte offset and as many
 * page numbers as fit in this message (the rest follow in GPADL_BODY messages). Whether the announced list is one
 * Viridian takes is the assembler's decision, so it can answer with the handle.
 */
public record GpadlHeader(
        int childRelid, int gpadl, int rangeBufferLength, int rangeCount, long byteCount, long byteOffset, long[] pfns)
        implements VmbusMessage.FromGuest {
    /** The header and the first range's byte count and offset. */
    public static final int FIXED = 28;

    public static GpadlHeader parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "GPADL_HEADER");
        return new GpadlHeader(
                m.getInt(8),
                m.getInt(12),
                Short.toUnsignedInt(m.getShort(16)),
                Short.toUnsignedInt(m.getShort(18)),
                Integer.toUnsignedLong(m.getInt(20)),
                Integer.toUnsignedLong(m.getInt(24)),
                Wire.longs(m, FIXED, (size - FIXED) / 8));
    }

    /** Pages the range list announces (its byte length less the range's count and offset, 8 bytes a page). */
    public int announcedPages() {
        return (rangeBufferLength - 8) / 8;
    }

    @Override
    public int size() {
        return FIXED + 8 * pfns.length;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        ByteBuffer m = VmbusMessage.header(b, this)
                .putInt(8, childRelid)
                .putInt(12, gpadl)
                .putShort(16, (short) rangeBufferLength)
                .putShort(18, (short) rangeCount)
                .putInt(20, (int) byteCount)
                .putInt(24, (int) byteOffset);
        for (int i = 0; i < pfns.length; i++) m.putLong(FIXED + 8 * i, pfns[i]);
    }
}
