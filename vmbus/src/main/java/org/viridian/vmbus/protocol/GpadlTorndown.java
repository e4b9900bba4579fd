package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The host let go of a GPADL. Mirrors Linux's struct vmbus_channel_gpadl_torndown. */
public record GpadlTorndown(int gpadl) implements VmbusMessage.FromHost {
    public static GpadlTorndown parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 12, "GPADL_TORNDOWN");
        return new GpadlTorndown(m.getInt(8));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, gpadl);
    }
}
