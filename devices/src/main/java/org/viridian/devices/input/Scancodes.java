package org.viridian.devices.input;

import java.util.ArrayList;
import java.util.List;

/** Text to scancode set 1 key events on a US keyboard layout (what a console needs to take a typed command). */
public final class Scancodes {
    public static final int LEFT_SHIFT = 0x2A, ENTER = 0x1C;
    private static final String ROW_1 = "1234567890-=",
            ROW_2 = "qwertyuiop[]",
            ROW_3 = "asdfghjkl;'`",
            ROW_4 = "zxcvbnm,./";
    private static final String SHIFTED_1 = "!@#$%^&*()_+", SHIFTED_2 = "QWERTYUIOP{}", SHIFTED_3 = "ASDFGHJKL:\"~";
    private static final String SHIFTED_4 = "ZXCVBNM<>?";

    private Scancodes() {}

    /** Press and release events typing {@code text} (printable ASCII, newline as Enter, tab); others are refused. */
    public static List<KeyEvent> type(String text) {
        List<KeyEvent> out = new ArrayList<>();
        for (char c : text.toCharArray()) {
            int code = code(c);
            boolean shift = shifted(c);
            if (shift) out.add(KeyEvent.press(LEFT_SHIFT));
            out.add(KeyEvent.press(code));
            out.add(KeyEvent.release(code));
            if (shift) out.add(KeyEvent.release(LEFT_SHIFT));
        }
        return out;
    }

    private static boolean shifted(char c) {
        return (SHIFTED_1 + SHIFTED_2 + SHIFTED_3 + SHIFTED_4 + "|").indexOf(c) >= 0;
    }

    private static int code(char c) {
        if (c == '\n') return ENTER;
        if (c == ' ') return 0x39;
        if (c == '\t') return 0x0F;
        if (c == '\\' || c == '|') return 0x2B;
        int i;
        if ((i = index(ROW_1, SHIFTED_1, c)) >= 0) return 0x02 + i;
        if ((i = index(ROW_2, SHIFTED_2, c)) >= 0) return 0x10 + i;
        if ((i = index(ROW_3, SHIFTED_3, c)) >= 0) return 0x1E + i; // the grave accent follows the quote: 0x29
        if ((i = index(ROW_4, SHIFTED_4, c)) >= 0) return 0x2C + i;
        throw new IllegalArgumentException("no key types " + (int) c);
    }

    private static int index(String plain, String shifted, char c) {
        int i = plain.indexOf(c);
        return i >= 0 ? i : shifted.indexOf(c);
    }
}
