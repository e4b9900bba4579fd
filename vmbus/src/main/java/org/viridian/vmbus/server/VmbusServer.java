package org.viridian.vmbus.server;

import static java.lang.System.Logger.Level.WARNING;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.AllOffersDelivered;
import org.viridian.vmbus.protocol.CloseChannel;
import org.viridian.vmbus.protocol.GpadlBody;
import org.viridian.vmbus.protocol.GpadlCreated;
import org.viridian.vmbus.protocol.GpadlHeader;
import org.viridian.vmbus.protocol.GpadlTeardown;
import org.viridian.vmbus.protocol.GpadlTorndown;
import org.viridian.vmbus.protocol.InitiateContact;
import org.viridian.vmbus.protocol.OfferChannel;
import org.viridian.vmbus.protocol.OpenChannelRequest;
import org.viridian.vmbus.protocol.OpenChannelResult;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.RelidReleased;
import org.viridian.vmbus.protocol.RequestOffers;
import org.viridian.vmbus.protocol.RescindChannelOffer;
import org.viridian.vmbus.protocol.Unload;
import org.viridian.vmbus.protocol.UnloadResponse;
import org.viridian.vmbus.protocol.VersionResponse;
import org.viridian.vmbus.protocol.Vmbus;
import org.viridian.vmbus.protocol.VmbusMessage;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.ring.RingCorruptException;

/**
 * The host side of VMBus channel management: version negotiation (INITIATE_CONTACT → VERSION_RESPONSE, accepting
 * every {@link org.viridian.vmbus.protocol.VmbusVersion}), the offer round (REQUEST_OFFERS → one OFFER_CHANNEL per
 * device →
 * ALL_OFFERS_DELIVERED), GPADLs (header and body messages → GPADL_CREATED; teardown), opening and closing channels
 * (rings carved from a GPADL, handed to the device), and UNLOAD. Messages arrive by HvPostMessage on connection 1 or 4,
 * are parsed into {@link VmbusMessage} records, and are answered on the SINT and VP the guest chose. A malformed
 * message is dropped with a log line for that VM only; nothing a guest sends reaches the host
 * beyond this class.
 */
public final class VmbusServer {
    private static final System.Logger LOG = System.getLogger(VmbusServer.class.getName());

    /** Guest-to-host signals for channel n arrive on connection CONNECTION_BASE + n. */
    static final int CONNECTION_BASE = 0x10000;

    static final int STATUS_UNSUCCESSFUL = Vmbus.STATUS_UNSUCCESSFUL;
    /**
     * GPADLs a channel may hold: Linux uses one or two (rings, receive buffers); a cap keeps a hostile guest bounded.
     */
    static final int MAX_GPADLS_PER_CHANNEL = 16;

    private final SynicHost hv;
    private final GuestMemory memory;
    private volatile int version, vp, sint = Vmbus.DEFAULT_SINT;
    private volatile boolean connected;
    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private final GpadlAssembler gpadls = new GpadlAssembler();
    /** Signals on every channel, each way (LongAdders: VP threads and device threads signal at once). */
    private final LongAdder guestSignals = new LongAdder(), hostSignals = new LongAdder();

    /**
     * Channel signals so far: the guest's HvSignalEvent on a channel's connection, and the host's to the guest (event
     * flag and SINT interrupt; one the SynIC coalesces with a pending one counts too).
     */
    public record Signals(long fromGuest, long toGuest) {}

    /** A device's channel and what the guest has set up on it. */
    private static final class Channel {
        final OfferChannel offer;
        final VmbusDevice device;
        /** Concurrent: devices look GPADLs up from their own threads, without the server's lock (lock order). */
        final Map<Integer, GpaPages> gpadls = new ConcurrentHashMap<>();

        boolean open, rescinded;
        /** The current opening, so a failure reported for an earlier one cannot close a later one. */
        OpenChannel current;
        /** How the guest opened it: the GPADL, the VP to interrupt and the page where the host's ring starts. */
        VmbusState.Open how;
        /** For a sub-channel, its primary's relid (0 for a primary); for a primary, how many sub-channels it has. */
        int primary, subChannels;
        /** Completes when the guest released the rescinded relid (RELID_RELEASED), or has no VMBus connection left. */
        final CompletableFuture<Void> released = new CompletableFuture<>();

