package org.viridian.devices.ic.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * ICMSG framing as Linux's hv_utils reads it (offsets from include/linux/hyperv.h), and defence against bad answers.
 */
class IcProtocolTest {
    interface Parser {
        IcBody parse(ByteBuffer b, int size) throws ProtocolException;
    }

    record Case(IcBody body, Parser parser, int min) {}

    static Stream<Case> bodies() {
        return Stream.of(
                new Case(new NegotiateBody(new int[] {3 << 16}, new int[] {3 << 16 | 1}), NegotiateBody::parse, 16),
                new Case(new HeartbeatBody(42), HeartbeatBody::parse, 8),
                new Case(
                        new ShutdownBody(ShutdownBody.REASON_PLANNED, 30, ShutdownBody.FLAG_RESTART),
                        ShutdownBody::parse,
                        12),
                new Case(new TimeSyncData(1, 2, 3, 1), TimeSyncData::parse, 25),
                new Case(new TimeSyncRefData(1, 2, 2, 0, 0), TimeSyncRefData::parse, 24));
    }

    @ParameterizedTest
    @MethodSource("bodies")
    void bodiesRoundTripInsideAMessage(Case c) throws ProtocolException {
        byte[] packet =
                IcMessage.request(IcMessageType.HEARTBEAT, 3 << 16, 9, c.body()).toBytes();
        IcMessage m = IcMessage.parse(packet);
        assertThat(m.header().transaction()).isEqualTo(9);
        assertThat(m.header().bodySize()).isEqualTo(c.body().toBytes().length);
        IcBody back = c.parser().parse(m.bodyBuffer(), m.body().length);
        assertThat(back.toBytes()).isEqualTo(m.body());
    }

    @ParameterizedTest
    @MethodSource("bodies")
    void shortBodiesAreProtocolErrors(Case c) {
        for (int n = 0; n < c.min(); n++) {
            int size = n;
            assertThatThrownBy(() -> c.parser().parse(ByteBuffer.wrap(new byte[size]), size))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void aNegotiationRequestHasThePipeAndIcHeadersAndBothVersionLists() {
        byte[] m = IcMessage.request(
                        IcMessageType.NEGOTIATE, 1 << 16, 7, new NegotiateBody(new int[] {3 << 16, 1 << 16}, new int[] {
                            3 << 16 | 2
                        }))
                .toBytes();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(4)).as("pipe message size").isEqualTo(m.length - 8);
        assertThat(b.getShort(8 + 4)).as("icmsgtype").isEqualTo((short) IcMessageType.NEGOTIATE.code());
        assertThat(b.getShort(8 + 10)).as("icmsgsize").isEqualTo((short) (8 + 3 * 4));
        assertThat(b.get(8 + 16)).as("transaction").isEqualTo((byte) 7);
        assertThat(b.get(8 + 17)).isEqualTo((byte) (IcHeader.FLAG_TRANSACTION | IcHeader.FLAG_REQUEST));
        // icframe_vercnt, icmsg_vercnt, reserved, then {major, minor} pairs: framework first.
        assertThat(b.getShort(28)).isEqualTo((short) 2);
        assertThat(b.getShort(30)).isEqualTo((short) 1);
        assertThat(b.getShort(36)).isEqualTo((short) 3);
        assertThat(b.getShort(44)).isEqualTo((short) 3);
        assertThat(b.getShort(46)).isEqualTo((short) 2);
    }

    @Test
    void theGuestsChoiceIsReadBackAndARefusalIsRecognised() throws ProtocolException {
        byte[] answer = new NegotiateBody(new int[] {3 << 16}, new int[] {3 << 16 | 1}).toBytes();
        assertThat(NegotiateBody.parse(ByteBuffer.wrap(answer), 16).chosen()).containsExactly(3 << 16, 3 << 16 | 1);
        // both counts 0: nothing in common
        assertThat(NegotiateBody.parse(ByteBuffer.wrap(new byte[16]), 16).chosen())
                .isNull();
    }

    @Test
    void malformedAnswersAreRejected() throws ProtocolException {
        assertThatThrownBy(() -> IcMessage.parse(new byte[20])).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> NegotiateBody.parse(ByteBuffer.allocate(8), 8)).isInstanceOf(ProtocolException.class);
        byte[] tooMany =
                Wire.allocate(16).putShort(0, (short) 2).putShort(2, (short) 2).array();
        assertThatThrownBy(() -> NegotiateBody.parse(ByteBuffer.wrap(tooMany), 16))
                .isInstanceOf(ProtocolException.class);
        byte[] unknownType = IcMessage.request(IcMessageType.HEARTBEAT, 3 << 16, 1, new HeartbeatBody(1))
                .toBytes();
        unknownType[8 + 4] = 99;
        assertThatThrownBy(() -> IcMessage.parse(unknownType)).isInstanceOf(ProtocolException.class);
        IcMessage p = IcMessage.parse(IcMessage.request(IcMessageType.HEARTBEAT, 3 << 16, 1, new HeartbeatBody(1))
                .toBytes());
        assertThat(p.header().type()).isEqualTo(IcMessageType.HEARTBEAT);
        assertThat(p.body()).hasSize(40);
    }

    @Test
    void versionsAreNamed() {
        assertThat(IcVersion.of(4 << 16)).contains(IcVersion.V4_0);
        assertThat(IcVersion.of(2 << 16)).isEmpty();
        ToIntFunction<IcVersion> code = IcVersion::code;
        assertThat(code.applyAsInt(IcVersion.V3_0)).isEqualTo(3 << 16);
    }
}
