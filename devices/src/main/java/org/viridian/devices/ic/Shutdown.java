package org.viridian.devices.ic;

import java.util.UUID;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.IcVersion;
import org.viridian.devices.ic.protocol.ShutdownBody;

/**
 * The shutdown integration service (class 0e0b6031-5213-4934-818b-38d90ced39db): the host asks the guest to shut
 * down (or restart) gracefully; the guest acknowledges and powers itself off. Request body: reason code, timeout in
 * seconds, flags (0 shut down, 2 restart), a 2048-byte display message.
 */
public final class Shutdown extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("0e0b6031-5213-4934-818b-38d90ced39db");
    /** Seconds the guest is given (shown to its users). */
    private static final int TIMEOUT_S = 30;

    /** Where a request stands: the guest acknowledged it with this status (0 = accepted), or not yet. */
    public enum Ack {
        NONE,
        ACCEPTED,
        REFUSED
    }

    private boolean requested, restart;
    private Ack ack = Ack.NONE;

    public Shutdown() {
        super(CLASS_ID, IcVersion.V3_0, IcVersion.V1_0);
    }

    /**
     * Asks the guest to shut down (or restart) gracefully. If the guest's driver has not negotiated yet the request
     * goes as soon as it has. False when the guest has no shutdown service open at all.
     */
    public synchronized boolean request(boolean restartInstead) {
        if (!isOpen()) return false;
        requested = true;
        restart = restartInstead;
        if (version() != 0) sendRequest();
        return true;
    }

    public synchronized Ack acknowledged() {
        return ack;
    }

    @Override
    void negotiated() {
        if (requested) sendRequest();
    }

    private void sendRequest() {
        requested = !send(
                IcMessageType.SHUTDOWN,
                new ShutdownBody(ShutdownBody.REASON_PLANNED, TIMEOUT_S, restart ? ShutdownBody.FLAG_RESTART : 0));
    }

    @Override
    void answered(IcMessage m) {
        if (m.header().type() == IcMessageType.SHUTDOWN) ack = m.header().status() == 0 ? Ack.ACCEPTED : Ack.REFUSED;
    }
}
