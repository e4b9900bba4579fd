package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_vram_location_ack: the request's user context, echoed. */
public record VramLocationAck(long userContext) implements SynthvidMessage {
    public static final int SIZE = 8;

    public static VramLocationAck parse(ByteBuffer b, int size) throws ProtocolException {
        return new VramLocationAck(
                Wire.view(b, size, SIZE, "synthvid_vram_location_ack").getLong(0));
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.VRAM_LOCATION_ACK;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putLong(userContext);
    }
}
