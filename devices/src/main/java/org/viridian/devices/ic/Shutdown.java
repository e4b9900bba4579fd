package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * The shutdown integration service (class 0e0b6031-5213-4934-818b-38d90ced39db): the host asks the guest to shut
 * down (or restart) gracefully; the guest acknowledges and powers itself off. Request body: reason code, timeout in
 * seconds, flags (0 shut down, 2 restart), a 2048-byte display message.
 */
public final class Shutdown extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("0e0b6031-5213-4934-818b-38d90ced39db");
    static final int TYPE_SHUTDOWN = 3;
    private static final int FLAG_RESTART = 2, BODY = 12 + 2048;
    /** "Planned, other": what Hyper-V sends for a shutdown from the management interface. */
    private static final int REASON_PLANNED = 0x80000000;

    /** Where a request stands: the guest acknowledged it with this status (0 = accepted), or not yet. */
    public enum Ack { NONE, ACCEPTED, REFUSED }

    private boolean requested, restart;
    private Ack ack = Ack.NONE;

    public Shutdown() {
        super(CLASS_ID, new int[] {3 << 16, 1 << 16});
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
        ByteBuffer b = ByteBuffer.allocate(BODY).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, REASON_PLANNED).putInt(4, 30).putInt(8, restart ? FLAG_RESTART : 0);
        requested = !send(TYPE_SHUTDOWN, b.array());
    }

    @Override
    void answered(IcMessage.Parsed m) {
        if (m.type() == TYPE_SHUTDOWN) ack = m.status() == 0 ? Ack.ACCEPTED : Ack.REFUSED;
    }
}
