package org.viridian.devices.input;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyNamesTest {
    @Test
    void browserCodesAndKeysymsNameTheSameKeys() {
        assertThat(KeyNames.browserCode("KeyA", false)).contains(KeyEvent.press(0x1E));
        assertThat(KeyNames.keysym('a', false)).contains(KeyEvent.press(0x1E));
        assertThat(KeyNames.keysym('A', true)).contains(KeyEvent.release(0x1E));
        assertThat(KeyNames.keysym('!', false)).contains(KeyEvent.press(0x02));
        assertThat(KeyNames.browserCode("Enter", false)).contains(KeyEvent.press(Scancodes.ENTER));
        assertThat(KeyNames.keysym(0xff0d, false)).contains(KeyEvent.press(Scancodes.ENTER));
    }

    @Test
    void extendedKeysCarryTheE0Prefix() {
        KeyEvent up = KeyNames.browserCode("ArrowUp", false).orElseThrow();
        assertThat(up.prefix()).isEqualTo(KeyEvent.Prefix.E0);
        assertThat(up.scancode()).isEqualTo(0x48);
        assertThat(KeyNames.keysym(0xff52, false)).contains(up);
        assertThat(KeyNames.browserCode("NumpadEnter", true).orElseThrow())
                .isEqualTo(new KeyEvent(0x1C, KeyEvent.Prefix.E0, true));
    }

    @Test
    void namesOfNoKeyAreRefused() {
        assertThat(KeyNames.browserCode("Launch2", false)).isEmpty();
        assertThat(KeyNames.browserCode(null, false)).isEmpty();
        assertThat(KeyNames.browserCode("", false)).isEmpty();
        assertThat(KeyNames.keysym(0x20ac, false)).isEmpty(); // the euro sign: no key on a US keyboard
        assertThat(KeyNames.keysym(-1, false)).isEmpty();
    }

    @Test
    void ctrlAltDelPressesThreeKeysAndReleasesThemInReverse() {
        var keys = KeyNames.ctrlAltDel();
        assertThat(keys).hasSize(6);
        assertThat(keys.get(2)).isEqualTo(new KeyEvent(0x53, KeyEvent.Prefix.E0, false));
        assertThat(keys.get(5)).isEqualTo(KeyEvent.release(0x1D));
    }
}
