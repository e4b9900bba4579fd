package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** More page numbers of a GPADL under construction (struct vmbus_channel_gpadl_body): message number, handle, pages. */
public record GpadlBody(int messageNumber, int gpadl, long[] pfns) implements VmbusMessage.FromGuest {
    static final int FIXED = 16;

    public static GpadlBody parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED + 8, "GPADL_BODY");
        return new GpadlBody(m.getInt(8), m.getInt(12), Wire.longs(m, FIXED, (size - FIXED) / 8));
    }

    @Override
    public int size() {
        return FIXED + 8 * pfns.length;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        ByteBuffer m = VmbusMessage.header(b, this).putInt(8, messageNumber).putInt(12, gpadl);
        for (int i = 0; i < pfns.length; i++) m.putLong(FIXED + 8 * i, pfns[i]);
    }
}
