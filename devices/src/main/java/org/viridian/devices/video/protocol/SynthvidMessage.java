package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One synthetic video message (hyperv_fb's struct synthvid_msg): a pipe header (struct pipe_msg_hdr: type
 * PIPE_MSG_DATA, size of what follows), the video header (struct synthvid_msg_hdr: type, size of header and payload),
 * then one member of the union as a record. {@link #parse} validates both sizes against the packet and each other.
 */
public sealed interface SynthvidMessage
        permits VersionRequest,
                VersionResponse,
                ResolutionRequest,
                ResolutionResponse,
                VramLocation,
                VramLocationAck,
                SituationUpdate,
                SituationUpdateAck,
                PointerPosition,
                PointerShape,
                FeatureChange,
                Dirt {
    int PIPE_MSG_DATA = 1;
    /** Pipe header plus video header. */
    int HEADERS = 16;
    /** hyperv_fb's MAX_VMBUS_PKT_SIZE: the guest's receive buffer, so no message of ours may be larger. */
    int MAX_PACKET = 0x4000;

    SynthvidType type();

    /** Bytes {@link #writeTo} writes. */
    int payloadSize();

    /** Writes the payload at {@code b}'s position (little-endian) and moves past it. */
    void writeTo(ByteBuffer b);

    /** The message in the {@code size} bytes at {@code b}'s position (an in-band packet's data, padding included). */
    static SynthvidMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADERS, "synthvid_msg");
        if (m.getInt(0) != PIPE_MSG_DATA) throw new ProtocolException("pipe message type " + m.getInt(0));
        long pipe = Integer.toUnsignedLong(m.getInt(4)), video = Integer.toUnsignedLong(m.getInt(12));
        if (pipe > size - 8) throw new ProtocolException("pipe size " + pipe + " runs past the packet's " + size);
        if (video < 8 || video > pipe) throw new ProtocolException("video size " + video + " in a pipe of " + pipe);
        int n = (int) video - 8;
        ByteBuffer p = Wire.view(m.position(HEADERS), n, 0, "synthvid payload");
        int code = m.getInt(8);
        SynthvidType type =
                SynthvidType.of(code).orElseThrow(() -> new ProtocolException("synthvid message type " + code));
        return switch (type) {
            case VERSION_REQUEST -> VersionRequest.parse(p, n);
            case VERSION_RESPONSE -> VersionResponse.parse(p, n);
            case RESOLUTION_REQUEST -> ResolutionRequest.parse(p, n);
            case RESOLUTION_RESPONSE -> ResolutionResponse.parse(p, n);
            case VRAM_LOCATION -> VramLocation.parse(p, n);
            case VRAM_LOCATION_ACK -> VramLocationAck.parse(p, n);
            case SITUATION_UPDATE -> SituationUpdate.parse(p, n);
            case SITUATION_UPDATE_ACK -> SituationUpdateAck.parse(p, n);
            case POINTER_POSITION -> PointerPosition.parse(p, n);
            case POINTER_SHAPE -> PointerShape.parse(p, n);
            case FEATURE_CHANGE -> FeatureChange.parse(p, n);
            case DIRT -> Dirt.parse(p, n);
        };
    }

    static SynthvidMessage parse(byte[] data) throws ProtocolException {
        return parse(ByteBuffer.wrap(data), data.length);
    }

    /** The message with both headers, as the packet's data. */
    default byte[] toBytes() {
        int n = payloadSize();
        return Wire.bytes(HEADERS + n, b -> {
            b.putInt(PIPE_MSG_DATA).putInt(8 + n).putInt(type().code()).putInt(8 + n);
            writeTo(b);
        });
    }

    static boolean flag(ByteBuffer b, int at) {
        return b.get(at) != 0;
    }

    static long u32(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at));
    }
}
