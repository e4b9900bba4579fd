package org.viridian.devices.ic;

import java.util.UUID;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * The heartbeat integration service's channel (class 57164f39-9115-4e78-ab55-382f3bd5422d, Linux's hv_utils binds to
 * it). The channel is offered and opened; the ICMSG exchange on it (version negotiation, heartbeat sequence numbers)
 * is not implemented yet, so {@link #open()} only reports whether the guest's driver has the channel open.
 */
public final class Heartbeat implements VmbusDevice {
    public static final UUID CLASS_ID = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");
    private final UUID instance = UUID.randomUUID();
    private volatile OpenChannel channel;

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    @Override
    public void opened(OpenChannel c) {
        channel = c;
    }

    @Override
    public void closed() {
        channel = null;
    }

    /** Whether the guest's heartbeat driver has the channel open. */
    public boolean open() {
        return channel != null;
    }
}
