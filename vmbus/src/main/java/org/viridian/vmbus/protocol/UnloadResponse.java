package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The host let go of the connection. Mirrors Linux's struct vmbus_channel_message_header. */
public record UnloadResponse() implements VmbusMessage.FromHost {
    public static final int SIZE = 8;

    public static UnloadResponse parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, 8, "UNLOAD_RESPONSE");
        return new UnloadResponse();
    }

    @Override
    public MessageType type() {
        return MessageType.UNLOAD_RESPONSE;
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