        Channel(OfferChannel offer, VmbusDevice device) {
            this.offer = offer;
            this.device = device;
        }
    }

    private VmbusServer(SynicHost hv, GuestMemory memory) {
        this.hv = hv;
        this.memory = memory;
    }

    public Signals signals() {
        return new Signals(guestSignals.sum(), hostSignals.sum());
    }

    /** What a channel's connection does with the guest's signal. */
    private java.util.function.IntConsumer signalled(VmbusDevice device) {
        return vpIndex -> {
            guestSignals.increment();
            device.guestSignalled();
        };
    }

    public static VmbusServer attach(SynicHost hv, GuestMemory memory) {
        VmbusServer s = new VmbusServer(hv, memory);
        hv.messageCalls().onMessage(Vmbus.CONNECTION_ID, s::onMessage);
        hv.messageCalls().onMessage(Vmbus.CONNECTION_ID_4, s::onMessage);
        return s;
    }

    /**
     * Offers a device to the guest; returns its channel's relid. Before the guest connects the offer goes out in its
     * offer round (REQUEST_OFFERS); to a connected guest it goes out now (hot add: Linux's hv_vmbus probes a driver for
     * an offer that comes after ALL_OFFERS_DELIVERED as for any other).
     */
    public synchronized int addDevice(VmbusDevice device) {
        int relid = freeRelid();
        OfferChannel offer = new OfferChannel(
                device.classId(), device.instanceId(), 0, relid, CONNECTION_BASE + relid, device.mmioMegabytes());
        channels.put(relid, new Channel(offer, device));
        hv.messageCalls().onChannelEvent(offer.connectionId(), signalled(device));
        if (connected) send(offer);
        return relid;
    }

    /**
     * Takes a device's channel (and its sub-channels) away from a running guest (hot remove): the device is told it is
     * closed, so it touches the rings no more, and the guest gets RESCIND_CHANNEL_OFFER. Its driver then lets go (it
     * may still send CLOSE_CHANNEL and GPADL_TEARDOWN, which are answered) and releases the relid (RELID_RELEASED),
     * which completes the returned future and frees the relid for a later offer. A guest that is not connected has
     * nothing to let go of: the channel is forgotten at once. The future completes under this server's lock, on the
     * VP thread of the guest's message: what depends on it must not wait there for a lock held around calls into
     * this server (use the async forms).
     */
    public synchronized CompletableFuture<Void> removeDevice(int relid) {
        Channel ch = channels.get(relid);
        if (ch == null) return CompletableFuture.completedFuture(null); // already released
        if (ch.primary != 0) throw new IllegalArgumentException("channel " + relid + " is a sub-channel");
        if (!ch.rescinded) {
            ch.rescinded = true;
            if (ch.open) {
                ch.open = false;
                ch.device.closed();
            }
            if (connected) send(new RescindChannelOffer(relid));
            dropSubChannels(relid);
        }
        if (!connected) forgetRescinded();
        return ch.released;
    }

    /** The lowest relid no channel holds: a released one is offered again, as Hyper-V does (Linux keeps them low). */
    private int freeRelid() {
        int relid = 1;
        while (channels.containsKey(relid)) relid++;
        return relid;
    }

    /** A rescinded channel the guest let go of (or a guest that went away): its relid is free again. */
    private void forget(Channel ch) {
        int relid = ch.offer.childRelid();
        channels.remove(relid);
        ch.gpadls.clear();
        hv.messageCalls().removeEvent(ch.offer.connectionId());
        ch.released.complete(null);
    }

    /** The guest has no channels left (it unloaded VMBus, or was never connected): rescinded ones are gone for good. */
    private void forgetRescinded() {
        for (Channel c : List.copyOf(channels.values())) if (c.rescinded) forget(c);
    }

    /**
     * The VM is going away: every open channel's device is told it is closed (no device may touch guest memory after).
     */
    public synchronized void shutdown() {
        connected = false;
        for (Channel c : channels.values()) {
            if (c.open) {
                c.open = false;
                c.device.closed();
            }
        }
        forgetRescinded();
    }

