package org.viridian.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.input.Scancodes;
import org.viridian.machine.VirtualMachine;

/**
 * What `viridian run` does with the graphical console's devices from the command line: types text on the synthetic
 * keyboard and clicks the synthetic mouse once the guest's drivers are ready, and keeps a PNG of the guest's screen
 * current while it runs. Everything is validated before the VM starts (text only of keys the keyboard has, a click
 * inside the pointer's range).
 */
final class ConsoleInput {
    private ConsoleInput() {}

    /** {@code --type}: the key events, refused now when the text has a character no key types. */
    static List<KeyEvent> keys(String text) {
        return text == null ? List.of() : Scancodes.type(text.replace("\\n", "\n"));
    }

    /** {@code --click X,Y}: a left-button press at that point of the pointer's 0..32767 range. */
    static PointerEvent click(String xy) {
        if (xy == null) return null;
        String[] p = xy.split(",");
        if (p.length != 2) throw new IllegalArgumentException("--click wants X,Y (0..32767 each), not '" + xy + "'");
        return new PointerEvent(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()), 1, 0);
    }

    /** How often the input is given again: the handshake ends before Linux attaches atkbd or evdev to the device. */
    static final int REPEATS = 12, REPEAT_MS = 5000;

    /**
     * Types the keys and clicks as soon as each device's driver is ready, and again every 5 s a few times: a driver's
     * handshake ends before the guest's input layer listens, and a test guest reads the first copy that arrives.
     */
    static void start(VirtualMachine vm, List<KeyEvent> keys, PointerEvent click) {
        if (!keys.isEmpty() && vm.keyboard().isPresent()) {
            var kbd = vm.keyboard().get();
            repeat(vm, kbd::ready, () -> {
                boolean all = kbd.keys(keys);
                System.err.printf("viridian: keyboard: typed %d key events%s%n", keys.size(), all ? "" : " (lost)");
            });
        }
        if (click != null && vm.mouse().isPresent()) {
            var m = vm.mouse().get();
            repeat(vm, m::ready, () -> {
                boolean ok = m.pointer(click) && m.pointer(new PointerEvent(click.x(), click.y(), 0, 0));
                System.err.printf("viridian: mouse: clicked at %d,%d%s%n", click.x(), click.y(), ok ? "" : " (lost)");
            });
        }
    }

    private static void repeat(VirtualMachine vm, BooleanSupplier ready, Runnable action) {
        Thread.ofVirtual().start(() -> {
            try {
                if (!waitFor(vm, ready)) return;
                for (int i = 0; i < REPEATS && !vm.exit().isDone(); i++) {
                    action.run();
                    Thread.sleep(REPEAT_MS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** {@code --screenshot FILE}: rewrites the file with the screen every second while there is a picture. */
    static void screenshots(VirtualMachine vm, Path file) {
        if (file == null || vm.video().isEmpty()) return;
        var video = vm.video().get();
        Thread.ofVirtual().start(() -> {
            try {
                while (!vm.exit().isDone()) {
                    var screen = video.screen();
                    if (screen.isPresent()) {
                        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                        Files.write(tmp, screen.get().png());
                        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    }
                    Thread.sleep(1000);
                }
            } catch (IOException e) {
                System.err.println("viridian: --screenshot: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** What the devices saw, for the end-of-run report. */
    static void report(VirtualMachine vm) {
        vm.video()
                .map(v -> v.state())
                .filter(s -> s.version() != null)
                .ifPresent(s -> System.err.printf(
                        "viridian: video: synthvid %s, VRAM at %s, mode %s, %d messages refused%n",
                        s.version(),
                        s.vramGpa() < 0 ? "none" : "0x" + Long.toHexString(s.vramGpa()),
                        s.mode() == null
                                ? "none"
                                : s.mode().width() + "x" + s.mode().height() + "x"
                                        + s.mode().depthBits(),
                        s.refused()));
        vm.video().flatMap(v -> v.screen()).ifPresent(f -> {
            int bg = f.background();
            System.err.printf(
                    "viridian: video: screen %dx%d, background 0x%06x, %d pixels of other colours%n",
                    f.width(), f.height(), bg, f.pixelsOtherThan(bg, 0, 0, f.width(), f.height()));
        });
        vm.keyboard()
                .filter(k -> k.ready())
                .ifPresent(k -> System.err.printf(
                        "viridian: keyboard: ready, %d key events delivered, %d messages refused%n",
                        k.delivered(), k.refused()));
        vm.mouse()
                .filter(m -> m.ready())
                .ifPresent(m -> System.err.printf(
                        "viridian: mouse: ready, %d reports delivered, %d messages refused%n",
                        m.delivered(), m.refused()));
    }

    private static boolean waitFor(VirtualMachine vm, BooleanSupplier ready) throws InterruptedException {
        while (!ready.getAsBoolean()) {
            if (vm.exit().isDone()) return false;
            Thread.sleep(100);
        }
        return true;
    }
}
