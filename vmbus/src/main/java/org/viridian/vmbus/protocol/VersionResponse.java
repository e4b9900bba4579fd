package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/**
 * The host's answer to INITIATE_CONTACT (struct vmbus_channel_version_response): whether the version is supported,
 * the connection state, and the message connection id the guest uses from now on.
 */
public record VersionResponse(boolean supported, int connectionState, int messageConnectionId)
        implements VmbusMessage.FromHost {
    public static final int SIZE = 16;

    public static VersionResponse parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "VERSION_RESPONSE");
        int supported = m.get(8) & 0xFF;
        if (supported > 1) throw new ProtocolException("VERSION_RESPONSE version_supported " + supported);
        return new VersionResponse(supported == 1, m.get(9) & 0xFF, m.getInt(12));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this)
                .put(8, (byte) (supported ? 1 : 0))
                .put(9, (byte) connectionState)
                .putInt(12, messageConnectionId);
    }
}
