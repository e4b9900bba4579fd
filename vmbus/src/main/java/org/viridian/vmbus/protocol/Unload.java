package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest's VMBus driver is going away. Mirrors Linux's struct vmbus_channel_message_header. */
public record Unload() implements VmbusMessage.FromGuest, VmbusMessage.HeaderOnly {
    public static Unload parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, HEADER, "UNLOAD");
        return new Unload();
    }
}
