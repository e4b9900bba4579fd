package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * CREATE_SUB_CHANNELS' body (struct vstor_packet's u16 sub_channel_count): how many more channels the guest wants.
 * Whether that many are available is StorVSP's decision, so it can answer INVALID_PARAMETER.
 */
public record SubChannelCount(int count) implements VstorBody {
    public static final int SIZE = 2;

    public static SubChannelCount parse(ByteBuffer b, int size) throws ProtocolException {
        return new SubChannelCount(Short.toUnsignedInt(
                Wire.view(b, size, SIZE, "sub_channel_count").getShort(0)));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putShort(b.position(), (short) count);
    }
}
