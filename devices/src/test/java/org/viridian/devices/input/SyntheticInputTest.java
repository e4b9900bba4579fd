package org.viridian.devices.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.input.protocol.HidDeviceInfo;
import org.viridian.devices.input.protocol.HidDeviceInfoAck;
import org.viridian.devices.input.protocol.HidMessage;
import org.viridian.devices.input.protocol.HidProtocolRequest;
import org.viridian.devices.input.protocol.HidProtocolResponse;
import org.viridian.devices.input.protocol.InputReport;
import org.viridian.devices.input.protocol.KbdMessage;
import org.viridian.devices.input.protocol.KbdProtocolRequest;
import org.viridian.devices.input.protocol.KbdProtocolResponse;
import org.viridian.devices.input.protocol.Keystroke;
import org.viridian.partition.memory.GuestMemory;

/** The keyboard and mouse over real rings, the guest played as hyperv_keyboard and hid_hyperv probe. */
class SyntheticInputTest {
    final GuestMemory memory = GuestMemory.allocate(1 << 20);

    @AfterEach
    void close() {
        memory.close();
    }

    @Test
    void keyboardAcceptsVersionOneThenTypes() throws Exception {
        var kbd = new SyntheticKeyboard(UUID.randomUUID());
        var guest = new GuestChannel(memory, kbd, 8).open();
        assertThat(kbd.key(KeyEvent.press(0x1E))).as("not before the handshake").isFalse();
        guest.send(new KbdProtocolRequest(2 << 16).toBytes());
        assertThat(KbdMessage.parse(guest.receive().orElseThrow())).isEqualTo(KbdProtocolResponse.of(false));
        guest.send(new KbdProtocolRequest(KbdProtocolRequest.VERSION_1_0).toBytes());
        assertThat(KbdMessage.parse(guest.receive().orElseThrow())).isEqualTo(KbdProtocolResponse.of(true));

        assertThat(kbd.key(new KeyEvent(0x48, KeyEvent.Prefix.E0, true))).isTrue(); // up arrow released
        assertThat(KbdMessage.parse(guest.receive().orElseThrow()))
                .isEqualTo(new Keystroke(0x48, Keystroke.E0 | Keystroke.BREAK));
        assertThat(kbd.keys(Scancodes.type("A\n"))).isTrue();
        assertThat(guest.drain().stream().map(KeyboardParse::keystroke).toList())
                .containsExactly(
                        new Keystroke(0x2A, 0), // shift
                        new Keystroke(0x1E, 0),
                        new Keystroke(0x1E, Keystroke.BREAK),
                        new Keystroke(0x2A, Keystroke.BREAK),
                        new Keystroke(0x1C, 0),
                        new Keystroke(0x1C, Keystroke.BREAK));

        guest.send(new Keystroke(0x1E, 0).toBytes()); // a keystroke from the guest makes no sense
        guest.send(new byte[] {9, 0}); // no such message type
        assertThat(kbd.refused()).isEqualTo(2);
        assertThat(kbd.ready()).isTrue();
        assertThat(guest.failures).isEmpty();
    }

