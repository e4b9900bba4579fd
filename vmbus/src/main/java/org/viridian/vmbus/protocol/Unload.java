package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest's VMBus driver is going away. Mirrors Linux's struct vmbus_channel_message_header. */
public record Unload() implements VmbusMessage.FromGuest {
    public static final int SIZE = 8;

    public static Unload parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, 8, "UNLOAD");
        return new Unload();
    }

    @Override
    public MessageType type() {
        return MessageType.UNLOAD;
    }

    @Override
    public int size() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this);
    }
}
