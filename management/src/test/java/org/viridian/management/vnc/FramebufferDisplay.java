package org.viridian.management.vnc;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.Framebuffer;

/** A display over a real Framebuffer that keeps the input it was given (what the guest's devices would get). */
final class FramebufferDisplay implements Display {
    volatile Framebuffer screen;
    final List<KeyEvent> keys = new CopyOnWriteArrayList<>();
    final List<PointerEvent> pointers = new CopyOnWriteArrayList<>();

    FramebufferDisplay(Framebuffer screen) {
        this.screen = screen;
    }

    @Override
    public synchronized <T> T read(Function<Framebuffer, T> f) {
        return f.apply(screen);
    }

    synchronized void set(int x, int y, int rgb) {
        screen.pixels()[y * screen.width() + x] = rgb;
    }

    synchronized void replace(Framebuffer f) {
        screen = f;
    }

    @Override
    public void keys(List<KeyEvent> k) {
        keys.addAll(k);
    }

    @Override
    public void pointer(PointerEvent p) {
        pointers.add(p);
    }

    @Override
    public String name() {
        return "test-vm";
    }
}