    @Test
    void keyEventsCarryOnlyWhatTheProtocolCan() {
        assertThatThrownBy(() -> KeyEvent.press(0x80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyEvent.press(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scancodes.type("é")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PointerEvent(0x8000, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PointerEvent(0, 0, 8, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PointerEvent(0, 0, 0, 128)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PointerEvent.at(1024, 0, 1024, 768, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PointerEvent.at(1023, 767, 1024, 768, 1)).isEqualTo(new PointerEvent(0x7FFF, 0x7FFF, 1, 0));
    }

    @Test
    void mouseDescribesItselfThenReports() throws Exception {
        var mouse = new SyntheticMouse(UUID.randomUUID());
        var guest = new GuestChannel(memory, mouse, 8).open();
        guest.send(new HidProtocolRequest(HidProtocolRequest.VERSION_2_0).toBytes());
        assertThat(HidMessage.parse(guest.receive().orElseThrow()))
                .isEqualTo(new HidProtocolResponse(HidProtocolRequest.VERSION_2_0, true));
        var info = (HidDeviceInfo) HidMessage.parse(guest.receive().orElseThrow());
        assertThat(info.reportDescriptor()).isEqualTo(SyntheticMouse.REPORT_DESCRIPTOR);
        assertThat(info.reportDescriptor()[14])
                .as("hid_hyperv rewrites a 0x25 there")
                .isNotEqualTo((byte) 0x25);
        assertThat(mouse.pointer(new PointerEvent(1, 2, 0, 0)))
                .as("not before the ack")
                .isFalse();

        guest.send(new HidDeviceInfoAck(0).toBytes());
        assertThat(mouse.pointer(new PointerEvent(0x1234, 0x7FFF, 5, -1))).isTrue();
        var report = (InputReport) HidMessage.parse(guest.receive().orElseThrow());
        assertThat(report.report()).containsExactly(5, 0x34, 0x12, 0xFF, 0x7F, 0xFF);
        assertThat(mouse.delivered()).isEqualTo(1);

        guest.send(new InputReport(new byte[3]).toBytes()); // reports go to the guest, not from it
        guest.send(new HidProtocolRequest(1 << 16).toBytes());
        assertThat(HidMessage.parse(guest.receive().orElseThrow())).isEqualTo(new HidProtocolResponse(1 << 16, false));
        assertThat(mouse.refused()).isEqualTo(1);
        assertThat(guest.failures).isEmpty();
    }

    /**
     * Keyboard and mouse saved after their handshakes and restored into fresh devices (a VM restored from its state
     * file): input reaches the guest at once, without a new handshake; a device saved before its handshake stays
     * not ready.
     */
    @Test
    void negotiatedKeyboardAndMouseComeBackReadyInFreshDevices() throws Exception {
        var kbd = new SyntheticKeyboard(UUID.randomUUID());
        var kbdGuest = new GuestChannel(memory, kbd, 8).open();
        kbdGuest.send(new KbdProtocolRequest(KbdProtocolRequest.VERSION_1_0).toBytes());
        kbdGuest.drain();
        var freshKbd = new SyntheticKeyboard(UUID.randomUUID());
        kbdGuest = kbdGuest.restoreInto(freshKbd, kbd.save());
        assertThat(freshKbd.ready()).isTrue();
        assertThat(freshKbd.key(KeyEvent.press(0x1E))).isTrue();
        assertThat(KbdMessage.parse(kbdGuest.receive().orElseThrow())).isEqualTo(new Keystroke(0x1E, 0));

        try (GuestMemory other = GuestMemory.allocate(1 << 20)) {
            var mouse = new SyntheticMouse(UUID.randomUUID());
            var mouseGuest = new GuestChannel(other, mouse, 8).open();
            mouseGuest.send(new HidProtocolRequest(HidProtocolRequest.VERSION_2_0).toBytes());
            mouseGuest.drain();
            byte[] beforeAck = mouse.save();
            mouseGuest.send(new HidDeviceInfoAck(0).toBytes());
            var freshMouse = new SyntheticMouse(UUID.randomUUID());
            mouseGuest = mouseGuest.restoreInto(freshMouse, mouse.save());
            assertThat(freshMouse.pointer(new PointerEvent(1, 2, 1, 0))).isTrue();
            assertThat(((InputReport) HidMessage.parse(mouseGuest.receive().orElseThrow())).report())
                    .containsExactly(1, 1, 0, 2, 0, 0);

            var early = new SyntheticMouse(UUID.randomUUID());
            mouseGuest = mouseGuest.restoreInto(early, beforeAck);
            assertThat(early.ready())
                    .as("saved between device info and the guest's ack")
                    .isFalse();
            mouseGuest.send(new HidDeviceInfoAck(0).toBytes());
            assertThat(early.ready()).isTrue();
            var channel = mouseGuest;
            assertThatThrownBy(() -> channel.restoreInto(new SyntheticMouse(UUID.randomUUID()), new byte[] {2}))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** The report descriptor's items, walked as a HID parser does: only short items, collections balanced. */
    @Test
    void reportDescriptorIsWellFormed() {
        byte[] d = SyntheticMouse.REPORT_DESCRIPTOR;
        int depth = 0, bits = 0, size = 0, count = 0;
        for (int i = 0; i < d.length; ) {
            int prefix = d[i] & 0xFF, n = prefix & 3;
            n = n == 3 ? 4 : n;
            int value = 0;
            for (int k = 0; k < n; k++) value |= (d[i + 1 + k] & 0xFF) << (8 * k);
            switch (prefix & 0xFC) {
                case 0xA0 -> depth++;
                case 0xC0 -> depth--;
                case 0x74 -> size = value;
                case 0x94 -> count = value;
                case 0x80 -> bits += size * count;
                default -> {}
            }
            i += 1 + n;
        }
        assertThat(depth).isZero();
        assertThat(bits).isEqualTo(8 * new PointerEvent(0, 0, 0, 0).report().length);
    }

    private static final class KeyboardParse {
        static Keystroke keystroke(byte[] b) {
            try {
                return (Keystroke) KbdMessage.parse(b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }
}
