package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synth_kbd_keystroke: a scancode set 1 make code (u16), a reserved u16, and info flags: IS_UNICODE (the code is
 * a UTF-16 unit, not a scancode), IS_BREAK (key released), IS_E0 / IS_E1 (the extended prefixes, which hyperv-keyboard
 * feeds to atkbd before the code).
 */
public record Keystroke(int makeCode, int info) implements KbdMessage {
    public static final int SIZE = 8;
    public static final int UNICODE = 1, BREAK = 2, E0 = 4, E1 = 8;

    public Keystroke {
        if (makeCode < 0 || makeCode > 0xFFFF) throw new IllegalArgumentException("make code " + makeCode);
    }

    public static Keystroke parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "synth_kbd_keystroke");
        return new Keystroke(Short.toUnsignedInt(m.getShort(0)), m.getInt(4));
    }

    public boolean isBreak() {
        return (info & BREAK) != 0;
    }

    @Override
    public int type() {
        return EVENT;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putShort((short) makeCode).putShort((short) 0).putInt(info);
    }
}
