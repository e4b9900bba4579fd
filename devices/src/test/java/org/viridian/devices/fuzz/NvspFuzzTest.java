package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.devices.netvsp.protocol.NvspMessage;
import org.viridian.devices.netvsp.protocol.NvspMessageType;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The NVSP wire records (org.viridian.devices.netvsp.protocol.NvspMessage) from arbitrary packet bytes, as a guest's
 * or as a host's message (the type forced to a known one most of the time, the size the channel reports a little
 * short of the bytes at times). Rules: ProtocolException is the only failure; the position does not move; whatever
 * parses writes back {@code size()} bytes that parse to an equal record and write the same bytes again.
 */
class NvspFuzzTest {
    private static final NvspMessageType[] TYPES = NvspMessageType.values();

    @FuzzTest
    void parseAndWriteBack(FuzzedDataProvider data) {
        boolean fromHost = data.consumeBoolean();
        boolean force = data.consumeBoolean();
        int type = TYPES[data.consumeInt(0, TYPES.length - 1)].code();
        int shortBy = data.consumeInt(0, 8);
        int pad = data.consumeInt(0, 8);
        byte[] message = data.consumeRemainingAsBytes();
        byte[] wire = new byte[pad + message.length];
        System.arraycopy(message, 0, wire, pad, message.length);
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        if (force && message.length >= 4) b.putInt(pad, type);
        b.position(pad);
        int size = Math.max(0, message.length - shortBy);
        NvspMessage m;
        try {
            m = fromHost ? NvspMessage.parseFromHost(b, size) : NvspMessage.parseFromGuest(b, size);
        } catch (ProtocolException declared) {
            return;
        }
        assertThat(b.position()).isEqualTo(pad);
        byte[] written = m.toBytes();
        assertThat(written).hasSize(m.size());
        NvspMessage again;
        try {
            ByteBuffer w = ByteBuffer.wrap(written);
            again = fromHost
                    ? NvspMessage.parseFromHost(w, written.length)
                    : NvspMessage.parseFromGuest(w, written.length);
        } catch (ProtocolException e) {
            throw new AssertionError(m + " writes bytes that do not parse: " + e.getMessage(), e);
        }
        assertThat(sameValue(m, again)).as("%s round-trips, got %s", m, again).isTrue();
        assertThat(again.toBytes()).isEqualTo(written);
    }
}
