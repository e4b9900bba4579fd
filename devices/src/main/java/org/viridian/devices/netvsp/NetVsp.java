package org.viridian.devices.netvsp;

import static java.lang.System.Logger.Level.DEBUG;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLongArray;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.devices.netvsp.protocol.NvspMessage;
import org.viridian.devices.netvsp.protocol.NvspMessage.Init;
import org.viridian.devices.netvsp.protocol.NvspMessage.InitComplete;
import org.viridian.devices.netvsp.protocol.NvspMessage.ReceiveBufferSection;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendIndirectionTable;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacket;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacketComplete;
import org.viridian.devices.netvsp.protocol.NvspMessage.SubChannelComplete;
import org.viridian.devices.netvsp.protocol.NvspMessage.SubChannelRequest;
import org.viridian.devices.netvsp.protocol.NvspStatus;
import org.viridian.devices.netvsp.protocol.NvspVersion;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.TransferPageHeader;
import org.viridian.vmbus.server.OpenChannel;

/**
 * The synthetic network adapter's host side (NetVSP), as Linux's hv_netvsc and Windows' netvsc drive it: NVSP version
 * negotiation (newest common of 1 … 6.1), the guest's NDIS version and configuration (its MTU), its receive and send
 * buffers (GPADLs), then RNDIS: control messages (initialize, query/set OIDs, keep-alive, halt, reset) and data.
 *
 * <p>Guest to port: a SEND_RNDIS_PACKET names a send-buffer section and/or carries GPA ranges; the RNDIS messages
 * there (several when the guest batches) are copied into one reused staging buffer, each packet's frame is handed to
 * the {@link NetworkPort} in place, and the NVSP packet is completed. Port to guest: the frame is written as an RNDIS
 * packet into a free receive-buffer section and announced with a transfer-page packet; the guest's completion frees the
 * section. RNDIS answers and link indications travel the same way. Neither direction allocates per frame.
 *
 * <p>Offloads, when the port {@link NetworkPort#offloads() takes them}: transmit checksums (TCP and UDP over IPv4 and
 * IPv6, the IPv4 header) and LSOv2, passed to the port as a {@link TxOffload} after {@link TransmitOffloads} checked the
 * frame's headers; frames whose checksums the host verified carry a receive checksum indication. Multiple queues (vRSS,
 * from NVSP 5): up to {@code queues} channels, the primary and the sub-channels the guest asks for; it may transmit on
 * any, and each frame for it goes out on the channel its Toeplitz hash picks through the guest's indirection table
 * ({@link ReceiveScaling}).
 *
 * <p>A guest that breaks the protocol gets its message refused or dropped and counted ({@link #counters()}); only a
 * damaged ring fails a channel (the VMBus server rescinds it). Locks: each channel has its own (the {@code
 * ChannelDevice}'s); a sub-channel may take the primary's (this object's) while holding its own, never the reverse, and
 * the port's thread holds at most one channel's at a time.
 */
public final class NetVsp extends NetVspChannel {
    private static final System.Logger LOG = System.getLogger(NetVsp.class.getName());

    /** The synthetic network adapter's VMBus class (Hyper-V's "Network Adapter"). */
    public static final UUID CLASS_ID = UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e");

    /** The send-buffer section size the host picks (Linux's own default, NETVSC_SEND_SECTION_SIZE). */
    static final int SEND_SECTION_SIZE = 6144;
    /** The most RNDIS bytes one NVSP packet may bring (a 64 KiB frame with its headers fits). */
    static final int MAX_MESSAGE = 128 << 10;
    /** Control answers waiting for a receive section; beyond this the guest is not returning sections. */
    static final int CONTROL_BACKLOG = 64;
    /** The most queues (channels) an adapter offers, as Hyper-V's default vRSS limit for Linux guests. */
    public static final int MAX_QUEUES = 8;
    /** Entries of the send indirection table Linux takes (VRSS_SEND_TAB_SIZE) and of the receive table offered. */
    static final int SEND_TABLE_ENTRIES = 16, RECEIVE_TABLE_ENTRIES = 128;

