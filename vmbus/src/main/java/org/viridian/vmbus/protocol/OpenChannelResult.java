package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The outcome of an open (NTSTATUS, 0 success). Mirrors Linux's struct vmbus_channel_open_result. */
public record OpenChannelResult(int childRelid, int openId, int status) implements VmbusMessage.FromHost {
    public static OpenChannelResult parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 20, "OPEN_CHANNEL_RESULT");
        return new OpenChannelResult(m.getInt(8), m.getInt(12), m.getInt(16));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid).putInt(12, openId).putInt(16, status);
    }
}
