package org.viridian.devices.input;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Keys as browsers name them (KeyboardEvent.code: the key's place on a US keyboard, whatever the layout) and as VNC
 * clients send them (X keysyms, unshifted and shifted) mapped to scancode set 1, E0 for the extended keys. A name or
 * keysym not in the table is no key: the caller refuses it, so only keys the synthetic keyboard carries reach the guest.
 */
public final class KeyNames {
    /** code, scancode (hex, "e0" prefix for extended keys), keysyms (hex; single characters stand for themselves). */
    private static final String[] TABLE = {
        "Escape 01 ff1b",
        "Digit1 02 1 !",
        "Digit2 03 2 @",
        "Digit3 04 3 #",
        "Digit4 05 4 $",
        "Digit5 06 5 %",
        "Digit6 07 6 ^",
        "Digit7 08 7 &",
        "Digit8 09 8 *",
        "Digit9 0a 9 (",
        "Digit0 0b 0 )",
        "Minus 0c - _",
        "Equal 0d = +",
        "Backspace 0e ff08",
        "Tab 0f ff09 fe20",
        "KeyQ 10 q Q",
        "KeyW 11 w W",
        "KeyE 12 e E",
        "KeyR 13 r R",
        "KeyT 14 t T",
        "KeyY 15 y Y",
        "KeyU 16 u U",
        "KeyI 17 i I",
        "KeyO 18 o O",
        "KeyP 19 p P",
        "BracketLeft 1a [ {",
        "BracketRight 1b ] }",
        "Enter 1c ff0d",
        "ControlLeft 1d ffe3",
        "KeyA 1e a A",
        "KeyS 1f s S",
        "KeyD 20 d D",
        "KeyF 21 f F",
        "KeyG 22 g G",
        "KeyH 23 h H",
        "KeyJ 24 j J",
        "KeyK 25 k K",
        "KeyL 26 l L",
        "Semicolon 27 ; :",
        "Quote 28 ' \"",
        "Backquote 29 ` ~",
        "ShiftLeft 2a ffe1",
        "Backslash 2b \\ |",
        "KeyZ 2c z Z",
        "KeyX 2d x X",
        "KeyC 2e c C",
        "KeyV 2f v V",
        "KeyB 30 b B",
        "KeyN 31 n N",
        "KeyM 32 m M",
        "Comma 33 , <",
        "Period 34 . >",
        "Slash 35 / ?",
        "ShiftRight 36 ffe2",
        "NumpadMultiply 37 ffaa",
        "AltLeft 38 ffe9 ffe7",
        "Space 39 20",
        "CapsLock 3a ffe5",
        "F1 3b ffbe",
        "F2 3c ffbf",
        "F3 3d ffc0",
        "F4 3e ffc1",
        "F5 3f ffc2",
        "F6 40 ffc3",
        "F7 41 ffc4",
        "F8 42 ffc5",
        "F9 43 ffc6",
        "F10 44 ffc7",
        "NumLock 45 ff7f",
        "ScrollLock 46 ff14",
        "Numpad7 47 ffb7 ff95",
        "Numpad8 48 ffb8 ff97",
        "Numpad9 49 ffb9 ff9a",
        "NumpadSubtract 4a ffad",
        "Numpad4 4b ffb4 ff96",
        "Numpad5 4c ffb5 ff9d",
        "Numpad6 4d ffb6 ff98",
        "NumpadAdd 4e ffab",
        "Numpad1 4f ffb1 ff9c",
        "Numpad2 50 ffb2 ff99",
        "Numpad3 51 ffb3 ff9b",
        "Numpad0 52 ffb0 ff9e",
        "NumpadDecimal 53 ffae ff9f",
        "IntlBackslash 56",
        "F11 57 ffc8",
        "F12 58 ffc9",
        "NumpadEnter e01c ff8d",
        "ControlRight e01d ffe4",
        "NumpadDivide e035 ffaf",
        "PrintScreen e037 ff61",
        "AltRight e038 ffea fe03",
        "Home e047 ff50",
        "ArrowUp e048 ff52",
        "PageUp e049 ff55",
        "ArrowLeft e04b ff51",
        "ArrowRight e04d ff53",
        "End e04f ff57",
        "ArrowDown e050 ff54",
        "PageDown e051 ff56",
        "Insert e052 ff63",
        "Delete e053 ffff",
        "MetaLeft e05b ffeb",
        "MetaRight e05c ffec",
        "ContextMenu e05d ff67",
    };

    private static final Map<String, KeyEvent> BY_CODE = new HashMap<>();
    private static final Map<Integer, KeyEvent> BY_KEYSYM = new HashMap<>();

    static {
        for (String row : TABLE) {
            String[] f = row.split(" ");
            boolean e0 = f[1].length() == 4;
            int scancode = Integer.parseInt(e0 ? f[1].substring(2) : f[1], 16);
            KeyEvent press = new KeyEvent(scancode, e0 ? KeyEvent.Prefix.E0 : KeyEvent.Prefix.NONE, false);
            BY_CODE.put(f[0], press);
            for (int i = 2; i < f.length; i++)
                BY_KEYSYM.put(f[i].length() == 1 ? (int) f[i].charAt(0) : Integer.parseInt(f[i], 16), press);
        }
    }

    private KeyNames() {}

    /** The key a browser's KeyboardEvent.code names, going down or up; empty: no key the keyboard has. */
    public static Optional<KeyEvent> browserCode(String code, boolean released) {
        return Optional.ofNullable(code == null ? null : BY_CODE.get(code)).map(k -> released ? k.up() : k);
    }

    /** The key an X keysym (an RFB KeyEvent's) names on a US keyboard; empty: no key the keyboard has. */
    public static Optional<KeyEvent> keysym(int keysym, boolean released) {
        return Optional.ofNullable(BY_KEYSYM.get(keysym)).map(k -> released ? k.up() : k);
    }

    /** Ctrl+Alt+Del: what the "send Ctrl+Alt+Del" buttons type (the host's own keyboard would never let it through). */
    public static java.util.List<KeyEvent> ctrlAltDel() {
        KeyEvent ctrl = BY_CODE.get("ControlLeft"), alt = BY_CODE.get("AltLeft"), del = BY_CODE.get("Delete");
        return java.util.List.of(ctrl, alt, del, del.up(), alt.up(), ctrl.up());
    }
}
