package org.viridian.vmbus.diag;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.UUID;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.ring.RingCorruptException;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * A diagnostic channel that sends every in-band packet back as it came (same payload, same transaction id): the
 * partner of the vmbus and bench-vmbus test guests (viridian run --vmbus-echo, viridian bench vmbus). When the guest's
 * ring is full the echo waits, and reading stops, until the guest makes room (it signals us when it reads while we
 * ask with pending-send size). Damage to the rings fails the channel. Counts packets and their first and last times
 * for the benchmark.
 */
public final class EchoDevice implements VmbusDevice {
    public static final UUID CLASS_ID = UUID.fromString("b6d9d2a4-56c3-4d8e-9c9f-7669726964e1");
    /** Echoes held back while the guest's ring is full; beyond this the guest is not reading and we stop reading too. */
    private static final int BACKLOG = 64;

    private final UUID instance = UUID.randomUUID();
    private final ArrayDeque<Packet> backlog = new ArrayDeque<>();
    private OpenChannel channel;
    private boolean askedForSpace;
    private long packets, bytes, firstNanos, lastNanos;

    /** Packets echoed so far, their payload bytes, and the time between the first and the last. */
    public record Stats(long packets, long bytes, long nanos) {}

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    @Override
    public synchronized void opened(OpenChannel c) {
        channel = c;
        backlog.clear();
        askedForSpace = false;
    }

    @Override
    public synchronized void closed() {
        channel = null;
    }

    public synchronized Stats stats() {
        return new Stats(packets, bytes, lastNanos - firstNanos);
    }

    @Override
    public synchronized void guestSignalled() {
        if (channel == null) return;
        try {
            boolean signal = drainBacklog();
            RingBuffer in = channel.fromGuest();
            while (backlog.size() < BACKLOG) {
                Optional<Packet> p = in.read();
                if (p.isEmpty()) break;
                backlog.add(p.get());
                signal |= drainBacklog();
            }
            if (signal) channel.signalGuest().run();
        } catch (RingCorruptException e) {
            OpenChannel c = channel;
            channel = null;
            c.fail("echo: " + e.getMessage());
        }
    }

    /** Writes held-back echoes while they fit; true when the guest must be interrupted. */
    private boolean drainBacklog() {
        boolean signal = false;
        while (!backlog.isEmpty()) {
            Packet p = backlog.peek();
            byte[] payload = p.data();
            RingBuffer.WriteResult r = channel.toGuest().write(Packet.DATA_INBAND, 0, p.transactionId(), new byte[0], payload);
            if (r == RingBuffer.WriteResult.FULL) {
                channel.toGuest().requestSpace(payload.length + 64);
                askedForSpace = true;
                break;
            }
            backlog.poll();
            if (askedForSpace) {
                channel.toGuest().requestSpace(0);
                askedForSpace = false;
            }
            signal |= r == RingBuffer.WriteResult.WRITTEN_SIGNAL;
            long now = System.nanoTime();
            if (packets++ == 0) firstNanos = now;
            lastNanos = now;
            bytes += payload.length;
        }
        return signal;
    }
}
