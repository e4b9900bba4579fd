package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synthvid_feature_change: what the host wants to be told. hyperv_fb sends dirty rectangles only while
 * {@code dirtNeeded}, and answers the message with its pointer and situation.
 */
public record FeatureChange(
        boolean dirtNeeded, boolean pointerPositionNeeded, boolean pointerShapeNeeded, boolean situationNeeded)
        implements SynthvidMessage {
    public static final int SIZE = 4;

    public static FeatureChange parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synthvid_feature_change");
        return new FeatureChange(
                SynthvidMessage.flag(m, 0),
                SynthvidMessage.flag(m, 1),
                SynthvidMessage.flag(m, 2),
                SynthvidMessage.flag(m, 3));
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.FEATURE_CHANGE;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        for (boolean f : new boolean[] {dirtNeeded, pointerPositionNeeded, pointerShapeNeeded, situationNeeded})
            b.put((byte) (f ? 1 : 0));
    }
}
