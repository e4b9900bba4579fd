package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** Every offer has been sent. Mirrors Linux's struct vmbus_channel_message_header. */
public record AllOffersDelivered() implements VmbusMessage.FromHost {
    public static final int SIZE = 8;

    public static AllOffersDelivered parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, 8, "ALL_OFFERS_DELIVERED");
        return new AllOffersDelivered();
    }

    @Override
    public MessageType type() {
        return MessageType.ALL_OFFERS_DELIVERED;
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
