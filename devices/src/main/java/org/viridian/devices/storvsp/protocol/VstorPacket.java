package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * The storage VSP's message (Linux storvsc's struct vstor_packet, 64 bytes): operation, flags (bit 0: the sender wants
 * a completion), status (an NT status in answers), then the 52-byte union as a {@link VstorBody}. The operation is
 * kept as a code: one StorVSP does not know is answered INVALID_DEVICE_REQUEST, not dropped.
 */
public record VstorPacket(int operationCode, int flags, int status, VstorBody body) {
    public static final int SIZE = 64, HEADER = 12;
    public static final int FLAG_REQUEST_COMPLETION = 1;

    /**
     * A guest's packet. The body is read for the operations that carry one (EXECUTE_SRB, QUERY_PROTOCOL_VERSION,
     * CREATE_SUB_CHANNELS), the SRB at the size {@code version} implies (null: none agreed yet).
     */
    public static VstorPacket parse(ByteBuffer b, int size, VstorVersion version) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "vstor_packet");
        int operation = m.getInt(0);
        ByteBuffer rest = m.slice(HEADER, size - HEADER).order(ByteOrder.LITTLE_ENDIAN);
        VstorBody body =
                switch (VstorOperation.of(operation).orElse(null)) {
                    case EXECUTE_SRB -> VmscsiRequest.parse(rest, size - HEADER, version);
                    case QUERY_PROTOCOL_VERSION -> ProtocolVersion.parse(rest, size - HEADER);
                    case CREATE_SUB_CHANNELS -> SubChannelCount.parse(rest, size - HEADER);
                    case null, default -> VstorBody.NONE;
                };
        return new VstorPacket(operation, m.getInt(4), m.getInt(8), body);
    }

    public static VstorPacket parse(byte[] data, VstorVersion version) throws ProtocolException {
        return parse(ByteBuffer.wrap(data), data.length, version);
    }

    /** A packet the guest sends (asking for a completion). */
    public static VstorPacket request(VstorOperation operation, VstorBody body) {
        return new VstorPacket(operation.code(), FLAG_REQUEST_COMPLETION, 0, body);
    }

    /** The host's answer to a request: COMPLETE_IO with {@code status} and {@code body}. */
    public static VstorPacket completion(VstorStatus status, VstorBody body) {
        return new VstorPacket(VstorOperation.COMPLETE_IO.code(), 0, status.code(), body);
    }

    public static VstorPacket completion(VstorStatus status) {
        return completion(status, VstorBody.NONE);
    }

    /** A message the host starts (ENUMERATE_BUS: rescan). */
    public static VstorPacket notification(VstorOperation operation) {
        return new VstorPacket(operation.code(), 0, VstorStatus.SUCCESS.code(), VstorBody.NONE);
    }

    public Optional<VstorOperation> operation() {
        return VstorOperation.of(operationCode);
    }

    /** Writes the full 64 bytes (the union's unused part zero) at {@code b}'s position and moves past them. */
    public void writeTo(ByteBuffer b) {
        ByteBuffer m = b.slice(b.position(), SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + SIZE);
        for (int i = 0; i < SIZE; i += 4) m.putInt(i, 0);
        m.putInt(0, operationCode).putInt(4, flags).putInt(8, status);
        body.writeTo(m.position(HEADER));
    }

    public byte[] toBytes() {
        return Wire.bytes(SIZE, this::writeTo);
    }
}
