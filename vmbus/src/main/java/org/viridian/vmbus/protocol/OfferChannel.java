package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * A channel offer (struct vmbus_channel_offer_channel, 196 bytes): the device's class and instance GUIDs, the
 * sub-channel index (0: a primary), the child relative id, the connection id the guest signals the host on, and the
 * MMIO space in MiB the device wants the guest to set aside (mmio_megabytes: hyperv_fb sizes its framebuffer by it).
 * Latency, revision, flags, the 120 user-defined bytes and the monitor fields are all 0: the guest signals with
 * HvSignalEvent.
 */
public record OfferChannel(
        UUID interfaceType,
        UUID interfaceInstance,
        int subChannelIndex,
        int childRelid,
        int connectionId,
        int mmioMegabytes)
        implements VmbusMessage.FromHost {
    public static final int SIZE = 196;

    public OfferChannel {
        if (subChannelIndex < 0 || subChannelIndex > 0xFFFF)
            throw new IllegalArgumentException("sub-channel " + subChannelIndex);
        if (mmioMegabytes < 0 || mmioMegabytes > 0xFFFF) throw new IllegalArgumentException("MMIO " + mmioMegabytes);
    }

    /** An offer that asks for no MMIO space (every device but synthetic video). */
    public OfferChannel(
            UUID interfaceType, UUID interfaceInstance, int subChannelIndex, int childRelid, int connectionId) {
        this(interfaceType, interfaceInstance, subChannelIndex, childRelid, connectionId, 0);
    }

    public static OfferChannel parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "OFFER_CHANNEL");
        return new OfferChannel(
                Wire.getGuid(m, 8),
                Wire.getGuid(m, 24),
                Short.toUnsignedInt(m.getShort(180)),
                m.getInt(184),
                m.getInt(192),
                Short.toUnsignedInt(m.getShort(58)));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        ByteBuffer m = VmbusMessage.header(b, this);
        Wire.putGuid(m, 8, interfaceType);
        Wire.putGuid(m, 24, interfaceInstance);
        m.putShort(58, (short) mmioMegabytes);
        m.putShort(180, (short) subChannelIndex).putInt(184, childRelid).putInt(192, connectionId);
    }
}
