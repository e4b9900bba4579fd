package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthvid_situation_update_ack: the request's user context, echoed. */
public record SituationUpdateAck(long userContext) implements SynthvidMessage {
    public static final int SIZE = 8;

    public static SituationUpdateAck parse(ByteBuffer b, int size) throws ProtocolException {
        return new SituationUpdateAck(
                Wire.view(b, size, SIZE, "synthvid_situation_update_ack").getLong(0));
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.SITUATION_UPDATE_ACK;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putLong(userContext);
    }
}
