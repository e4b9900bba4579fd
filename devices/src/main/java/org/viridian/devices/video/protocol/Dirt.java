package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_dirt: the output and the rectangles the guest redrew (hyperv_fb sends one per message). */
public record Dirt(int videoOutput, List<Rect> rects) implements SynthvidMessage {
    public static final int FIXED = 2;

    public Dirt {
        if (videoOutput < 0 || videoOutput > 0xFF) throw new IllegalArgumentException("output " + videoOutput);
        if (rects.size() > 0xFF) throw new IllegalArgumentException(rects.size() + " rectangles");
        rects = List.copyOf(rects);
    }

    public static Dirt parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "synthvid_dirt");
        int count = m.get(1) & 0xFF;
        if (FIXED + count * Rect.SIZE > size)
            throw new ProtocolException(count + " rectangles run past " + size + " bytes");
        List<Rect> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = FIXED + i * Rect.SIZE;
            list.add(new Rect(m.getInt(at), m.getInt(at + 4), m.getInt(at + 8), m.getInt(at + 12)));
        }
        return new Dirt(m.get(0) & 0xFF, list);
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.DIRT;
    }

    @Override
    public int payloadSize() {
        return FIXED + rects.size() * Rect.SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put((byte) videoOutput).put((byte) rects.size());
        for (Rect r : rects) b.putInt(r.x1()).putInt(r.y1()).putInt(r.x2()).putInt(r.y2());
    }
}
