package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest asks for every channel offer. Mirrors Linux's struct vmbus_channel_message_header. */
public record RequestOffers() implements VmbusMessage.FromGuest {
    public static final int SIZE = 8;

    public static RequestOffers parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, 8, "REQUEST_OFFERS");
        return new RequestOffers();
    }

    @Override
    public MessageType type() {
        return MessageType.REQUEST_OFFERS;
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
