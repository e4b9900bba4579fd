package org.viridian.devices.ic;

import static java.lang.System.Logger.Level.WARNING;

import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.viridian.devices.ic.protocol.IcBody;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.IcVersion;
import org.viridian.devices.ic.protocol.NegotiateBody;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.ring.Packet;

/**
 * What every integration service shares: once the guest opens the channel the host offers framework versions 3.0/1.0
 * and the service's own versions, the guest picks one of each, and then the service exchanges its requests and
 * answers as ICMSG in-band packets. Subclasses say what happens after negotiation and with each answer. Ring or
 * message damage abandons this channel only (the device base fails it).
 */
abstract class IcService extends ChannelDevice {
    private static final System.Logger LOG = System.getLogger(IcService.class.getName());

    static final int[] FRAMEWORK = {IcVersion.V3_0.code(), IcVersion.V1_0.code()};
    static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ic-services").factory());

    private final UUID classId, instance = UUID.randomUUID();
    private final int[] versions;
    private ScheduledFuture<?> pending;
    private int version;
    private byte transaction;
    private int dropped;

    /** {@code versions}: the service's own versions, newest first. */
    IcService(UUID classId, IcVersion... versions) {
        super(null, 1);
        this.classId = classId;
        this.versions =
                java.util.Arrays.stream(versions).mapToInt(IcVersion::code).toArray();
    }

    @Override
    public final UUID classId() {
        return classId;
    }

    @Override
    public final UUID instanceId() {
        return instance;
    }

    @Override
    protected final void onOpen() {
        version = 0;
        reset();
        // Give the guest's driver a moment to finish opening before its first message arrives.
        later(
                50,
                TimeUnit.MILLISECONDS,
                () -> send(IcMessageType.NEGOTIATE, IcVersion.V1_0.code(), new NegotiateBody(FRAMEWORK, versions)));
    }

    @Override
    protected final void onClosed() {
        if (pending != null) pending.cancel(false);
        reset();
    }

    /** The negotiated service version (major << 16 | minor), 0 before negotiation. */
    final synchronized int version() {
        return version;
    }

    /** The version the guest agreed to (major << 16 | minor), 0 while it has not (yet). */
    public final int negotiatedVersion() {
        return version();
    }

    /** Answers dropped as malformed on this service since it was created. */
    final synchronized int droppedAnswers() {
        return dropped;
    }

    /** Runs {@code action} under this service's lock after a delay (replacing any earlier pending action). */
    final synchronized void later(long delay, TimeUnit unit, Runnable action) {
        pending = TICKS.schedule(
                () -> {
                    synchronized (IcService.this) {
                        if (isOpen()) action.run();
                    }
                },
                delay,
                unit);
    }

    /** Sends a request of the negotiated version; false when the channel is not open or the ring is full. */
    final synchronized boolean send(IcMessageType type, IcBody body) {
        return send(type, version, body) >= 0;
    }

    /** The same, giving the request's transaction id (0-255, echoed in the guest's answer), or -1 when not sent. */
    final synchronized int sendTransaction(IcMessageType type, IcBody body) {
        return send(IcMessage.request(type, version, transaction & 0xFF, body));
    }

    /** A request that meets a full ring is dropped, not queued: each service decides what a lost request means. */
    private int send(IcMessageType type, int msgVersion, IcBody body) {
        return send(IcMessage.request(type, msgVersion, transaction & 0xFF, body));
    }

    private int send(IcMessage m) {
        int id = m.header().transaction();
        if (!trySend(Packet.DATA_INBAND, Packet.FLAG_COMPLETION_REQUESTED, id, m.toBytes())) return -1;
        transaction++;
        return id;
    }

    @Override
    protected final void onPacket(Packet p) {
        try {
            IcMessage m = IcMessage.parse(p.data());
            if (!m.header().isResponse()) return;
            if (m.header().type() == IcMessageType.NEGOTIATE) {
                int[] chosen = m.header().status() == 0
                        ? NegotiateBody.parse(m.bodyBuffer(), m.body().length).chosen()
                        : null;
                if (chosen == null) {
                    // Not damage, just no common version: stay quiet on this channel rather than rescind it.
                    LOG.log(WARNING, getClass().getSimpleName() + ": the guest supports none of the offered versions");
                    stopServing();
                    return;
                }
                version = chosen[1];
                negotiated();
            } else {
                answered(m);
            }
        } catch (ProtocolException | IllegalArgumentException e) {
            dropped++;
            LOG.log(WARNING, getClass().getSimpleName() + ": dropped a malformed answer: " + e.getMessage());
        }
    }

    /** The channel opened, closed or was abandoned: forget per-channel state. Called under the lock. */
    void reset() {}

    /** Versions agreed: the service may start its exchange. Called under the lock. */
    abstract void negotiated();

    /** The guest answered a request of this service. Called under the lock. */
    abstract void answered(IcMessage m) throws ProtocolException;
}
