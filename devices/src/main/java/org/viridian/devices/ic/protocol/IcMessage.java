package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** One ICMSG as it travels in an in-band packet: the headers and the body's bytes (parsed by the service's record). */
public record IcMessage(IcHeader header, byte[] body) {
    public static IcMessage parse(ByteBuffer b, int size) throws ProtocolException {
        IcHeader h = IcHeader.parse(b, size);
        byte[] body = new byte[size - IcHeader.SIZE];
        b.get(b.position() + IcHeader.SIZE, body);
        return new IcMessage(h, body);
    }

    public static IcMessage parse(byte[] packet) throws ProtocolException {
        return parse(ByteBuffer.wrap(packet), packet.length);
    }

    /** A host request carrying {@code body}. */
    public static IcMessage request(IcMessageType type, int messageVersion, int transaction, IcBody body) {
        return request(type, messageVersion, transaction, body.toBytes());
    }

    /** A host request carrying a body's bytes. */
    public static IcMessage request(IcMessageType type, int messageVersion, int transaction, byte[] body) {
        return new IcMessage(IcHeader.request(type, messageVersion, body.length, transaction), body.clone());
    }

    /** The body as a little-endian buffer for a body record's parse. */
    public ByteBuffer bodyBuffer() {
        return ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    }

    public byte[] toBytes() {
        ByteBuffer b = Wire.allocate(IcHeader.SIZE + body.length);
        header.writeTo(b);
        b.put(IcHeader.SIZE, body);
        return b.array();
    }
}
