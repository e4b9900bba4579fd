package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synthvid_pointer_shape: which part of the shape this is (255: CURSOR_COMPLETE, the whole shape at once),
 * whether it is ARGB (else AND/XOR masks), its size (96x96 at most), its hot spot and the image bytes, which run to the
 * end of the message. Whether there are enough bytes for the size is the device's to judge.
 */
public record PointerShape(int partIndex, boolean argb, int width, int height, long hotX, long hotY, byte[] data)
        implements SynthvidMessage {
    public static final int FIXED = 18, MAX_SIDE = 96, MAX_DATA = MAX_SIDE * MAX_SIDE * 4, COMPLETE = 0xFF;

    public PointerShape {
        if (partIndex < 0 || partIndex > 0xFF) throw new IllegalArgumentException("part " + partIndex);
        if (width < 0 || width > MAX_SIDE || height < 0 || height > MAX_SIDE)
            throw new IllegalArgumentException("pointer " + width + "x" + height);
        if (data.length > MAX_DATA) throw new IllegalArgumentException("pointer image of " + data.length + " bytes");
        data = data.clone();
    }

    public static PointerShape parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "synthvid_pointer_shape");
        long width = SynthvidMessage.u32(m, 2), height = SynthvidMessage.u32(m, 6);
        if (width > MAX_SIDE || height > MAX_SIDE) throw new ProtocolException("pointer " + width + "x" + height);
        if (size - FIXED > MAX_DATA) throw new ProtocolException("pointer image of " + (size - FIXED) + " bytes");
        byte[] data = new byte[size - FIXED];
        m.get(FIXED, data);
        return new PointerShape(
                m.get(0) & 0xFF,
                SynthvidMessage.flag(m, 1),
                (int) width,
                (int) height,
                SynthvidMessage.u32(m, 10),
                SynthvidMessage.u32(m, 14),
                data);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.POINTER_SHAPE;
    }

    @Override
    public int payloadSize() {
        return FIXED + data.length;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put((byte) partIndex)
                .put((byte) (argb ? 1 : 0))
                .putInt(width)
                .putInt(height)
                .putInt((int) hotX)
                .putInt((int) hotY)
                .put(data);
    }
}