    static final int ETHERNET_HEADER = 14, VLAN_TAG = 4;
    public static final int DEFAULT_MTU = 1500;

    /** The counters' slots: four totals, then one per drop reason. */
    private static final int TX_FRAMES = 0, TX_BYTES = 1, RX_FRAMES = 2, RX_BYTES = 3, DROPS = 4;

    private final GuestMemory memory;
    private final UUID instance;
    private final NetworkPort port;
    private final int mtu;
    private final int queues;
    private final RndisControl rndis;
    private final AtomicLongArray stats = new AtomicLongArray(DROPS + Drop.values().length);

    // Per opening of the channel (reset on open and close). Volatile: sub-channels and the port's thread read them.
    private volatile NvspVersion version;
    /** The guest's MTU from its NDIS configuration, Ethernet header included (0: none sent). */
    private volatile int guestMtu;

    private volatile ReceiveBuffer receive;
    private volatile GpaPages sendPages;
    private int sendId;
    private final ArrayDeque<byte[]> controlBacklog = new ArrayDeque<>();
    /** Sub-channels offered this opening. */
    private final List<SubChannel> subChannels = new ArrayList<>();
    /** The receive queues: this channel, then the open sub-channels in the order offered (queue n is index n). */
    private volatile NetVspChannel[] queueChannels = {this};

    private final byte[] rxCopy = new byte[MAX_MESSAGE];
    private volatile boolean linkUp = true;
    /** The GPADLs the guest named for its buffers (a restore finds them again by these). */
    private int receiveGpadl, sendGpadl;
    /** Set for a save: frames from the port are dropped and the guest's rings not read until resumed. */
    private volatile boolean holding;

    private final byte[] mac;

    /**
     * An adapter with MAC address {@code mac} (6 bytes) and a 1500-byte MTU whose frames go to and come from
     * {@code port}. {@code memory} is the VM's RAM (the guest's GPA ranges point there). One queue.
     */
    public NetVsp(GuestMemory memory, UUID instanceId, byte[] mac, NetworkPort port) {
        this(memory, instanceId, mac, port, DEFAULT_MTU, 1);
    }

    /** An adapter with an MTU other than 1500 (68 … 65521; Linux takes the smaller of its own and this). */
    public NetVsp(GuestMemory memory, UUID instanceId, byte[] mac, NetworkPort port, int mtu) {
        this(memory, instanceId, mac, port, mtu, 1);
    }

    /**
     * An adapter offering up to {@code queues} (1 … {@link #MAX_QUEUES}) receive queues; the VM's recipe gives
     * min(VPs, 8), since a queue per VP is what vRSS is for.
     */
    public NetVsp(GuestMemory memory, UUID instanceId, byte[] mac, NetworkPort port, int mtu, int queues) {
        if (mac.length != 6) throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        if ((mac[0] & 1) != 0) throw new IllegalArgumentException("a multicast MAC address cannot be an adapter's");
        if (mtu < 68 || mtu > 65535 - ETHERNET_HEADER) throw new IllegalArgumentException("MTU " + mtu);
        if (queues < 1 || queues > MAX_QUEUES) throw new IllegalArgumentException("queues: 1.." + MAX_QUEUES);
        this.memory = memory;
        this.mac = mac.clone();
        this.instance = instanceId;
        this.port = port;
        this.mtu = mtu;
        this.queues = queues;
        this.rndis = new RndisControl(mac, mtu, MAX_MESSAGE, port.offloads(), queues, RECEIVE_TABLE_ENTRIES);
        port.attach(new NetworkPort.Receiver() {
            @Override
            public void receive(ByteBuffer frame) {
                fromPort(frame, false);
            }

            @Override
            public void receive(ByteBuffer frame, boolean checksumsVerified) {
                fromPort(frame, checksumsVerified);
            }

            @Override
            public void linkChanged(boolean up) {
                setLink(up);
            }
        });
    }

