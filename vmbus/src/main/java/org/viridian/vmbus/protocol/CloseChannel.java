package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest closes an open channel. Mirrors Linux's struct vmbus_channel_close_channel. */
public record CloseChannel(int childRelid) implements VmbusMessage.FromGuest {
    public static CloseChannel parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 12, "CLOSE_CHANNEL");
        return new CloseChannel(m.getInt(8));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid);
    }
}
