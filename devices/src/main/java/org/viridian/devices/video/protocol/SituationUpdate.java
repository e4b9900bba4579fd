package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_situation_update: a user context and the video outputs' modes (hyperv_fb sends one). */
public record SituationUpdate(long userContext, List<VideoOutput> outputs) implements SynthvidMessage {
    public static final int FIXED = 9;

    public SituationUpdate {
        if (outputs.size() > 0xFF) throw new IllegalArgumentException(outputs.size() + " outputs");
        outputs = List.copyOf(outputs);
    }

    public static SituationUpdate parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "synthvid_situation_update");
        int count = m.get(8) & 0xFF;
        if (FIXED + count * VideoOutput.SIZE > size)
            throw new ProtocolException(count + " video outputs run past " + size + " bytes");
        List<VideoOutput> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = FIXED + i * VideoOutput.SIZE;
            list.add(new VideoOutput(
                    SynthvidMessage.flag(m, at),
                    SynthvidMessage.u32(m, at + 1),
                    m.get(at + 5) & 0xFF,
                    SynthvidMessage.u32(m, at + 6),
                    SynthvidMessage.u32(m, at + 10),
                    SynthvidMessage.u32(m, at + 14)));
        }
        return new SituationUpdate(m.getLong(0), list);
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.SITUATION_UPDATE;
    }

    @Override
    public int payloadSize() {
        return FIXED + outputs.size() * VideoOutput.SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putLong(userContext).put((byte) outputs.size());
        for (VideoOutput o : outputs) {
            b.put((byte) (o.active() ? 1 : 0))
                    .putInt((int) o.vramOffset())
                    .put((byte) o.depthBits())
                    .putInt((int) o.width())
                    .putInt((int) o.height())
                    .putInt((int) o.pitch());
        }
    }
}
