package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_pointer_position: whether the pointer is visible, on which output, and where (s32 pixels). */
public record PointerPosition(boolean visible, int videoOutput, int x, int y) implements SynthvidMessage {
    public static final int SIZE = 10;

    public static PointerPosition parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synthvid_pointer_position");
        return new PointerPosition(SynthvidMessage.flag(m, 0), m.get(1) & 0xFF, m.getInt(2), m.getInt(6));
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.POINTER_POSITION;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put((byte) (visible ? 1 : 0)).put((byte) videoOutput).putInt(x).putInt(y);
    }
}