    UUID instance() {
        return instance;
    }

    /** What this adapter moved and dropped so far, over all its channels. */
    public NetVspCounters counters() {
        Map<Drop, Long> d = new EnumMap<>(Drop.class);
        for (Drop r : Drop.values()) {
            long n = stats.get(DROPS + r.ordinal());
            if (n != 0) d.put(r, n);
        }
        return new NetVspCounters(
                stats.get(TX_FRAMES), stats.get(TX_BYTES), stats.get(RX_FRAMES), stats.get(RX_BYTES), d);
    }

    /** Receive queues in use now: the primary channel and the open sub-channels. */
    public int queuesInUse() {
        return queueChannels.length;
    }

    /**
     * Plugs or pulls the virtual cable: the guest is told (RNDIS media connect/disconnect) and, while it is down,
     * frames are dropped both ways.
     */
    public synchronized void setLink(boolean up) {
        if (up == linkUp) return;
        linkUp = up;
        if (rndis.initialized()) control(RndisControl.linkIndication(up).toBytes());
    }

    public boolean linkUp() {
        return linkUp;
    }

    /** The NVSP version the guest and this adapter agreed on; null before that. */
    public NvspVersion version() {
        return version;
    }

    // ---- What the channels share ----

    @Override
    NetVsp adapter() {
        return this;
    }

    GuestMemory memory() {
        return memory;
    }

    NetworkPort port() {
        return port;
    }

    ReceiveBuffer receiveBuffer() {
        return receive;
    }

    GpaPages sendPages() {
        return sendPages;
    }

    boolean rndisInitialized() {
        return rndis.initialized();
    }

    boolean offloadsOffered() {
        return port.offloads();
    }

    /** The largest frame either side may send: the larger of the guest's and the adapter's MTU, and a VLAN tag. */
    int maxFrame() {
        return Math.max(guestMtu, mtu + ETHERNET_HEADER) + VLAN_TAG;
    }

    void count(Drop reason, String why) {
        stats.incrementAndGet(DROPS + reason.ordinal());
        LOG.log(DEBUG, () -> "netvsp " + instance + ": " + reason + ": " + why);
    }

    void countTx(int bytes) {
        stats.incrementAndGet(TX_FRAMES);
        stats.addAndGet(TX_BYTES, bytes);
    }

    void countRx(int bytes) {
        stats.incrementAndGet(RX_FRAMES);
        stats.addAndGet(RX_BYTES, bytes);
    }

    // ---- The primary channel ----

    @Override
    protected void onOpen() {
        forget();
    }

    @Override
    protected void onClosed() {
        forget();
    }

    private void forget() {
        version = null;
        guestMtu = 0;
        receive = null;
        sendPages = null;
        controlBacklog.clear();
        rndis.reset();
        // The VMBus server closes and rescinds the sub-channels with the primary.
        subChannels.clear();
        queueChannels = new NetVspChannel[] {this};
    }

    @Override
    void message(Packet p, NvspMessage.FromGuest m) {
        if (version == null && !(m instanceof Init)) {
            refuse(p, m, "before INIT");
            return;
        }
        switch (m) {
            case Init i -> init(p, i);
            case NvspMessage.SendNdisConfig c -> {
                if (!version.atLeast(NvspVersion.V2)) {
                    drop(Drop.UNEXPECTED_NVSP, "NDIS configuration under NVSP " + version);
                } else if (c.mtu() < ETHERNET_HEADER + 68 || c.mtu() > 65535) {
                    drop(Drop.MALFORMED_NVSP, "NDIS configuration with MTU " + Integer.toUnsignedString(c.mtu()));
                } else {
                    guestMtu = c.mtu();
                }
            }
            case NvspMessage.SendNdisVersion v -> {} // informational: the OIDs answered do not depend on it
            case NvspMessage.SendReceiveBuffer b -> receiveBuffer(p, b);
            case NvspMessage.SendSendBuffer b -> sendBuffer(p, b);
            case NvspMessage.RevokeReceiveBuffer r -> {
                if (receive == null || r.id() != receive.id) refuse(p, m, "revoke of receive buffer " + r.id());
                else receive = null;
            }
            case NvspMessage.RevokeSendBuffer r -> {
                if (sendPages == null || r.id() != sendId) refuse(p, m, "revoke of send buffer " + r.id());
                else sendPages = null;
            }
            case SendRndisPacket r -> refuse(p, m, "before INIT"); // handled by the channel once there is a version
            case NvspMessage.SwitchDataPath d -> {} // no VF: the synthetic path is the only one
            case SubChannelRequest s -> subChannels(p, s);
            case SendRndisPacketComplete c -> refuse(p, m, "a completion sent as a data packet");
        }
    }

