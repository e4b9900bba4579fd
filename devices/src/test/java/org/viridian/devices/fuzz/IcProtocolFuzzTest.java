package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.devices.ic.protocol.HeartbeatBody;
import org.viridian.devices.ic.protocol.IcBody;
import org.viridian.devices.ic.protocol.IcHeader;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.KvpMessage;
import org.viridian.devices.ic.protocol.NegotiateBody;
import org.viridian.devices.ic.protocol.ShutdownBody;
import org.viridian.devices.ic.protocol.TimeSyncData;
import org.viridian.devices.ic.protocol.TimeSyncRefData;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The integration-services wire records (org.viridian.devices.ic.protocol) from arbitrary in-band packet bytes:
 * IcMessage (IcHeader and the body bytes), then the body through every body record's parse (the type is forced to a
 * known IcMessageType most of the time). Rules: ProtocolException is the only failure; whatever parses writes back to
 * bytes that parse to an equal record (components by value, arrays included).
 */
class IcProtocolFuzzTest {
    private static final IcMessageType[] TYPES = IcMessageType.values();

    @FuzzTest
    void parseAndWriteBack(FuzzedDataProvider data) {
        int pad = data.consumeInt(0, 16);
        boolean known = data.consumeBoolean();
        int type = known ? TYPES[data.consumeInt(0, TYPES.length - 1)].code() : data.consumeInt(0, 0xFFFF);
        int claimed = data.consumeInt(-2, 8); // the packet length the channel reports, around the bytes there
        byte[] packet = data.consumeRemainingAsBytes();
        byte[] wire = new byte[pad + packet.length + 8];
        System.arraycopy(packet, 0, wire, pad, packet.length);
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        if (packet.length >= IcHeader.PIPE + 6) b.putShort(pad + IcHeader.PIPE + 4, (short) type);
        b.position(pad);
        int size = packet.length + (known ? 0 : claimed);
        IcMessage m;
        try {
            m = IcMessage.parse(b, size);
        } catch (ProtocolException declared) {
            parseBodies(packet); // the body records see arbitrary bytes too
            return;
        }
        assertThat(b.position()).isEqualTo(pad);
        assertThat(m.body().length).isEqualTo(size - IcHeader.SIZE);
        byte[] written = m.toBytes();
        IcMessage again;
        try {
            again = IcMessage.parse(written);
        } catch (ProtocolException e) {
            throw new AssertionError(m + " writes bytes that do not parse: " + e.getMessage(), e);
        }
        assertThat(sameValue(m, again))
                .as("%s round-trips, got %s", m.header(), again.header())
                .isTrue();
        assertThat(again.toBytes()).isEqualTo(written);
        parseBodies(m.body());
    }

    @FunctionalInterface
    private interface BodyParser {
        IcBody parse(ByteBuffer b, int size) throws ProtocolException;
    }

    private static final BodyParser[] BODIES = {
        NegotiateBody::parse,
        HeartbeatBody::parse,
        ShutdownBody::parse,
        TimeSyncData::parse,
        TimeSyncRefData::parse,
        KvpMessage::parse
    };

    private static void parseBodies(byte[] body) {
        for (BodyParser p : BODIES) {
            IcBody parsed;
            try {
                parsed = p.parse(ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN), body.length);
            } catch (ProtocolException declared) {
                continue;
            }
            byte[] written = parsed.toBytes();
            IcBody again;
            try {
                again = p.parse(ByteBuffer.wrap(written).order(ByteOrder.LITTLE_ENDIAN), written.length);
            } catch (ProtocolException e) {
                throw new AssertionError(parsed + " writes bytes that do not parse: " + e.getMessage(), e);
            }
            assertThat(sameValue(parsed, again))
                    .as("%s round-trips, got %s", parsed, again)
                    .isTrue();
            assertThat(again.toBytes()).isEqualTo(written);
        }
    }
}
