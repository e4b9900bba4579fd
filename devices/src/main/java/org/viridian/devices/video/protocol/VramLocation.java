package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synthvid_vram_location (packed, 17 bytes): a context the host echoes in its ack (hyperv_fb sends the VRAM's
 * address and checks the echo), whether a guest physical address is given, and that address.
 */
public record VramLocation(long userContext, boolean gpaSpecified, long gpa) implements SynthvidMessage {
    public static final int SIZE = 17;

    public static VramLocation parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synthvid_vram_location");
        return new VramLocation(m.getLong(0), SynthvidMessage.flag(m, 8), m.getLong(9));
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.VRAM_LOCATION;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putLong(userContext).put((byte) (gpaSpecified ? 1 : 0)).putLong(gpa);
    }
}