    /** A well-formed message at the wrong time: counted, and completed with a failure if the guest waits on it. */
    private void refuse(Packet p, NvspMessage m, String why) {
        drop(Drop.UNEXPECTED_NVSP, m.type() + ": " + why);
        refusal(this, p, m);
    }

    /** The failed completion a refused message gets, if the guest waits on one. */
    static void refusal(NetVspChannel c, Packet p, NvspMessage m) {
        if (!p.completionRequested()) return;
        switch (m) {
            case Init i -> c.answer(p, new InitComplete(0, 0, NvspStatus.FAIL));
            case NvspMessage.SendReceiveBuffer b ->
                c.answer(p, new NvspMessage.SendReceiveBufferComplete(NvspStatus.FAIL, List.of()));
            case NvspMessage.SendSendBuffer b ->
                c.answer(p, new NvspMessage.SendSendBufferComplete(NvspStatus.FAIL, 0));
            case SubChannelRequest s -> c.answer(p, new SubChannelComplete(NvspStatus.FAIL, 0));
            default -> c.complete(p, SEND_COMPLETE_FAIL);
        }
    }

    /** INIT: the newest version in the guest's range (Linux names one at a time, newest first). */
    private void init(Packet p, Init i) {
        NvspVersion chosen = null;
        for (NvspVersion v : NvspVersion.newestFirst()) {
            if (Integer.compareUnsigned(i.minVersion(), v.code()) <= 0
                    && Integer.compareUnsigned(v.code(), i.maxVersion()) <= 0) {
                chosen = v;
                break;
            }
        }
        if (chosen == null) {
            answer(p, new InitComplete(0, 0, NvspStatus.FAIL));
            return;
        }
        // A new negotiation starts the protocol over.
        forget();
        version = chosen;
        answer(p, new InitComplete(chosen.code(), 0, NvspStatus.SUCCESS));
    }

    /**
     * SEND_RECEIVE_BUFFER: one section for the whole buffer (as Linux requires), carved into slots that each hold the
     * largest frame with its RNDIS header and a checksum indication.
     */
    private void receiveBuffer(Packet p, NvspMessage.SendReceiveBuffer b) {
        if (receive != null) {
            refuse(p, b, "a receive buffer is already there");
            return;
        }
        GpaPages pages = channel().gpadl(b.gpadl()).orElse(null);
        int slot = (ReceiveBuffer.RX_HEADER + maxFrame() + 63) & ~63;
        ReceiveBuffer r = pages == null ? null : ReceiveBuffer.carve(b.id(), pages, slot);
        if (r == null) {
            refuse(p, b, pages == null ? "unknown GPADL " + b.gpadl() : "buffer smaller than a " + slot + "-byte slot");
            return;
        }
        receive = r;
        receiveGpadl = b.gpadl();
        var section = new ReceiveBufferSection(0, r.sectionSize, r.sectionCount, r.sectionSize * r.sectionCount);
        answer(p, new NvspMessage.SendReceiveBufferComplete(NvspStatus.SUCCESS, List.of(section)));
    }

