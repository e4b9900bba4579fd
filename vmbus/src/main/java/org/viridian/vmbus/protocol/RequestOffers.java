package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest asks for every channel offer. Mirrors Linux's struct vmbus_channel_message_header. */
public record RequestOffers() implements VmbusMessage.FromGuest, VmbusMessage.HeaderOnly {
    public static RequestOffers parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, HEADER, "REQUEST_OFFERS");
        return new RequestOffers();
    }
}
