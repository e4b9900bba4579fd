package org.viridian.management.service;

import java.util.function.Function;
import org.viridian.devices.video.Framebuffer;
import org.viridian.devices.video.ScreenTracker;

/**
 * The service's copy of a running VM's screen, kept current from the engine's screen changes (through the worker:
 * only changed tiles, deflated, cross its socket). Every viewer (the web manager's canvas, VNC clients, thumbnails)
 * reads this one copy, and the engine is asked at most every {@value #MIN_INTERVAL_MS} ms however many look.
 */
public final class ScreenCopy {
    static final long MIN_INTERVAL_MS = 40;
    /** Rounds of a budget-limited answer read at once: a whole 8K screen at the worker's frame size, no more. */
    private static final int MAX_ROUNDS = 64;

    private final RunningVm vm;
    private Framebuffer copy;
    private boolean fresh = true;
    private long readAt = Long.MIN_VALUE;

    ScreenCopy(RunningVm vm) {
        this.vm = vm;
    }

    /**
     * Runs {@code f} on the screen as it is now (null: no picture yet) under this copy's lock: what {@code f} reads is
     * one consistent picture. {@code f} must not keep the framebuffer: it changes after.
     */
    public synchronized <T> T read(Function<Framebuffer, T> f) {
        long now = System.nanoTime() / 1_000_000;
        if (fresh || now - readAt >= MIN_INTERVAL_MS) {
            refresh();
            readAt = now;
        }
        return f.apply(copy);
    }

    private void refresh() {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ScreenTracker.Changes c = vm.screenChanges(Long.MAX_VALUE, fresh);
            fresh = false;
            if (c == null) {
                copy = null;
                return;
            }
            if (c.resized() || copy == null || copy.width() != c.width() || copy.height() != c.height())
                copy = new Framebuffer(c.width(), c.height(), new int[c.width() * c.height()]);
            for (ScreenTracker.Region r : c.regions()) copy.paste(r.x(), r.y(), r.pixels());
            if (c.complete()) return;
        }
    }
}
