package org.viridian.vmbus.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.ring.RingCorruptException;

/**
 * The host side of VMBus channel management: version negotiation (INITIATE_CONTACT → VERSION_RESPONSE, accepting
 * every version in {@link ChannelMessage#VERSIONS}), the offer round (REQUEST_OFFERS → one OFFER_CHANNEL per device →
 * ALL_OFFERS_DELIVERED), GPADLs (header and body messages → GPADL_CREATED; teardown), opening and closing channels
 * (rings carved from a GPADL, handed to the device), and UNLOAD. Messages arrive by HvPostMessage on connection 1 or 4 and are answered on the SINT and VP the guest
 * chose. A malformed message is dropped with a log line for that VM only; nothing a guest sends reaches the host
 * beyond this class.
 */
public final class VmbusServer {
    /** Guest-to-host signals for channel n arrive on connection CONNECTION_BASE + n. */
    static final int CONNECTION_BASE = 0x10000;
    static final int STATUS_UNSUCCESSFUL = 0xC0000001;
    /** GPADLs a channel may hold: Linux uses one or two (rings, receive buffers); a cap keeps a hostile guest bounded. */
    static final int MAX_GPADLS_PER_CHANNEL = 16;

    private final SynicHost hv;
    private final GuestMemory memory;
    private volatile int version, vp, sint = ChannelMessage.DEFAULT_SINT;
    private volatile boolean connected;
    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private final GpadlAssembler gpadls = new GpadlAssembler();

    /** A device's channel and what the guest has set up on it. */
    private static final class Channel {
        final Offer offer;
        final VmbusDevice device;
        final Map<Integer, GpaPages> gpadls = new HashMap<>();
        boolean open, rescinded;
        /** The current opening, so a failure reported for an earlier one cannot close a later one. */
        OpenChannel current;
        /** How the guest opened it: the GPADL, the VP to interrupt and the page where the host's ring starts. */
        VmbusState.Open how;
        /** For a sub-channel, its primary's relid (0 for a primary); for a primary, how many sub-channels it has. */
        int primary, subChannels;

        Channel(Offer offer, VmbusDevice device) {
            this.offer = offer;
            this.device = device;
        }
    }

    private VmbusServer(SynicHost hv, GuestMemory memory) {
        this.hv = hv;
        this.memory = memory;
    }

    public static VmbusServer attach(SynicHost hv, GuestMemory memory) {
        VmbusServer s = new VmbusServer(hv, memory);
        hv.messageCalls().onMessage(ChannelMessage.CONNECTION_ID, s::onMessage);
        hv.messageCalls().onMessage(ChannelMessage.CONNECTION_ID_4, s::onMessage);
        return s;
    }

    /** Offers a device to the guest (on its next REQUEST_OFFERS); returns its channel's relid. */
    public synchronized int addDevice(VmbusDevice device) {
        int relid = channels.size() + 1;
        Offer offer = new Offer(device.classId(), device.instanceId(), relid, CONNECTION_BASE + relid);
        channels.put(relid, new Channel(offer, device));
        hv.messageCalls().onEvent(offer.connectionId(), vpIndex -> device.guestSignalled());
        return relid;
    }

    /** The VM is going away: every open channel's device is told it is closed (no device may touch guest memory after). */
    public synchronized void shutdown() {
        connected = false;
        for (Channel c : channels.values()) {
            if (c.open) {
                c.open = false;
                c.device.closed();
            }
        }
    }

    /** The negotiated version (major << 16 | minor), or 0 before the guest connects. */
    public int version() {
        return connected ? version : 0;
    }

