package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * The framing in front of every IC body: struct vmbuspipe_hdr (flags, message size) then struct icmsg_hdr (framework
 * version, type, message version, body size, status, transaction id, flags). The size fields are not checked against
 * the packet: Linux answers in the host's own buffer, so they are the host's; the packet's length is what counts.
 */
public record IcHeader(
        int frameworkVersion,
        IcMessageType type,
        int messageVersion,
        int bodySize,
        int status,
        int transaction,
        int flags) {
    public static final int PIPE = 8, SIZE = PIPE + 20;
    public static final int FLAG_TRANSACTION = 1, FLAG_REQUEST = 2, FLAG_RESPONSE = 4;

    /** A host request (framework 1.0 in the header, as Hyper-V sends before the framework is negotiated). */
    public static IcHeader request(IcMessageType type, int messageVersion, int bodySize, int transaction) {
        return new IcHeader(
                IcVersion.V1_0.code(), type, messageVersion, bodySize, 0, transaction, FLAG_TRANSACTION | FLAG_REQUEST);
    }

    public static IcHeader parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "IC message");
        return new IcHeader(
                version(m, PIPE),
                IcMessageType.of(Short.toUnsignedInt(m.getShort(PIPE + 4))),
                version(m, PIPE + 6),
                Short.toUnsignedInt(m.getShort(PIPE + 10)),
                m.getInt(PIPE + 12),
                m.get(PIPE + 16) & 0xFF,
                m.get(PIPE + 17) & 0xFF);
    }

    public boolean isResponse() {
        return (flags & FLAG_RESPONSE) != 0;
    }

    /** Writes both headers at {@code b}'s position (absolute, relative to it); does not move it. */
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putInt(at, 0).putInt(at + 4, 20 + bodySize);
        b.putShort(at + PIPE, (short) (frameworkVersion >>> 16))
                .putShort(at + PIPE + 2, (short) frameworkVersion)
                .putShort(at + PIPE + 4, (short) type.code())
                .putShort(at + PIPE + 6, (short) (messageVersion >>> 16))
                .putShort(at + PIPE + 8, (short) messageVersion)
                .putShort(at + PIPE + 10, (short) bodySize)
                .putInt(at + PIPE + 12, status)
                .put(at + PIPE + 16, (byte) transaction)
                .put(at + PIPE + 17, (byte) flags);
    }

    static int version(ByteBuffer m, int at) {
        return Short.toUnsignedInt(m.getShort(at)) << 16 | Short.toUnsignedInt(m.getShort(at + 2));
    }
}
