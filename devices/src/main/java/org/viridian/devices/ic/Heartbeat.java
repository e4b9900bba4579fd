package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.ring.RingCorruptException;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * The heartbeat integration service (class 57164f39-9115-4e78-ab55-382f3bd5422d; Linux's hv_utils drives it). Once the
 * guest opens the channel the host negotiates versions (framework 3.0/1.0, heartbeat 3.0/1.0), then sends a sequence
 * number every second; the guest answers each with the number plus one. {@link #state()} tells whether the guest is
 * alive: the last answer and when it came.
 */
public final class Heartbeat implements VmbusDevice {
    public static final UUID CLASS_ID = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");
    static final int[] FRAMEWORK = {3 << 16, 1 << 16}, VERSIONS = {3 << 16, 1 << 16};
    private static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ic-heartbeat").factory());

    /** What the host knows of the guest: the negotiated heartbeat version, the last sequence number and its time. */
    public record State(boolean open, int version, long lastSequence, Instant lastAnswer) {}

    private final UUID instance = UUID.randomUUID();
    private OpenChannel channel;
    private ScheduledFuture<?> next;
    private int version;
    private long sequence, lastAnswered;
    private Instant lastAnswer;
    private byte transaction;

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
        version = 0;
        // Give the guest's driver a moment to finish opening before its first message arrives.
        next = TICKS.schedule(this::negotiate, 50, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void closed() {
        if (next != null) next.cancel(false);
        channel = null;
    }

    public synchronized State state() {
        return new State(channel != null, version, lastAnswered, lastAnswer);
    }

    public synchronized Optional<Instant> lastSeenAlive() {
        return Optional.ofNullable(lastAnswer);
    }

    private synchronized void negotiate() {
        send(IcMessage.request(IcMessage.TYPE_NEGOTIATE, 1 << 16, transaction++, IcMessage.negotiate(FRAMEWORK, VERSIONS)));
    }

    private synchronized void beat() {
        ByteBuffer body = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(0, ++sequence);
        send(IcMessage.request(IcMessage.TYPE_HEARTBEAT, version, transaction++, body.array()));
    }

    private void send(byte[] message) {
        if (channel == null) return;
        try {
            RingBuffer.WriteResult r = channel.toGuest().write(Packet.DATA_INBAND, Packet.FLAG_COMPLETION_REQUESTED, transaction, new byte[0], message);
            if (r == RingBuffer.WriteResult.WRITTEN_SIGNAL) channel.signalGuest().run();
        } catch (RingCorruptException e) {
            System.err.println("heartbeat: the guest broke the ring, channel abandoned: " + e.getMessage());
            channel = null;
        }
    }

    @Override
    public synchronized void guestSignalled() {
        if (channel == null) return;
        try {
            for (Optional<Packet> p = channel.fromGuest().read(); p.isPresent(); p = channel.fromGuest().read()) answer(p.get());
        } catch (RingCorruptException e) {
            System.err.println("heartbeat: the guest broke the ring, channel abandoned: " + e.getMessage());
            channel = null;
        }
    }

    private void answer(Packet p) {
        try {
            IcMessage.Parsed m = IcMessage.parse(p.data());
            if ((m.flags() & IcMessage.FLAG_RESPONSE) == 0 || m.status() != 0) return;
            if (m.type() == IcMessage.TYPE_NEGOTIATE) {
                int[] chosen = IcMessage.negotiated(m.body());
                if (chosen == null) return;
                version = chosen[1];
                next = TICKS.schedule(this::beat, 0, TimeUnit.MILLISECONDS);
            } else if (m.type() == IcMessage.TYPE_HEARTBEAT && m.body().limit() >= 8) {
                lastAnswered = m.body().getLong(0);
                if (lastAnswered == sequence + 1) lastAnswer = Instant.now();
                next = TICKS.schedule(this::beat, 1, TimeUnit.SECONDS);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("heartbeat: dropped a malformed answer: " + e.getMessage());
        }
    }
}
