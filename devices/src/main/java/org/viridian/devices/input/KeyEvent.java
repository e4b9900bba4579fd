package org.viridian.devices.input;

import org.viridian.devices.input.protocol.Keystroke;

/**
 * A key going down or up as scancode set 1 says it: the make code (0x01-0x7F; bit 7 is the break flag on the wire,
 * so a code above 0x7F is not a key) and its prefix (E0 for the extended keys: arrows, right Ctrl/Alt, keypad Enter;
 * E1 for Pause). Everything else is refused here, so nothing the guest's keyboard driver cannot take reaches it.
 */
public record KeyEvent(int scancode, Prefix prefix, boolean released) {
    public enum Prefix {
        NONE,
        E0,
        E1
    }

    public KeyEvent {
        if (scancode < 1 || scancode > 0x7F)
            throw new IllegalArgumentException("scancode 0x" + Integer.toHexString(scancode));
        if (prefix == null) throw new IllegalArgumentException("no prefix");
    }

    public static KeyEvent press(int scancode) {
        return new KeyEvent(scancode, Prefix.NONE, false);
    }

    public static KeyEvent release(int scancode) {
        return new KeyEvent(scancode, Prefix.NONE, true);
    }

    /** The same key going up. */
    public KeyEvent up() {
        return new KeyEvent(scancode, prefix, true);
    }

    Keystroke toKeystroke() {
        int info = (released ? Keystroke.BREAK : 0)
                | switch (prefix) {
                    case NONE -> 0;
                    case E0 -> Keystroke.E0;
                    case E1 -> Keystroke.E1;
                };
        return new Keystroke(scancode, info);
    }
}
