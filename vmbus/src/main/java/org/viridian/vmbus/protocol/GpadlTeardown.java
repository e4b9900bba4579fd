package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest takes back a GPADL. Mirrors Linux's struct vmbus_channel_gpadl_teardown. */
public record GpadlTeardown(int childRelid, int gpadl) implements VmbusMessage.FromGuest {
    public static GpadlTeardown parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 16, "GPADL_TEARDOWN");
        return new GpadlTeardown(m.getInt(8), m.getInt(12));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid).putInt(12, gpadl);
    }
}
