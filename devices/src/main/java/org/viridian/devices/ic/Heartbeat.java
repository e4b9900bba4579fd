package org.viridian.devices.ic;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.viridian.devices.ic.protocol.HeartbeatBody;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.IcVersion;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The heartbeat integration service (class 57164f39-9115-4e78-ab55-382f3bd5422d; Linux's hv_utils drives it): after
 * version negotiation (heartbeat 3.0/1.0) the host sends a sequence number every second and the guest answers with the
 * number plus one. {@link #state()} tells whether, and when last, the guest was seen alive.
 */
public final class Heartbeat extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");

    /** What the host knows: channel open, the negotiated version, the last correct answer and when it came. */
    public record State(boolean open, int version, long lastSequence, Instant lastAnswer) {}

    private long sequence, lastAnswered;
    private Instant lastAnswer;

    public Heartbeat() {
        super(CLASS_ID, IcVersion.V3_0, IcVersion.V1_0);
    }

    public synchronized State state() {
        return new State(isOpen(), version(), lastAnswered, lastAnswer);
    }

    @Override
    void negotiated() {
        beat();
    }

    private void beat() {
        send(IcMessageType.HEARTBEAT, new HeartbeatBody(++sequence));
    }

    @Override
    void answered(IcMessage m) throws ProtocolException {
        if (m.header().type() != IcMessageType.HEARTBEAT || m.header().status() != 0) return;
        lastAnswered = HeartbeatBody.parse(m.bodyBuffer(), m.body().length).sequenceNumber();
        if (lastAnswered == sequence + 1) lastAnswer = Instant.now();
        later(1, TimeUnit.SECONDS, this::beat);
    }
}