    /** The negotiated version (major << 16 | minor), or 0 before the guest connects. */
    public int version() {
        return connected ? version : 0;
    }

    synchronized void onMessage(MessageCalls.GuestMessage m) {
        VmbusMessage.FromGuest message;
        try {
            message = VmbusMessage.parseFromGuest(ByteBuffer.wrap(m.payload()), m.payload().length);
        } catch (ProtocolException e) {
            reject(m, e.getMessage());
            return;
        }
        switch (message) {
            case InitiateContact c -> initiateContact(m, c);
            case RequestOffers r -> {
                if (!connected) {
                    reject(m, "REQUEST_OFFERS before INITIATE_CONTACT");
                    return;
                }
                channels.values().stream()
                        .filter(c -> !c.rescinded)
                        .sorted(java.util.Comparator.comparingInt(c -> c.offer.childRelid()))
                        .forEach(c -> send(c.offer));
                send(new AllOffersDelivered());
            }
            case GpadlHeader h -> gpadlStep(m, gpadls.header(h));
            case GpadlBody body -> gpadlStep(m, gpadls.body(body));
            case GpadlTeardown t -> teardown(m, t);
            case OpenChannelRequest o -> open(m, o);
            case CloseChannel c -> close(m, c);
            case RelidReleased r -> {
                Channel ch = channels.get(r.childRelid());
                if (ch == null || !ch.rescinded) reject(m, "RELID_RELEASED of channel " + r.childRelid());
                else forget(ch);
            }
            case Unload u -> {
                connected = false;
                forgetRescinded();
                send(new UnloadResponse());
            }
        }
    }

    private void gpadlStep(MessageCalls.GuestMessage m, GpadlAssembler.Step step) {
        switch (step) {
            case GpadlAssembler.Waiting w -> {}
            case GpadlAssembler.Refused r -> {
                reject(m, r.why());
                if (r.gpadl() != -1) gpadlCreated(r.relid(), r.gpadl(), STATUS_UNSUCCESSFUL);
            }
            case GpadlAssembler.Complete c -> {
                Channel ch = channels.get(c.relid());
                if (ch == null) {
                    reject(m, "GPADL for unknown channel " + c.relid());
                    gpadlCreated(c.relid(), c.gpadl(), STATUS_UNSUCCESSFUL);
                    return;
                }
                if (ch.gpadls.size() >= MAX_GPADLS_PER_CHANNEL || ch.gpadls.containsKey(c.gpadl())) {
                    reject(
                            m,
                            "channel " + c.relid() + " already has GPADL " + c.gpadl() + " or " + MAX_GPADLS_PER_CHANNEL
                                    + " GPADLs");
                    gpadlCreated(c.relid(), c.gpadl(), STATUS_UNSUCCESSFUL);
                    return;
                }
                try {
                    ch.gpadls.put(c.gpadl(), new GpaPages(memory, c.pfns()));
                    gpadlCreated(c.relid(), c.gpadl(), 0);
                } catch (RingCorruptException e) {
                    reject(m, e.getMessage());
                    gpadlCreated(c.relid(), c.gpadl(), STATUS_UNSUCCESSFUL);
                }
            }
        }
    }

    private void gpadlCreated(int relid, int gpadl, int status) {
        send(new GpadlCreated(relid, gpadl, status));
    }

    private void teardown(MessageCalls.GuestMessage m, GpadlTeardown t) {
        Channel ch = channels.get(t.childRelid());
        if (ch == null || ch.gpadls.remove(t.gpadl()) == null) {
            reject(m, "GPADL_TEARDOWN of unknown GPADL " + t.gpadl());
            return;
        }
        send(new GpadlTorndown(t.gpadl()));
    }

