package org.viridian.management.testing;

import java.util.List;
import java.util.function.Consumer;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.Framebuffer;
import org.viridian.devices.video.ScreenTracker;

/**
 * The scripted guest's display, keyboard and mouse (a guest whose command line says "screen"): a real Framebuffer it
 * draws into, read through a real ScreenTracker as the KVM engine reads VRAM. It starts with a known picture (colour
 * bars over a pattern), and answers input as a guest's evdev would show it: each key event and pointer report is a
 * line on the serial console ("key 0x1e down", "pointer 16383,16383 buttons 1"), each key press draws a block at the
 * text cursor and each click a red square where it happened, so a viewer's picture must follow.
 */
public final class ScriptedScreen {
    public static final int WIDTH = 640, HEIGHT = 400, BAR_HEIGHT = 40, BLOCK = 8, CLICK_MARK = 6, RED = 0xFF0000;

    private final Framebuffer screen = new Framebuffer(WIDTH, HEIGHT, new int[WIDTH * HEIGHT]);
    private final ScreenTracker tracker = new ScreenTracker();
    private final Consumer<String> console;
    private int cursor;

    ScriptedScreen(Consumer<String> console) {
        this.console = console;
        for (int y = 0; y < HEIGHT; y++) for (int x = 0; x < WIDTH; x++) screen.pixels()[y * WIDTH + x] = initial(x, y);
    }

    /** The picture the guest starts with: 16 colour bars, then a pattern of every tile's own (a test knows it). */
    public static int initial(int x, int y) {
        if (y < BAR_HEIGHT) {
            int i = x * 16 / WIDTH;
            return (i & 1) * 0xC00000 + (i >> 1 & 1) * 0x00C000 + (i >> 2 & 1) * 0x0000C0 + (i >> 3) * 0x3F3F3F;
        }
        return 0x102040 + ((x * 7 ^ y * 3) & 0x3F);
    }

    synchronized ScreenTracker.Changes changes(long budget, boolean all) {
        if (all) tracker.forget();
        return tracker.changes(screen, budget);
    }

    synchronized Framebuffer snapshot() {
        return new Framebuffer(WIDTH, HEIGHT, screen.pixels().clone());
    }

    synchronized void keys(List<KeyEvent> keys) {
        for (KeyEvent k : keys) {
            console.accept("key 0x" + Integer.toHexString(k.scancode())
                    + (k.prefix() == KeyEvent.Prefix.E0 ? " e0" : "") + (k.released() ? " up" : " down") + "\r\n");
            if (k.released()) continue;
            int cols = WIDTH / BLOCK, x = cursor % cols * BLOCK, y = BAR_HEIGHT + cursor / cols * BLOCK;
            if (y + BLOCK <= HEIGHT) fill(x, y, BLOCK, 0x808080 + k.scancode());
            cursor++;
        }
    }

    synchronized void pointer(PointerEvent p) {
        console.accept("pointer " + p.x() + "," + p.y() + " buttons " + p.buttons() + " wheel " + p.wheel() + "\r\n");
        if (p.buttons() == 0) return;
        int x = (int) ((long) p.x() * (WIDTH - 1) / PointerEvent.MAX),
                y = (int) ((long) p.y() * (HEIGHT - 1) / PointerEvent.MAX);
        fill(Math.min(x, WIDTH - CLICK_MARK), Math.min(y, HEIGHT - CLICK_MARK), CLICK_MARK, RED);
    }

    private void fill(int x0, int y0, int size, int color) {
        for (int y = y0; y < y0 + size; y++)
            java.util.Arrays.fill(screen.pixels(), y * WIDTH + x0, y * WIDTH + x0 + size, color);
    }
}
