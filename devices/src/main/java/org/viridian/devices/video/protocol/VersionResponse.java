package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_version_resp: the proposed version echoed, whether the host accepts it, its video outputs. */
public record VersionResponse(int version, boolean accepted, int maxVideoOutputs) implements SynthvidMessage {
    public static final int SIZE = 6;

    public VersionResponse {
        if (maxVideoOutputs < 0 || maxVideoOutputs > 0xFF)
            throw new IllegalArgumentException("outputs " + maxVideoOutputs);
    }

    public static VersionResponse parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synthvid_version_resp");
        return new VersionResponse(m.getInt(0), SynthvidMessage.flag(m, 4), m.get(5) & 0xFF);
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.VERSION_RESPONSE;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putInt(version).put((byte) (accepted ? 1 : 0)).put((byte) maxVideoOutputs);
    }
}
