package org.viridian.devices.ic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** ICMSG framing as Linux's hv_utils reads it (offsets from include/linux/hyperv.h), and defence against bad answers. */
class IcMessageTest {
    @Test
    void aNegotiationRequestHasThePipeAndIcHeadersAndBothVersionLists() {
        byte[] m = IcMessage.request(IcMessage.TYPE_NEGOTIATE, 1 << 16, 7, IcMessage.negotiate(new int[] {3 << 16, 1 << 16}, new int[] {3 << 16 | 2}));
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(4)).as("pipe message size").isEqualTo(m.length - 8);
        assertThat(b.getShort(8 + 4)).as("icmsgtype").isEqualTo((short) IcMessage.TYPE_NEGOTIATE);
        assertThat(b.getShort(8 + 10)).as("icmsgsize").isEqualTo((short) (8 + 3 * 4));
        assertThat(b.get(8 + 16)).as("transaction").isEqualTo((byte) 7);
        assertThat(b.get(8 + 17)).isEqualTo((byte) (IcMessage.FLAG_TRANSACTION | IcMessage.FLAG_REQUEST));
        // icframe_vercnt, icmsg_vercnt, reserved, then {major, minor} pairs: framework first.
        assertThat(b.getShort(28)).isEqualTo((short) 2);
        assertThat(b.getShort(30)).isEqualTo((short) 1);
        assertThat(b.getShort(36)).isEqualTo((short) 3);
        assertThat(b.getShort(44)).isEqualTo((short) 3);
        assertThat(b.getShort(46)).isEqualTo((short) 2);
    }

    @Test
    void theGuestsChoiceIsReadBackAndARefusalIsRecognised() {
        ByteBuffer answer = ByteBuffer.wrap(IcMessage.negotiate(new int[] {3 << 16}, new int[] {3 << 16 | 1})).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(IcMessage.negotiated(answer)).containsExactly(3 << 16, 3 << 16 | 1);
        ByteBuffer none = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN); // both counts 0: nothing in common
        assertThat(IcMessage.negotiated(none)).isNull();
    }

    @Test
    void malformedAnswersAreRejected() {
        assertThatThrownBy(() -> IcMessage.parse(new byte[20])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IcMessage.negotiated(ByteBuffer.allocate(8))).isInstanceOf(IllegalArgumentException.class);
        IcMessage.Parsed p = IcMessage.parse(IcMessage.request(Heartbeat.TYPE_HEARTBEAT, 3 << 16, 1, new byte[40]));
        assertThat(p.type()).isEqualTo(Heartbeat.TYPE_HEARTBEAT);
        assertThat(p.body().limit()).isEqualTo(40);
    }
}