    /** Opens a channel on the rings the guest named, validated first; answered with OPEN_CHANNEL_RESULT either way. */
    private void open(MessageCalls.GuestMessage m, OpenChannelRequest o) {
        int relid = o.childRelid(), gpadl = o.ringGpadl(), target = o.targetVp(), split = o.downstreamPageOffset();
        Channel ch = channels.get(relid);
        String problem = ch == null
                ? "OPEN_CHANNEL for unknown channel " + relid
                : ch.rescinded
                        ? "channel " + relid + " was rescinded"
                        : ch.open
                                ? "channel " + relid + " is already open"
                                : !ch.gpadls.containsKey(gpadl)
                                        ? "OPEN_CHANNEL names unknown GPADL " + gpadl
                                        : target < 0 || target >= hv.vpCount()
                                                ? "OPEN_CHANNEL targets VP " + target
                                                : split < 2
                                                                || split
                                                                        > ch.gpadls
                                                                                                .get(gpadl)
                                                                                                .size()
                                                                                        / 4096
                                                                                - 2
                                                        ? "OPEN_CHANNEL ring split at page " + split
                                                        : null;
        int status = STATUS_UNSUCCESSFUL;
        if (problem != null) {
            reject(m, problem);
        } else {
            try {
                ch.device.opened(connect(ch, new VmbusState.Open(gpadl, target, split, new byte[0])));
                ch.open = true;
                status = 0;
            } catch (RingCorruptException e) {
                reject(m, e.getMessage());
            }
        }
        send(new OpenChannelResult(relid, o.openId(), status));
    }

    /**
     * Carves the two rings out of the named GPADL and makes the channel's current opening (not yet told to the device).
     */
    private OpenChannel connect(Channel ch, VmbusState.Open how) {
        GpaPages pages = ch.gpadls.get(how.gpadl());
        int relid = ch.offer.childRelid(), total = (int) (pages.size() / 4096), target = how.targetVp();
        OpenChannel[] self = new OpenChannel[1];
        OpenChannel open = new OpenChannel(
                relid,
                new RingBuffer(pages.range(0, how.split())),
                new RingBuffer(pages.range(how.split(), total - how.split())),
                () -> {
                    hostSignals.increment();
                    hv.signalEvent(target, sint, relid);
                },
                why -> failed(self[0], why),
                device -> offerSubChannel(relid, device),
                ch.gpadls::get);
        self[0] = open;
        ch.current = open;
        ch.how = how;
        return open;
    }

    /**
     * The connection and every channel as the guest set them up (GPADL page lists, how open channels were opened, each
     * device's own state), sub-channels included, for save/restore. Take it with the VM's processors stopped. Primaries
     * save first: a device with sub-channels drains them all in its own save (StorVSP), so theirs find them quiet.
     */
    public synchronized VmbusState save() {
        List<VmbusState.Channel> list = new ArrayList<>();
        for (Channel ch : channels.values().stream()
                .sorted(java.util.Comparator.<Channel>comparingInt(c -> c.primary == 0 ? 0 : 1)
                        .thenComparingInt(c -> c.offer.childRelid()))
                .toList()) {
            Map<Integer, long[]> pfns = new TreeMap<>();
            ch.gpadls.forEach((id, pages) -> pfns.put(id, pages.pfns()));
            VmbusState.Open open = ch.open
                    ? new VmbusState.Open(ch.how.gpadl(), ch.how.targetVp(), ch.how.split(), ch.device.save())
                    : null;
            list.add(new VmbusState.Channel(
                    ch.offer.childRelid(),
                    ch.offer.interfaceType(),
                    ch.rescinded,
                    pfns,
                    open,
                    ch.primary,
                    ch.offer.subChannelIndex()));
        }
        return new VmbusState(version, vp, sint, connected, list);
    }