    /** SEND_SEND_BUFFER: the host picks the section size; the guest divides its buffer by it. */
    private void sendBuffer(Packet p, NvspMessage.SendSendBuffer b) {
        if (sendPages != null) {
            refuse(p, b, "a send buffer is already there");
            return;
        }
        GpaPages pages = channel().gpadl(b.gpadl()).orElse(null);
        if (pages == null || pages.size() < SEND_SECTION_SIZE) {
            refuse(p, b, pages == null ? "unknown GPADL " + b.gpadl() : "buffer smaller than a section");
            return;
        }
        sendPages = pages;
        sendId = b.id();
        sendGpadl = b.gpadl();
        answer(p, new NvspMessage.SendSendBufferComplete(NvspStatus.SUCCESS, SEND_SECTION_SIZE));
    }

    /**
     * NVSP 5 SUBCHANNEL (allocate): as many as asked, up to the queues offered less the primary; answered first, then
     * each is offered, then the send indirection table spreads the guest's transmits over all channels (Linux takes
     * exactly 16 entries, channel numbers).
     */
    private void subChannels(Packet p, SubChannelRequest s) {
        int available = queues - 1 - subChannels.size();
        int count = Math.min(s.count(), available);
        if (!version.atLeast(NvspVersion.V5)
                || s.operation() != SubChannelRequest.ALLOCATE
                || s.count() < 1
                || count < 1
                || receive == null) {
            refuse(p, s, "sub-channels: " + Integer.toUnsignedString(s.count()) + " asked, " + available + " left");
            return;
        }
        answer(p, new SubChannelComplete(NvspStatus.SUCCESS, count));
        OpenChannel c = channel();
        for (int i = 0; i < count; i++) {
            SubChannel sub = new SubChannel(this);
            subChannels.add(sub);
            c.offerSubChannel(sub);
        }
        int[] table = new int[SEND_TABLE_ENTRIES];
        for (int i = 0; i < table.length; i++) table[i] = i % (1 + subChannels.size());
        send(Packet.DATA_INBAND, 0, 0, new SendIndirectionTable(table).toBytes());
    }

    /**
     * A sub-channel opened or closed: the receive queues are this channel and the open sub-channels in the order the
     * server offered them (their relids grow with their sub-channel index, which is how Linux numbers its queues).
     */
    synchronized void subChannelChanged() {
        List<SubChannel> open = new ArrayList<>();
        for (SubChannel s : subChannels) if (s.relid() > 0) open.add(s);
        open.sort(Comparator.comparingInt(SubChannel::relid));
        NetVspChannel[] q = new NetVspChannel[1 + open.size()];
        q[0] = this;
        for (int i = 0; i < open.size(); i++) q[i + 1] = open.get(i);
        queueChannels = q;
    }

    @Override
    boolean controlRequest(RndisMessage request) {
        RndisMessage answer = rndis.answer(request, version, linkUp);
        if (answer != null) control(answer.toBytes());
        return true;
    }

    @Override
    void sectionReturned() {
        flushControl();
    }

    /** A sub-channel's completion freed a section: a control answer may be waiting for one. */
    synchronized void sectionReturnedElsewhere() {
        if (!controlBacklog.isEmpty()) flushControl();
    }

    // ---- Save and restore ----

    boolean holding() {
        return holding;
    }

    /**
     * Holds the adapter still for the save: from here frames from the port are dropped (as a paused NIC's) and no
     * channel reads the guest's ring; each channel's lock is taken once so a pass or a delivery under way has ended.
     * Not under this channel's lock: a sub-channel's lock is never taken while holding the primary's.
     */
    @Override
    protected void beforeSave() {
        holding = true;
        List<SubChannel> subs;
        synchronized (this) {
            subs = List.copyOf(subChannels);
        }
        for (SubChannel s : subs) {
            synchronized (s) {
                // a sub-channel's pass or delivery under way ends before the state is taken
            }
        }
    }

