package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_version_req: the version the guest proposes (kept as sent: an unknown one is refused, not dropped). */
public record VersionRequest(int version) implements SynthvidMessage {
    public static final int SIZE = 4;

    public static VersionRequest parse(ByteBuffer b, int size) throws ProtocolException {
        return new VersionRequest(
                Wire.view(b, size, SIZE, "synthvid_version_req").getInt(0));
    }

    public Optional<SynthvidVersion> known() {
        return SynthvidVersion.of(version);
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.VERSION_REQUEST;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putInt(version);
    }
}
