package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** Every offer has been sent. Mirrors Linux's struct vmbus_channel_message_header. */
public record AllOffersDelivered() implements VmbusMessage.FromHost, VmbusMessage.HeaderOnly {
    public static AllOffersDelivered parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, HEADER, "ALL_OFFERS_DELIVERED");
        return new AllOffersDelivered();
    }
}
