package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * QUERY_PROTOCOL_VERSION's body (struct vmstorage_protocol_version): major_minor (major << 8 | minor) and a revision
 * Linux leaves 0. The version is kept as sent: one StorVSP does not serve is answered REVISION_MISMATCH, not dropped.
 */
public record ProtocolVersion(int majorMinor, int revision) implements VstorBody {
    public static final int SIZE = 4;

    public static ProtocolVersion of(VstorVersion v) {
        return new ProtocolVersion(v.code(), 0);
    }

    public static ProtocolVersion parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "vmstorage_protocol_version");
        return new ProtocolVersion(Short.toUnsignedInt(m.getShort(0)), Short.toUnsignedInt(m.getShort(2)));
    }

    /** The version, when StorVSP knows it. */
    public Optional<VstorVersion> version() {
        return VstorVersion.of(majorMinor);
    }

    @Override
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putShort(at, (short) majorMinor).putShort(at + 2, (short) revision);
    }
}
