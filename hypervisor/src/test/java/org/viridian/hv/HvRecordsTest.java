package org.viridian.hv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.viridian.hv.hypercall.HvStatus;
import org.viridian.hv.hypercall.PostMessageInput;
import org.viridian.hv.hypercall.SignalEventInput;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.HvMessageType;
import org.viridian.hv.synic.TimerMessagePayload;

/** Hypercall inputs and SynIC messages as the TLFS and Linux (include/hyperv/hvgdk_mini.h) lay them out. */
class HvRecordsTest {
    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void postMessageInputRoundTripsAndEveryTruncationIsInvalidAlignment() throws HvProtocolException {
        PostMessageInput in = new PostMessageInput(4, 1, new byte[] {1, 2, 3, 4, 5});
        ByteBuffer b = le(16 + 5);
        in.writeTo(b);
        assertThat(b.getInt(12)).as("payload size").isEqualTo(5);
        PostMessageInput back = PostMessageInput.parse(b, 21);
        assertThat(back.connectionId()).isEqualTo(4);
        assertThat(back.messageType()).isEqualTo(1);
        assertThat(back.payload()).containsExactly(1, 2, 3, 4, 5);
        for (int n = 0; n < 21; n++) {
            int size = n;
            assertThatThrownBy(() -> PostMessageInput.parse(b, size))
                    .isInstanceOf(HvProtocolException.class)
                    .extracting(e -> ((HvProtocolException) e).status())
                    .isEqualTo(HvStatus.INVALID_ALIGNMENT);
        }
    }

    @Test
    void postMessageInputRefusesHypervisorTypesAndOversizedPayloads() {
        for (int[] f : new int[][] {{8, 0}, {8, 0x8000_0001}, {12, 241}, {12, -1}}) {
            ByteBuffer b = le(256);
            b.putInt(8, 1).putInt(12, 4).putInt(f[0], f[1]);
            assertThatThrownBy(() -> PostMessageInput.parse(b, 256))
                    .isInstanceOf(HvProtocolException.class)
                    .extracting(e -> ((HvProtocolException) e).status())
                    .isEqualTo(HvStatus.INVALID_PARAMETER);
        }
    }

    @Test
    void signalEventInputChecksItsFlagAndReservedBits() throws HvProtocolException {
        SignalEventInput e = new SignalEventInput(0x2000, 7);
        assertThat(SignalEventInput.of(e.toLong())).isEqualTo(e);
        ByteBuffer b = le(8);
        e.writeTo(b);
        assertThat(SignalEventInput.parse(b, 8)).isEqualTo(e);
        assertThatThrownBy(() -> SignalEventInput.parse(b, 7)).isInstanceOf(HvProtocolException.class);
        assertThatThrownBy(() -> SignalEventInput.of(1L << 48)).isInstanceOf(HvProtocolException.class);
        assertThatThrownBy(() -> SignalEventInput.of(2048L << 32)).isInstanceOf(HvProtocolException.class);
    }

    @Test
    void messagesRoundTripAndBadSlotsAreRefused() throws HvProtocolException {
        HvMessage m = new HvMessage(1, 0x2A, new byte[] {9, 8, 7});
        ByteBuffer b = le(HvMessage.SIZE);
        m.writeTo(b);
        assertThat(b.get(4)).as("payload size").isEqualTo((byte) 3);
        assertThat(b.getLong(8)).as("sender").isEqualTo(0x2A);
        HvMessage back = HvMessage.parse(b, HvMessage.SIZE);
        assertThat(back.type()).isEqualTo(1);
        assertThat(back.payload()).containsExactly(9, 8, 7);
        for (int n = 0; n < 19; n++) {
            int size = n;
            assertThatThrownBy(() -> HvMessage.parse(b, size)).isInstanceOf(HvProtocolException.class);
        }
        b.put(4, (byte) 241);
        assertThatThrownBy(() -> HvMessage.parse(b, HvMessage.SIZE)).isInstanceOf(HvProtocolException.class);
        assertThatThrownBy(() -> HvMessage.parse(le(256), 256))
                .as("an empty slot")
                .isInstanceOf(HvProtocolException.class);
    }

    @Test
    void timerPayloadRoundTripsInsideItsMessage() throws HvProtocolException {
        TimerMessagePayload p = new TimerMessagePayload(2, 1000, 1005);
        HvMessage m = p.toMessage();
        assertThat(m.type()).isEqualTo(HvMessageType.TIMER_EXPIRED.code()).isEqualTo(0x80000010);
        assertThat(TimerMessagePayload.parse(ByteBuffer.wrap(m.payload()), m.payload().length))
                .isEqualTo(p);
        for (int n = 0; n < 24; n++) {
            int size = n;
            assertThatThrownBy(() -> TimerMessagePayload.parse(ByteBuffer.wrap(m.payload()), size))
                    .isInstanceOf(HvProtocolException.class);
        }
        assertThat(HvMessageType.isHypervisors(HvMessageType.TIMER_EXPIRED.code()))
                .isTrue();
        assertThat(HvMessageType.isHypervisors(1)).isFalse();
    }
}