    /** What NVSP and RNDIS negotiated on this opening (see {@link NetVspSavedState}). */
    @Override
    protected byte[] saveState() {
        requireQuiet();
        ReceiveBuffer r = receive;
        return new NetVspSavedState(
                        mac,
                        mtu,
                        queues,
                        version,
                        guestMtu,
                        r == null
                                ? null
                                : new NetVspSavedState.Receive(r.id, receiveGpadl, r.sectionSize, r.heldSections()),
                        sendPages == null ? null : new NetVspSavedState.Send(sendId, sendGpadl),
                        List.copyOf(controlBacklog),
                        subChannels.size(),
                        linkUp,
                        rndis.save())
                .toBytes();
    }

    /**
     * The opening as saved: the buffers found again by their GPADLs (restored with the channel), the sections the
     * guest holds, RNDIS, and as many sub-channels as it had (the VMBus server opens each, {@link
     * #restoredSubChannel}). The port is this adapter's own (the VM's recipe attached it to its TAP and switch port):
     * when its link is not what the guest last heard, the guest is told.
     */
    @Override
    protected void onRestore(byte[] state) {
        NetVspSavedState s = NetVspSavedState.parse(state);
        if (!s.savedFrom(mac, mtu, queues))
            throw new IllegalArgumentException("netvsp: the saved adapter had another MAC address, MTU or queue count");
        forget();
        version = s.version();
        guestMtu = s.guestMtu();
        if (s.receive() != null) {
            NetVspSavedState.Receive saved = s.receive();
            GpaPages pages = channel().gpadl(saved.gpadl()).orElseThrow(() -> missing("receive", saved.gpadl()));
            ReceiveBuffer r = saved.sectionSize() < ReceiveBuffer.RX_HEADER
                    ? null
                    : ReceiveBuffer.carve(saved.id(), pages, saved.sectionSize());
            if (r == null) throw new IllegalArgumentException("netvsp: saved receive sections do not fit its buffer");
            r.hold(saved.held());
            receive = r;
            receiveGpadl = saved.gpadl();
        }
        if (s.send() != null) {
            GpaPages pages = channel()
                    .gpadl(s.send().gpadl())
                    .orElseThrow(() -> missing("send", s.send().gpadl()));
            if (pages.size() < SEND_SECTION_SIZE)
                throw new IllegalArgumentException("netvsp: saved send buffer is smaller than a section");
            sendPages = pages;
            sendId = s.send().id();
            sendGpadl = s.send().gpadl();
        }
        controlBacklog.addAll(s.controlBacklog());
        for (int i = 0; i < s.subChannels(); i++) subChannels.add(new SubChannel(this));
        rndis.restore(s.rndis());
        if (linkUp != s.linkUp() && rndis.initialized())
            control(RndisControl.linkIndication(linkUp).toBytes());
    }

    private static IllegalArgumentException missing(String which, int gpadl) {
        return new IllegalArgumentException("netvsp: the saved " + which + " buffer's GPADL " + gpadl + " is gone");
    }

    /** Sub-channel {@code index} (1..) as the guest was offered it before the save. */
    @Override
    public synchronized org.viridian.vmbus.server.VmbusDevice restoredSubChannel(int index) {
        if (index < 1 || index > subChannels.size())
            throw new IllegalArgumentException("netvsp: saved sub-channel " + index + " of " + subChannels.size());
        return subChannels.get(index - 1);
    }

    /** The VM runs on after a save: frames flow again and every channel reads what the guest wrote meanwhile. */
    @Override
    public void resumed() {
        if (!holding) return;
        holding = false;
        List<SubChannel> subs;
        synchronized (this) {
            subs = List.copyOf(subChannels);
            flushControl();
        }
        guestSignalled();
        for (SubChannel s : subs) s.guestSignalled();
    }

    // ---- Host to guest ----

