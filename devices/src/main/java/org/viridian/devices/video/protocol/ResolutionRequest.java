package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_supported_resolution_req: how many resolutions the guest takes at most (it asks for 64). */
public record ResolutionRequest(int maximumCount) implements SynthvidMessage {
    public static final int SIZE = 1;

    public ResolutionRequest {
        if (maximumCount < 0 || maximumCount > 0xFF) throw new IllegalArgumentException("count " + maximumCount);
    }

    public static ResolutionRequest parse(ByteBuffer b, int size) throws ProtocolException {
        return new ResolutionRequest(
                Wire.view(b, size, SIZE, "synthvid_supported_resolution_req").get(0) & 0xFF);
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.RESOLUTION_REQUEST;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put((byte) maximumCount);
    }
}
