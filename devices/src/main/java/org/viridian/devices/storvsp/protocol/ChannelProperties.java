package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * QUERY_PROPERTIES' answer (struct vmstorage_channel_properties, 24 bytes): reserved u32, max_channel_cnt u16,
 * reserved u16, flags u32 (bit 0: multi-channel), max_transfer_bytes u32, reserved u64.
 */
public record ChannelProperties(int maxChannelCount, int flags, int maxTransferBytes) implements VstorBody {
    public static final int SIZE = 24;
    /** STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL. */
    public static final int MULTI_CHANNEL = 1;

    public static ChannelProperties parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "vmstorage_channel_properties");
        return new ChannelProperties(Short.toUnsignedInt(m.getShort(4)), m.getInt(8), m.getInt(12));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putInt(at, 0)
                .putShort(at + 4, (short) maxChannelCount)
                .putShort(at + 6, (short) 0)
                .putInt(at + 8, flags)
                .putInt(at + 12, maxTransferBytes)
                .putLong(at + 16, 0);
    }
}