    /** A control message (answer or indication) for the guest: it waits for a receive section if none is free. */
    private void control(byte[] message) {
        if (controlBacklog.size() >= CONTROL_BACKLOG) {
            drop(Drop.CONTROL_BACKLOG_FULL, "the guest holds every receive section");
            return;
        }
        controlBacklog.add(message);
        flushControl();
    }

    private void flushControl() {
        if (holding) return; // the backlog is saved as it is
        ReceiveBuffer r = receive;
        while (!controlBacklog.isEmpty() && r != null) {
            int section = r.take();
            if (section < 0) return;
            byte[] message = controlBacklog.poll();
            r.write(section, message);
            TransferPageHeader.write(xferHeaders, r.id, message.length, (int) r.offset(section));
            // Answers must not be lost: a full ring queues them in order.
            send(Packet.DATA_USING_XFER_PAGES, Packet.FLAG_COMPLETION_REQUESTED, section, xferHeaders, RNDIS_FROM_HOST);
        }
    }

    /**
     * A frame from the port (its one thread): checked against the guest's state and filter, then handed to the
     * channel receive-side scaling picks (the primary when that one is not open).
     */
    private void fromPort(ByteBuffer frame, boolean checksumsVerified) {
        int length = frame.remaining();
        ReceiveBuffer r = receive;
        if (r == null || !rndis.initialized()) {
            drop(Drop.RX_NOT_READY, "a frame before the guest is ready");
            return;
        }
        if (!linkUp) {
            drop(Drop.LINK_DOWN, "a frame while the link is down");
            return;
        }
        if (length < ETHERNET_HEADER || length > maxFrame() || length > r.sectionSize - ReceiveBuffer.RX_HEADER) {
            drop(Drop.RX_TOO_LONG, "a frame of " + length + " bytes, at most " + maxFrame());
            return;
        }
        byte[] bytes;
        int off;
        if (frame.hasArray()) {
            bytes = frame.array();
            off = frame.arrayOffset() + frame.position();
        } else {
            frame.duplicate().get(rxCopy, 0, length);
            bytes = rxCopy;
            off = 0;
        }
        if (!rndis.accepts(bytes, off)) {
            drop(Drop.RX_FILTERED, "not for this guest's packet filter");
            return;
        }
        int checksum = checksumsVerified ? rndis.receiveChecksumInfo(bytes, off, length) : 0;
        NetVspChannel[] q = queueChannels;
        NetVspChannel channel = q[rndis.scaling().queue(bytes, off, length, q.length)];
        if (!channel.deliver(r, bytes, off, length, checksum)
                && (channel == this || !deliver(r, bytes, off, length, checksum))) {
            drop(Drop.RX_NOT_READY, "a frame while the channel is closed");
        }
    }

    /** A vRSS sub-channel: data both ways; control belongs to the primary (Linux sends it there). */
    static final class SubChannel extends NetVspChannel {
        private final NetVsp adapter;
        private volatile int relid;

        SubChannel(NetVsp adapter) {
            this.adapter = adapter;
        }

        @Override
        NetVsp adapter() {
            return adapter;
        }

        /** The channel's relid while open; 0 otherwise. */
        int relid() {
            return relid;
        }

        @Override
        protected void onOpen() {
            relid = channel().relid();
            adapter.subChannelChanged();
        }

        @Override
        protected void onClosed() {
            relid = 0;
            adapter.subChannelChanged();
        }

        @Override
        void message(Packet p, NvspMessage.FromGuest m) {
            drop(Drop.UNEXPECTED_NVSP, m.type() + " on a sub-channel");
            refusal(this, p, m);
        }

        @Override
        boolean controlRequest(RndisMessage request) {
            drop(Drop.UNEXPECTED_RNDIS, request.type() + " on a sub-channel");
            return false;
        }

        @Override
        void sectionReturned() {
            adapter.sectionReturnedElsewhere();
        }

        /** A sub-channel carries no state of its own (the adapter's is the primary's); only nothing may wait. */
        @Override
        protected byte[] saveState() {
            requireQuiet();
            return new byte[0];
        }
    }
}