    synchronized void onMessage(MessageCalls.GuestMessage m) {
        ByteBuffer b = ByteBuffer.wrap(m.payload()).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 8) {
            reject(m, "shorter than the 8-byte header");
            return;
        }
        int type = b.getInt(0);
        switch (type) {
            case ChannelMessage.INITIATE_CONTACT -> initiateContact(m, b);
            case ChannelMessage.REQUEST_OFFERS -> {
                if (!connected) {
                    reject(m, "REQUEST_OFFERS before INITIATE_CONTACT");
                    return;
                }
                channels.values().stream().filter(c -> !c.rescinded)
                        .sorted(java.util.Comparator.comparingInt(c -> c.offer.relid()))
                        .forEach(c -> send(ByteBuffer.wrap(c.offer.encode())));
                send(header(ChannelMessage.ALL_OFFERS_DELIVERED, 8));
            }
            case ChannelMessage.GPADL_HEADER -> gpadlStep(m, gpadls.header(b));
            case ChannelMessage.GPADL_BODY -> gpadlStep(m, gpadls.body(b));
            case ChannelMessage.GPADL_TEARDOWN -> teardown(m, b);
            case ChannelMessage.OPEN_CHANNEL -> open(m, b);
            case ChannelMessage.CLOSE_CHANNEL -> close(m, b);
            case ChannelMessage.RELID_RELEASED -> { /* the guest forgot a rescinded channel: nothing to free here */ }
            case ChannelMessage.UNLOAD -> {
                connected = false;
                send(header(ChannelMessage.UNLOAD_RESPONSE, 8));
            }
            default -> reject(m, "message type " + type + " is not handled yet");
        }
    }

    private void gpadlStep(MessageCalls.GuestMessage m, GpadlAssembler.Step step) {
        switch (step) {
            case GpadlAssembler.Waiting w -> { }
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
                    reject(m, "channel " + c.relid() + " already has GPADL " + c.gpadl() + " or " + MAX_GPADLS_PER_CHANNEL + " GPADLs");
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
        send(header(ChannelMessage.GPADL_CREATED, 20).putInt(8, relid).putInt(12, gpadl).putInt(16, status));
    }

    /** relid u32 @8, gpadl u32 @12 → GPADL_TORNDOWN (gpadl u32 @8). */
    private void teardown(MessageCalls.GuestMessage m, ByteBuffer b) {
        if (b.limit() < 16) {
            reject(m, "short GPADL_TEARDOWN");
            return;
        }
        Channel ch = channels.get(b.getInt(8));
        if (ch == null || ch.gpadls.remove(b.getInt(12)) == null) {
            reject(m, "GPADL_TEARDOWN of unknown GPADL " + b.getInt(12));
            return;
        }
        send(header(ChannelMessage.GPADL_TORNDOWN, 12).putInt(8, b.getInt(12)));
    }

    /**
     * relid @8, openid @12, ring GPADL @16, target VP @20, page offset of the host-to-guest ring @24 → OPENCHANNEL_RESULT
     * (relid, openid, status). Pages before the offset are the ring the guest writes.
     */
    private void open(MessageCalls.GuestMessage m, ByteBuffer b) {
        if (b.limit() < 28) {
            reject(m, "short OPEN_CHANNEL");
            return;
        }
        int relid = b.getInt(8), openId = b.getInt(12), gpadl = b.getInt(16), target = b.getInt(20), split = b.getInt(24);
        Channel ch = channels.get(relid);
        String problem = ch == null ? "OPEN_CHANNEL for unknown channel " + relid
                : ch.rescinded ? "channel " + relid + " was rescinded"
                : ch.open ? "channel " + relid + " is already open"
                : !ch.gpadls.containsKey(gpadl) ? "OPEN_CHANNEL names unknown GPADL " + gpadl
                : target < 0 || target >= hv.vpCount() ? "OPEN_CHANNEL targets VP " + target
                : split < 2 || split > ch.gpadls.get(gpadl).size() / 4096 - 2 ? "OPEN_CHANNEL ring split at page " + split : null;
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
        send(header(ChannelMessage.OPEN_CHANNEL_RESULT, 20).putInt(8, relid).putInt(12, openId).putInt(16, status));
    }

    /** Carves the two rings out of the named GPADL and makes the channel's current opening (not yet told to the device). */
    private OpenChannel connect(Channel ch, VmbusState.Open how) {
        GpaPages pages = ch.gpadls.get(how.gpadl());
        int relid = ch.offer.relid(), total = (int) (pages.size() / 4096), target = how.targetVp();
        OpenChannel[] self = new OpenChannel[1];
        OpenChannel open = new OpenChannel(relid, new RingBuffer(pages.range(0, how.split())),
                new RingBuffer(pages.range(how.split(), total - how.split())), () -> hv.signalEvent(target, sint, relid),
                why -> failed(self[0], why), device -> offerSubChannel(relid, device));
        self[0] = open;
        ch.current = open;
        ch.how = how;
        return open;
    }

    /**
     * The connection and every channel as the guest set them up (GPADL page lists, how open channels were opened, each
     * device's own state), for save/restore. Take it with the VM's processors stopped.
     */
    public synchronized VmbusState save() {
        List<VmbusState.Channel> list = new ArrayList<>();
        for (Channel ch : channels.values().stream().sorted(java.util.Comparator.comparingInt(c -> c.offer.relid())).toList()) {
            if (ch.primary != 0 && !ch.rescinded) throw new IllegalStateException("channels with sub-channels cannot be saved yet");
            Map<Integer, long[]> pfns = new TreeMap<>();
            ch.gpadls.forEach((id, pages) -> pfns.put(id, pages.pfns()));
            VmbusState.Open open = ch.open ? new VmbusState.Open(ch.how.gpadl(), ch.how.targetVp(), ch.how.split(),
                    ch.device.save()) : null;
            list.add(new VmbusState.Channel(ch.offer.relid(), ch.offer.classId(), ch.rescinded, pfns, open));
        }
        return new VmbusState(version, vp, sint, connected, list);
    }

    /**
     * Puts a saved state into this server, whose devices must be offered in the same order as the saved one's (same
     * relids and classes); GPADL pages are validated against this partition's memory again, and each open channel's
     * device gets its rings back with its saved state. Throws IllegalArgumentException when the state does not fit.
     */
    public synchronized void restore(VmbusState state) {
        for (VmbusState.Channel c : state.channels()) {
            Channel ch = channels.get(c.relid());
            if (ch == null || !ch.offer.classId().equals(c.classId())) {
                throw new IllegalArgumentException("saved channel " + c.relid() + " (" + c.classId() + ") has no matching device here");
            }
        }
        version = state.version();
        vp = state.vp();
        sint = state.sint();
        connected = state.connected();
        for (VmbusState.Channel c : state.channels()) {
            Channel ch = channels.get(c.relid());
            ch.rescinded = c.rescinded();
            ch.gpadls.clear();
            try {
                c.gpadls().forEach((id, pfns) -> ch.gpadls.put(id, new GpaPages(memory, pfns)));
                if (c.open() != null) {
                    if (!ch.gpadls.containsKey(c.open().gpadl())) throw new IllegalArgumentException("saved channel " + c.relid() + " is open on a GPADL it lacks");
                    ch.device.restore(connect(ch, c.open()), c.open().device());
                    ch.open = true;
                }
            } catch (RingCorruptException e) {
                throw new IllegalArgumentException("saved channel " + c.relid() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * A device gave up on a channel the guest damaged: close it, forget its GPADLs and rescind the offer, so the guest's
     * driver lets go of it; every other channel carries on. Runs on its own thread because the device reports from
     * under its own lock, which {@link VmbusDevice#closed()} takes too.
     */
    private void failed(OpenChannel which, String why) {
        Thread.ofVirtual().start(() -> {
            synchronized (this) {
                Channel ch = channels.get(which.relid());
                if (ch == null || ch.current != which || ch.rescinded) return;
                System.err.println("vmbus: channel " + which.relid() + " (" + ch.device.getClass().getSimpleName()
                        + ") closed and rescinded: " + why);
                ch.rescinded = true;
                if (ch.open) {
                    ch.open = false;
                    ch.device.closed();
                }
                ch.gpadls.clear();
                if (connected) send(header(ChannelMessage.RESCIND_CHANNEL_OFFER, 12).putInt(8, which.relid()));
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
                int relid = channels.size() + 1;
                Offer offer = new Offer(p.offer.classId(), p.offer.instanceId(), relid, CONNECTION_BASE + relid, ++p.subChannels);
                Channel sub = new Channel(offer, device);
                sub.primary = primaryRelid;
                channels.put(relid, sub);
                hv.messageCalls().onEvent(offer.connectionId(), vpIndex -> device.guestSignalled());
                if (connected) send(ByteBuffer.wrap(offer.encode()));
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
            if (connected) send(header(ChannelMessage.RESCIND_CHANNEL_OFFER, 12).putInt(8, c.offer.relid()));
        }
    }

    /** Whether the channel was rescinded after its device reported damage. */
    public synchronized boolean rescinded(int relid) {
        Channel ch = channels.get(relid);
        return ch != null && ch.rescinded;
    }

    private void close(MessageCalls.GuestMessage m, ByteBuffer b) {
        Channel ch = b.limit() >= 12 ? channels.get(b.getInt(8)) : null;
        if (ch == null || !ch.open) {
            reject(m, "CLOSE_CHANNEL of a channel that is not open");
            return;
        }
        ch.open = false;
        ch.device.closed();
        dropSubChannels(ch.offer.relid());
    }

    /** Header (8), version requested (u32), target VP (u32), interrupt page or msg_sint/msg_vtl (u64), 2 monitor pages. */
    private void initiateContact(MessageCalls.GuestMessage m, ByteBuffer b) {
        if (b.remaining() < 40) {
            reject(m, "INITIATE_CONTACT of " + b.remaining() + " bytes, expected 40");
            return;
        }
        int requested = b.getInt(8);
        int target = b.getInt(12);
        boolean modern = Integer.compareUnsigned(requested, ChannelMessage.VERSION_WIN10_V5) >= 0;
        int requestedSint = modern ? b.get(16) & 0xFF : ChannelMessage.DEFAULT_SINT;
        boolean supported = Arrays.stream(ChannelMessage.VERSIONS).anyMatch(v -> v == requested);
        // The 5.0+ contact must come on connection 4 and name a real VP and SINT.
        if (modern && m.connectionId() != ChannelMessage.CONNECTION_ID_4) supported = false;
        if (target < 0 || target >= hv.vpCount() || requestedSint > 15) supported = false;
        vp = supported ? target : m.vp();
        sint = supported ? requestedSint : ChannelMessage.DEFAULT_SINT;
        if (supported) {
            version = requested;
            connected = true;
        }
        ByteBuffer r = header(ChannelMessage.VERSION_RESPONSE, 16);
        r.put(8, (byte) (supported ? 1 : 0)).put(9, (byte) 0).putInt(12, ChannelMessage.CONNECTION_ID);
        send(r);
    }

    private static ByteBuffer header(int type, int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    private void send(ByteBuffer message) {
        if (!hv.postMessage(vp, sint, new HvMessage(ChannelMessage.SYNIC_MESSAGE_TYPE, 0, message.array()))) {
            System.err.println("vmbus: the guest's message queue on VP " + vp + " SINT " + sint + " is full; message dropped");
        }
    }

    private static void reject(MessageCalls.GuestMessage m, String why) {
        System.err.println("vmbus: dropped a message from VP " + m.vp() + ": " + why);
    }
}
