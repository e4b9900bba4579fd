package org.viridian.vmbus.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.viridian.vmbus.protocol.MessageType;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.VmbusMessage;

/**
 * The typed channel messages (org.viridian.vmbus.protocol) from arbitrary bytes through their parse dispatcher, for
 * every {@link MessageType} (the type is forced to a known code most of the time, so every record's parse is fuzzed)
 * and at an arbitrary position in a larger buffer. Rules: ProtocolException is the only failure; whatever parses
 * writes back to bytes that parse to an equal record (components compared by value, arrays included), and writing
 * takes exactly {@link VmbusMessage#size()} bytes.
 */
class VmbusProtocolFuzzTest {
    private static final MessageType[] TYPES = MessageType.values();

    @FuzzTest
    void parseAndWriteBack(FuzzedDataProvider data) {
        int pad = data.consumeInt(0, 16);
        boolean known = data.consumeBoolean();
        int type = known ? TYPES[data.consumeInt(0, TYPES.length - 1)].code() : data.consumeInt();
        int slack = data.consumeInt(0, 8); // bytes after the message that are not its own
        byte[] body = data.consumeRemainingAsBytes();
        byte[] wire = new byte[pad + Math.max(body.length, 4) + slack];
        System.arraycopy(body, 0, wire, pad, body.length);
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        if (body.length >= 4) b.putInt(pad, type);
        b.position(pad);
        // The size the SynIC message announces may also claim more than is there (the slack, or past the buffer).
        int size = body.length + (known ? 0 : slack);
        VmbusMessage m;
        try {
            m = VmbusMessage.parse(b, size);
        } catch (ProtocolException declared) {
            return;
        }
        assertThat(b.position()).as("parse leaves the caller's position").isEqualTo(pad);
        try {
            VmbusMessage.parseFromGuest(b, size);
            assertThat(m).isInstanceOf(VmbusMessage.FromGuest.class);
        } catch (ProtocolException hostMessage) {
            assertThat(m).isInstanceOf(VmbusMessage.FromHost.class);
        }
        byte[] written = m.toBytes();
        assertThat(written.length).isEqualTo(m.size());
        ByteBuffer into = ByteBuffer.allocate(m.size() + 3).position(3);
        m.writeTo(into);
        assertThat(into.position()).as("writeTo moves past the message").isEqualTo(3 + m.size());
        assertThat(Arrays.copyOfRange(into.array(), 3, into.position())).isEqualTo(written);
        VmbusMessage again;
        try {
            again = VmbusMessage.parse(ByteBuffer.wrap(written), written.length);
        } catch (ProtocolException e) {
            throw new AssertionError(m + " writes bytes that do not parse: " + e.getMessage(), e);
        }
        assertThat(sameValue(m, again)).as("%s round-trips, got %s", m, again).isTrue();
        assertThat(again.toBytes()).isEqualTo(written);
    }
}