    /**
     * Puts a saved state into this server, whose devices must be offered in the same order as the saved one's (same
     * relids and classes); GPADL pages are validated against this partition's memory again, and each open channel's
     * device gets its rings back with its saved state. Sub-channels are recreated after their primaries, each served
     * by the device its restored primary names ({@link VmbusDevice#restoredSubChannel}), under the saved relid and
     * index, so the guest's driver goes on with the offers it holds. Then every open channel is pumped once: packets
     * the guest wrote and signalled before the save are read now, as it will not signal again. Throws
     * IllegalArgumentException when the state does not fit.
     */
    public synchronized void restore(VmbusState state) {
        Map<Integer, VmbusState.Channel> saved = new TreeMap<>();
        for (VmbusState.Channel c : state.channels()) saved.put(c.relid(), c);
        for (VmbusState.Channel c : state.channels()) {
            Channel ch = channels.get(c.relid());
            if (c.subChannel()) {
                VmbusState.Channel p = saved.get(c.primary());
                if (ch != null || p == null || p.subChannel() || !p.classId().equals(c.classId()))
                    throw new IllegalArgumentException("saved sub-channel " + c.relid() + " of channel " + c.primary()
                            + " has no saved primary of its class, or its relid is taken here");
            } else if (ch == null || !ch.offer.interfaceType().equals(c.classId())) {
                throw new IllegalArgumentException(
                        "saved channel " + c.relid() + " (" + c.classId() + ") has no matching device here");
            }
            if (c.open() != null && (c.open().targetVp() < 0 || c.open().targetVp() >= hv.vpCount()))
                throw new IllegalArgumentException(
                        "saved channel " + c.relid() + " targets VP " + c.open().targetVp());
        }
        version = state.version();
        vp = state.vp();
        sint = state.sint();
        connected = state.connected();
        List<Channel> reopened = new ArrayList<>();
        for (VmbusState.Channel c : saved.values()) {
            if (!c.subChannel()) restoreChannel(channels.get(c.relid()), c, reopened);
        }
        for (VmbusState.Channel c : saved.values()) {
            if (c.subChannel()) restoreChannel(recreateSubChannel(c), c, reopened);
        }
        for (Channel ch : reopened) ch.device.guestSignalled();
    }

    /** The VM runs on after a save (refused, or a checkpoint's): every open channel's device is told. */
    public synchronized void resumed() {
        for (Channel ch : channels.values()) if (ch.open) ch.device.resumed();
    }

    /** A saved sub-channel's channel again: its offer as the guest holds it, its primary's device's queue behind it. */
    private Channel recreateSubChannel(VmbusState.Channel c) {
        Channel p = channels.get(c.primary());
        // A rescinded sub-channel waits only for the guest's RELID_RELEASED: nothing serves it.
        VmbusDevice device = c.rescinded() ? new Released(p.device) : p.device.restoredSubChannel(c.subIndex());
        if (device == null)
            throw new IllegalArgumentException(
                    "saved sub-channel " + c.relid() + ": its device has no queue " + c.subIndex());
        OfferChannel offer = new OfferChannel(
                p.offer.interfaceType(),
                p.offer.interfaceInstance(),
                c.subIndex(),
                c.relid(),
                CONNECTION_BASE + c.relid());
        Channel sub = new Channel(offer, device);
        sub.primary = c.primary();
        p.subChannels = Math.max(p.subChannels, c.subIndex());
        channels.put(c.relid(), sub);
        hv.messageCalls().onChannelEvent(offer.connectionId(), signalled(device));
        return sub;
    }

    /** One saved channel's GPADLs and opening into {@code ch}; an open one joins {@code reopened}. */
    private void restoreChannel(Channel ch, VmbusState.Channel c, List<Channel> reopened) {
        ch.rescinded = c.rescinded();
        ch.gpadls.clear();
        try {
            c.gpadls().forEach((id, pfns) -> ch.gpadls.put(id, new GpaPages(memory, pfns)));
            if (c.open() != null) {
                if (!ch.gpadls.containsKey(c.open().gpadl()))
                    throw new IllegalArgumentException("saved channel " + c.relid() + " is open on a GPADL it lacks");
                ch.device.restore(connect(ch, c.open()), c.open().device());
                ch.open = true;
                reopened.add(ch);
            }
        } catch (RingCorruptException e) {
            throw new IllegalArgumentException("saved channel " + c.relid() + ": " + e.getMessage(), e);
        }
    }

    /** Stands in for a rescinded sub-channel's device after a restore: the guest can only let go of it. */
    private record Released(VmbusDevice primary) implements VmbusDevice {
        public java.util.UUID classId() {
            return primary.classId();
        }

        public java.util.UUID instanceId() {
            return primary.instanceId();
        }

        public void opened(OpenChannel channel) {
            throw new IllegalStateException("a rescinded sub-channel cannot open");
        }

        public void closed() {}
    }

