package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The heartbeat integration service (class 57164f39-9115-4e78-ab55-382f3bd5422d; Linux's hv_utils drives it): after
 * version negotiation (heartbeat 3.0/1.0) the host sends a sequence number every second and the guest answers with the
 * number plus one. {@link #state()} tells whether, and when last, the guest was seen alive.
 */
public final class Heartbeat extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");
    static final int TYPE_HEARTBEAT = 1;

    /** What the host knows: channel open, the negotiated version, the last correct answer and when it came. */
    public record State(boolean open, int version, long lastSequence, Instant lastAnswer) {}

    private long sequence, lastAnswered;
    private Instant lastAnswer;

    public Heartbeat() {
        super(CLASS_ID, new int[] {3 << 16, 1 << 16});
    }

    public synchronized State state() {
        return new State(isOpen(), version(), lastAnswered, lastAnswer);
    }

    @Override
    void negotiated() {
        beat();
    }

    private void beat() {
        send(TYPE_HEARTBEAT, ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(0, ++sequence).array());
    }

    @Override
    void answered(IcMessage.Parsed m) {
        if (m.type() != TYPE_HEARTBEAT || m.status() != 0 || m.body().limit() < 8) return;
        lastAnswered = m.body().getLong(0);
        if (lastAnswered == sequence + 1) lastAnswer = Instant.now();
        later(1, TimeUnit.SECONDS, this::beat);
    }
}
