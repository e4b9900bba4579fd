package org.viridian.devices.input;

import java.util.UUID;
import org.viridian.devices.input.protocol.KbdMessage;
import org.viridian.devices.input.protocol.KbdProtocolRequest;
import org.viridian.devices.input.protocol.KbdProtocolResponse;
import org.viridian.vmbus.ring.Packet;

/**
 * The synthetic keyboard (class f912ad6d-2b17-48ea-bd65-f927a61c7684; Linux's hyperv_keyboard drives it): the guest
 * asks for protocol 1.0, the host accepts, then sends keystrokes (scancode set 1 with the E0/E1/break flags), which
 * hyperv_keyboard hands to atkbd as if from an i8042.
 */
public final class SyntheticKeyboard extends InputDevice {
    public static final UUID CLASS_ID = UUID.fromString("f912ad6d-2b17-48ea-bd65-f927a61c7684");

    public SyntheticKeyboard(UUID instance) {
        super("synthkbd", instance);
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    protected void onPacket(Packet p) {
        KbdMessage m = parsed(p, KbdMessage::parse);
        if (m == null) return;
        if (m instanceof KbdProtocolRequest r) {
            boolean accepted = r.version() >>> 16 == KbdProtocolRequest.VERSION_1_0 >>> 16;
            sendInBand(KbdProtocolResponse.of(accepted).toBytes());
            ready(accepted);
        } else {
            refuse(m + " comes from the host, not the guest");
        }
    }

    /** Sends one key event; false when the guest's driver is not ready. */
    public boolean key(KeyEvent e) {
        return deliver(e.toKeystroke().toBytes());
    }

    /** Presses and releases each key in turn (e.g. {@link Scancodes#type}); false when any was not delivered. */
    public boolean keys(Iterable<KeyEvent> events) {
        boolean all = true;
        for (KeyEvent e : events) all &= key(e);
        return all;
    }
}
