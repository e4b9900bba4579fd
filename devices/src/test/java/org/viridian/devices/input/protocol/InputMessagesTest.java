package org.viridian.devices.input.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.testkit.RecordValues.sameValue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.viridian.vmbus.protocol.ProtocolException;

class InputMessagesTest {
    static Stream<KbdMessage> keyboard() {
        return Stream.of(
                new KbdProtocolRequest(KbdProtocolRequest.VERSION_1_0),
                KbdProtocolResponse.of(true),
                new Keystroke(0x1C, Keystroke.E0 | Keystroke.BREAK));
    }

    @ParameterizedTest
    @MethodSource("keyboard")
    void keyboardRoundTrips(KbdMessage m) throws ProtocolException {
        byte[] padded = Arrays.copyOf(m.toBytes(), 16);
        assertThat(KbdMessage.parse(padded)).isEqualTo(m);
    }

    /** hyperv-keyboard reads a keystroke as type 3, make code u16, reserved u16, info u32. */
    @Test
    void keystrokeHasLinuxLayout() {
        ByteBuffer b =
                ByteBuffer.wrap(new Keystroke(0x48, Keystroke.E0).toBytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.capacity()).isEqualTo(12);
        assertThat(b.getInt(0)).isEqualTo(3);
        assertThat(b.getShort(4)).isEqualTo((short) 0x48);
        assertThat(b.getInt(8)).isEqualTo(4);
    }

    static Stream<HidMessage> hid() {
        return Stream.of(
                new HidProtocolRequest(HidProtocolRequest.VERSION_2_0),
                new HidProtocolResponse(HidProtocolRequest.VERSION_2_0, true),
                new HidDeviceInfo(0x045E, 0x0621, 1, 0x0101, 0, new byte[] {5, 1, 9, 2}),
                new HidDeviceInfoAck(0),
                new InputReport(new byte[] {1, 2, 3, 4, 5, 6}));
    }

    @ParameterizedTest
    @MethodSource("hid")
    void hidRoundTrips(HidMessage m) throws ProtocolException {
        byte[] padded = Arrays.copyOf(m.toBytes(), (m.toBytes().length + 7) & ~7);
        assertThat(sameValue(HidMessage.parse(padded), m)).isTrue();
    }

    /**
     * hid-hyperv copies a protocol response only when 8 + the pipe size fits its 21-byte message, and reads the
     * report descriptor right after the HID descriptor's bLength bytes.
     */
    @Test
    void hidHasLinuxLayout() {
        ByteBuffer r = ByteBuffer.wrap(new HidProtocolResponse(0x20000, true).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(8 + r.getInt(4)).isLessThanOrEqualTo(21);
        assertThat(r.get(20)).isEqualTo((byte) 1);
        byte[] report = {5, 1, 9, 2};
        ByteBuffer d = ByteBuffer.wrap(new HidDeviceInfo(1, 2, 3, 0x0101, 0, report).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        int desc = 16 + 32;
        assertThat(d.get(desc)).isEqualTo((byte) 9);
        assertThat(d.get(desc + 1)).isEqualTo((byte) 0x21);
        assertThat(d.getShort(desc + 7)).isEqualTo((short) report.length);
        assertThat(Arrays.copyOfRange(d.array(), desc + 9, desc + 13)).isEqualTo(report);
    }

    @Test
    void refusesWhatDoesNotHold() {
        assertThatThrownBy(() -> KbdMessage.parse(new byte[3])).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> KbdMessage.parse(new byte[] {9, 0, 0, 0, 0, 0, 0, 0}))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> KbdMessage.parse(new byte[] {3, 0, 0, 0, 0x1C, 0}))
                .isInstanceOf(ProtocolException.class);
        byte[] info = new HidDeviceInfo(1, 2, 3, 0x0101, 0, new byte[] {5, 1, 9, 2}).toBytes();
        ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(16 + 32 + 7, (short) 5); // the report descriptor claims a byte more than is there
        assertThatThrownBy(() -> HidMessage.parse(info)).isInstanceOf(ProtocolException.class);
        byte[] request = new HidProtocolRequest(0x20000).toBytes();
        ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 5); // payload past its pipe
        assertThatThrownBy(() -> HidMessage.parse(request)).isInstanceOf(ProtocolException.class);
    }
}
