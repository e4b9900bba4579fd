package org.viridian.vmbus.diag;

import java.util.UUID;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.ring.Packet;

/**
 * A diagnostic channel that sends every in-band packet back as it came (same payload, same transaction id): the
 * partner of the vmbus and bench-vmbus test guests (viridian run --vmbus-echo, viridian bench vmbus). When the guest's
 * ring is full the echo waits, and reading stops, until the guest makes room (the device base asks for a signal with
 * pending-send size). Damage to the rings fails the channel. Counts packets and their first and last times for the
 * benchmark.
 */
public final class EchoDevice extends ChannelDevice {
    public static final UUID CLASS_ID = UUID.fromString("b6d9d2a4-56c3-4d8e-9c9f-7669726964e1");
    /**
     * Echoes held back while the guest's ring is full; beyond this the guest is not reading and we stop reading too.
     */
    private static final int BACKLOG = 64;

    private final UUID instance = UUID.randomUUID();
    private long packets, bytes, firstNanos, lastNanos;

    /** Packets echoed so far, their payload bytes, and the time between the first and the last. */
    public record Stats(long packets, long bytes, long nanos) {}

    public EchoDevice() {
        super("echo", BACKLOG);
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    public synchronized Stats stats() {
        return new Stats(packets, bytes, lastNanos - firstNanos);
    }

    @Override
    protected void onPacket(Packet p) {
        byte[] payload = p.data();
        send(Packet.DATA_INBAND, 0, p.transactionId(), payload);
        long now = System.nanoTime();
        if (packets++ == 0) firstNanos = now;
        lastNanos = now;
        bytes += payload.length;
    }
}