    /**
     * A device gave up on a channel the guest damaged: close it, forget its GPADLs and rescind the offer, so the
     * guest's
     * driver lets go of it; every other channel carries on. Runs on its own thread because the device reports from
     * under its own lock, which {@link VmbusDevice#closed()} takes too.
     */
    private void failed(OpenChannel which, String why) {
        Thread.ofVirtual().start(() -> {
            synchronized (this) {
                Channel ch = channels.get(which.relid());
                if (ch == null || ch.current != which || ch.rescinded) return;
                LOG.log(
                        WARNING,
                        "vmbus: channel " + which.relid() + " ("
                                + ch.device.getClass().getSimpleName() + ") closed and rescinded: " + why);
                ch.rescinded = true;
                if (ch.open) {
                    ch.open = false;
                    ch.device.closed();
                }
                ch.gpadls.clear();
                if (connected) send(new RescindChannelOffer(which.relid()));
                dropSubChannels(which.relid());
            }
        });
    }

    /**
     * Offers a sub-channel of an open primary channel. On its own thread: the device asks from under its own lock,
     * and this takes the server's (which, while handling guest messages, calls into devices).
     */
    private void offerSubChannel(int primaryRelid, VmbusDevice device) {
        Thread.ofVirtual().start(() -> {
            synchronized (this) {
                Channel p = channels.get(primaryRelid);
                if (p == null || !p.open || p.rescinded || p.primary != 0) return;
                int relid = freeRelid();
                OfferChannel offer = new OfferChannel(
                        p.offer.interfaceType(),
                        p.offer.interfaceInstance(),
                        ++p.subChannels,
                        relid,
                        CONNECTION_BASE + relid);
                Channel sub = new Channel(offer, device);
                sub.primary = primaryRelid;
                channels.put(relid, sub);
                hv.messageCalls().onChannelEvent(offer.connectionId(), signalled(device));
                if (connected) send(offer);
            }
        });
    }

    /** A primary channel closed or failed: its sub-channels go too (closed, forgotten, rescinded). */
    private void dropSubChannels(int primaryRelid) {
        for (Channel c : channels.values()) {
            if (c.primary != primaryRelid || c.rescinded) continue;
            c.rescinded = true;
            if (c.open) {
                c.open = false;
                c.device.closed();
            }
            c.gpadls.clear();
            if (connected) send(new RescindChannelOffer(c.offer.childRelid()));
        }
    }

    /** Whether the channel was rescinded after its device reported damage. */
    public synchronized boolean rescinded(int relid) {
        Channel ch = channels.get(relid);
        return ch != null && ch.rescinded;
    }

    private void close(MessageCalls.GuestMessage m, CloseChannel c) {
        Channel ch = channels.get(c.childRelid());
        if (ch != null && ch.rescinded && !ch.open) return; // Linux closes a channel the host rescinded: already done
        if (ch == null || !ch.open) {
            reject(m, "CLOSE_CHANNEL of a channel that is not open");
            return;
        }
        ch.open = false;
        ch.device.closed();
        dropSubChannels(ch.offer.childRelid());
    }

    /**
     * Accepts a version Viridian knows; from 5.0 the contact must come on connection 4 and name a real VP and SINT.
     * Unsupported requests are answered too, so the guest proposes its next older version.
     */
    private void initiateContact(MessageCalls.GuestMessage m, InitiateContact c) {
        int target = c.targetVp(), requestedSint = c.messageSint();
        boolean supported = c.version().isPresent();
        if (c.modern() && m.connectionId() != Vmbus.CONNECTION_ID_4) supported = false;
        if (target < 0 || target >= hv.vpCount() || requestedSint > 15) supported = false;
        vp = supported ? target : m.vp();
        sint = supported ? requestedSint : Vmbus.DEFAULT_SINT;
        if (supported) {
            version = c.requestedVersion();
            connected = true;
        }
        send(new VersionResponse(supported, 0, Vmbus.CONNECTION_ID));
    }

    private void send(VmbusMessage.FromHost message) {
        if (!hv.postMessage(vp, sint, new HvMessage(Vmbus.SYNIC_MESSAGE_TYPE, 0, message.toBytes()))) {
            LOG.log(
                    WARNING,
                    "vmbus: the guest's message queue on VP " + vp + " SINT " + sint + " is full; message dropped");
        }
    }

    private static void reject(MessageCalls.GuestMessage m, String why) {
        LOG.log(WARNING, "vmbus: dropped a message from VP " + m.vp() + ": " + why);
    }
}
