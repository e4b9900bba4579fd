package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The host let go of the connection. Mirrors Linux's struct vmbus_channel_message_header. */
public record UnloadResponse() implements VmbusMessage.FromHost, VmbusMessage.HeaderOnly {
    public static UnloadResponse parse(ByteBuffer b, int size) throws ProtocolException {
        Wire.view(b, size, HEADER, "UNLOAD_RESPONSE");
        return new UnloadResponse();
    }
}
