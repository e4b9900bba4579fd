package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The host withdraws a channel. Mirrors Linux's struct vmbus_channel_rescind_offer. */
public record RescindChannelOffer(int childRelid) implements VmbusMessage.FromHost {
    public static RescindChannelOffer parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 12, "RESCIND_CHANNEL_OFFER");
        return new RescindChannelOffer(m.getInt(8));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid);
    }
}
