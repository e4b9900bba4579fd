package org.viridian.management.vnc;

import java.util.List;
import java.util.function.Function;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.Framebuffer;

/** What a VNC session shows and drives: a VM's screen (the service's copy of it), keyboard and mouse. */
public interface Display {
    /** Runs {@code f} on the screen now (null: no picture yet), under the screen's lock; {@code f} must not keep it. */
    <T> T read(Function<Framebuffer, T> f);

    void keys(List<KeyEvent> keys);

    void pointer(PointerEvent p);

    /** The desktop's name a client shows: the VM's. */
    String name();
}
