package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The outcome of a GPADL (NTSTATUS, 0 success). Mirrors Linux's struct vmbus_channel_gpadl_created. */
public record GpadlCreated(int childRelid, int gpadl, int status) implements VmbusMessage.FromHost {
    public static GpadlCreated parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 20, "GPADL_CREATED");
        return new GpadlCreated(m.getInt(8), m.getInt(12), m.getInt(16));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid).putInt(12, gpadl).putInt(16, status);
    }
}
