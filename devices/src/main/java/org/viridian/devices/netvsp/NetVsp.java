package org.viridian.devices.netvsp;

import static java.lang.System.Logger.Level.DEBUG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.devices.netvsp.protocol.NvspMessage;
import org.viridian.devices.netvsp.protocol.NvspMessage.Init;
import org.viridian.devices.netvsp.protocol.NvspMessage.InitComplete;
import org.viridian.devices.netvsp.protocol.NvspMessage.ReceiveBufferSection;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacket;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacketComplete;
import org.viridian.devices.netvsp.protocol.NvspStatus;
import org.viridian.devices.netvsp.protocol.NvspVersion;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.GpaRange;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.TransferPageHeader;

/**
 * The synthetic network adapter's host side (NetVSP), as Linux's hv_netvsc and Windows' netvsc drive it over one VMBus
 * channel: NVSP version negotiation (newest common of 1 … 6.1), the guest's NDIS version and configuration (its MTU),
 * its receive and send buffers (GPADLs), then RNDIS: control messages (initialize, query/set OIDs, keep-alive, halt,
 * reset) and data.
 *
 * <p>Guest to port: a SEND_RNDIS_PACKET names a send-buffer section and/or carries GPA ranges; the RNDIS messages
 * there (several when the guest batches) are copied into one reused staging buffer, each packet's frame is handed to
 * the {@link NetworkPort} in place, and the NVSP packet is completed. Port to guest: the frame is written as an RNDIS
 * packet into a free receive-buffer section and announced with a transfer-page packet; the guest's completion frees the
 * section. RNDIS answers and link indications travel the same way. Neither direction allocates per frame.
 *
 * <p>A guest that breaks the protocol gets its message refused or dropped and counted ({@link #counters()}); only a
 * damaged ring fails the channel (the VMBus server rescinds it). One queue: no sub-channels (vRSS) and no offloads
 * (checksum, LSO, RSC) yet; the capabilities the guest queries say so.
 */
public final class NetVsp extends ChannelDevice {
    private static final System.Logger LOG = System.getLogger(NetVsp.class.getName());

    /** The synthetic network adapter's VMBus class (Hyper-V's "Network Adapter"). */
    public static final UUID CLASS_ID = UUID.fromString("f8615163-df3e-46c5-913f-f2d2f965ed0e");

    /** The send-buffer section size the host picks (Linux's own default, NETVSC_SEND_SECTION_SIZE). */
    static final int SEND_SECTION_SIZE = 6144;
    /** The most RNDIS bytes one NVSP packet may bring (a 64 KiB frame with its headers fits). */
    static final int MAX_MESSAGE = 128 << 10;
    /** Control answers waiting for a receive section; beyond this the guest is not returning sections. */
    static final int CONTROL_BACKLOG = 64;

    static final int ETHERNET_HEADER = 14, VLAN_TAG = 4, DEFAULT_MTU = 1500;

    private final GuestMemory memory;
    private final UUID instance;
    private final NetworkPort port;
    private final int mtu;
    private final RndisControl rndis;

    // Per opening of the channel (reset on open and close).
    private NvspVersion version;
    /** The guest's MTU from its NDIS configuration, Ethernet header included (0: none sent). */
    private int guestMtu;

    private ReceiveBuffer receive;
    private GpaPages sendPages;
    private int sendId;
    private final ArrayDeque<byte[]> controlBacklog = new ArrayDeque<>();

    // Reused buffers: the staging area for the guest's RNDIS messages, a view of it for the port, and what a
    // transfer-page packet carries.
    private final byte[] staging = new byte[MAX_MESSAGE];
    private final ByteBuffer stagingView = ByteBuffer.wrap(staging).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer frameView = ByteBuffer.wrap(staging);
    private final byte[] rxCopy = new byte[MAX_MESSAGE];
    private final byte[] xferHeaders = new byte[TransferPageHeader.SIZE];
    private static final byte[] RNDIS_FROM_HOST =
            new SendRndisPacket(SendRndisPacket.DATA, SendRndisPacket.NO_SECTION, 0).toBytes();
    private static final byte[] SEND_COMPLETE_OK = new SendRndisPacketComplete(NvspStatus.SUCCESS).toBytes();
    private static final byte[] SEND_COMPLETE_FAIL = new SendRndisPacketComplete(NvspStatus.FAIL).toBytes();

    private boolean linkUp = true;
    private long txFrames, txBytes, rxFrames, rxBytes;
    private final long[] drops = new long[Drop.values().length];

    /**
     * An adapter with MAC address {@code mac} (6 bytes) and a 1500-byte MTU whose frames go to and come from
     * {@code port}. {@code memory} is the VM's RAM (the guest's GPA ranges point there).
     */
    public NetVsp(GuestMemory memory, UUID instanceId, byte[] mac, NetworkPort port) {
        this(memory, instanceId, mac, port, DEFAULT_MTU);
    }

    /** An adapter with an MTU other than 1500 (68 … 65521; Linux takes the smaller of its own and this). */
    public NetVsp(GuestMemory memory, UUID instanceId, byte[] mac, NetworkPort port, int mtu) {
        // Its own pump thread: a VP that signals goes back to the guest at once instead of waiting for the port.
        super("netvsp", 64, true);
        if (mac.length != 6) throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        if ((mac[0] & 1) != 0) throw new IllegalArgumentException("a multicast MAC address cannot be an adapter's");
        if (mtu < 68 || mtu > 65535 - ETHERNET_HEADER) throw new IllegalArgumentException("MTU " + mtu);
        this.memory = memory;
        this.instance = instanceId;
        this.port = port;
        this.mtu = mtu;
        this.rndis = new RndisControl(mac, mtu, MAX_MESSAGE);
        port.attach(new NetworkPort.Receiver() {
            @Override
            public void receive(ByteBuffer frame) {
                fromPort(frame);
            }

            @Override
            public void linkChanged(boolean up) {
                setLink(up);
            }
        });
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    /** What this adapter moved and dropped so far. */
    public synchronized NetVspCounters counters() {
        Map<Drop, Long> d = new EnumMap<>(Drop.class);
        for (Drop r : Drop.values()) if (drops[r.ordinal()] != 0) d.put(r, drops[r.ordinal()]);
        return new NetVspCounters(txFrames, txBytes, rxFrames, rxBytes, d);
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

    public synchronized boolean linkUp() {
        return linkUp;
    }

    /** The NVSP version the guest and this adapter agreed on; null before that. */
    public synchronized NvspVersion version() {
        return version;
    }

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
    }

    private void drop(Drop reason, String why) {
        drops[reason.ordinal()]++;
        LOG.log(DEBUG, () -> "netvsp " + instance + ": " + reason + ": " + why);
    }

    /** The largest frame either side may send: the larger of the guest's and the adapter's MTU, and a VLAN tag. */
    private int maxFrame() {
        return Math.max(guestMtu, mtu + ETHERNET_HEADER) + VLAN_TAG;
    }

    // ---- Guest to host ----

    @Override
    protected void onPacket(Packet p) {
        switch (p.type()) {
            case Packet.DATA_INBAND, Packet.DATA_USING_GPA_DIRECT -> message(p);
            case Packet.COMPLETION -> completion(p);
            default -> drop(Drop.UNEXPECTED_PACKET_TYPE, "VMBus packet type " + p.type());
        }
    }

    private NvspMessage.FromGuest parse(Packet p) {
        try {
            int length = p.bytes().length - p.dataOffset();
            return NvspMessage.parseFromGuest(
                    ByteBuffer.wrap(p.bytes(), p.dataOffset(), length).slice(), length);
        } catch (ProtocolException e) {
            drop(Drop.MALFORMED_NVSP, e.getMessage());
            return null;
        }
    }

    private void message(Packet p) {
        NvspMessage.FromGuest m = parse(p);
        if (m == null) {
            // A packet the guest waits on gets its completion anyway (Linux frees its send section on it).
            if (p.completionRequested()) complete(p, SEND_COMPLETE_FAIL);
            return;
        }
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
            case SendRndisPacket r -> rndisPacket(p, r);
            case NvspMessage.SwitchDataPath d -> {} // no VF: the synthetic path is the only one
            case NvspMessage.SubChannelRequest s ->
                // Sub-channels (vRSS) are not offered: the RSS capabilities say one queue, so Linux does not ask.
                answer(p, new NvspMessage.SubChannelComplete(NvspStatus.FAIL, 0));
            case SendRndisPacketComplete c -> refuse(p, m, "a completion sent as a data packet");
        }
    }

    /** A well-formed message at the wrong time: counted, and completed with a failure if the guest waits on it. */
    private void refuse(Packet p, NvspMessage m, String why) {
        drop(Drop.UNEXPECTED_NVSP, m.type() + ": " + why);
        if (!p.completionRequested()) return;
        switch (m) {
            case Init i -> answer(p, new InitComplete(0, 0, NvspStatus.FAIL));
            case NvspMessage.SendReceiveBuffer b ->
                answer(p, new NvspMessage.SendReceiveBufferComplete(NvspStatus.FAIL, List.of()));
            case NvspMessage.SendSendBuffer b -> answer(p, new NvspMessage.SendSendBufferComplete(NvspStatus.FAIL, 0));
            case NvspMessage.SubChannelRequest s -> answer(p, new NvspMessage.SubChannelComplete(NvspStatus.FAIL, 0));
            default -> complete(p, SEND_COMPLETE_FAIL);
        }
    }

    private void answer(Packet p, NvspMessage m) {
        if (p.completionRequested()) send(Packet.COMPLETION, 0, p.transactionId(), m.toBytes());
    }

    private void complete(Packet p, byte[] completion) {
        send(Packet.COMPLETION, 0, p.transactionId(), completion);
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
     * largest frame with its RNDIS header.
     */
    private void receiveBuffer(Packet p, NvspMessage.SendReceiveBuffer b) {
        if (receive != null) {
            refuse(p, b, "a receive buffer is already there");
            return;
        }
        GpaPages pages = channel().gpadl(b.gpadl()).orElse(null);
        int slot = (RndisMessage.Packet.FRAME_OFFSET + maxFrame() + 63) & ~63;
        ReceiveBuffer r = pages == null ? null : ReceiveBuffer.carve(b.id(), pages, slot);
        if (r == null) {
            refuse(p, b, pages == null ? "unknown GPADL " + b.gpadl() : "buffer smaller than a " + slot + "-byte slot");
            return;
        }
        receive = r;
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
        answer(p, new NvspMessage.SendSendBufferComplete(NvspStatus.SUCCESS, SEND_SECTION_SIZE));
    }

    /** SEND_RNDIS_PACKET: gathers the RNDIS bytes (section, then page ranges), handles each message, completes. */
    private void rndisPacket(Packet p, SendRndisPacket r) {
        int length = 0;
        if (r.sectionIndex() != SendRndisPacket.NO_SECTION) {
            long count = sendPages == null ? 0 : sendPages.size() / SEND_SECTION_SIZE;
            if (Integer.toUnsignedLong(r.sectionIndex()) >= count
                    || Integer.compareUnsigned(r.sectionSize(), SEND_SECTION_SIZE) > 0) {
                drop(
                        Drop.BAD_SEND_SECTION,
                        "section " + Integer.toUnsignedString(r.sectionIndex()) + " of "
                                + Integer.toUnsignedString(r.sectionSize()) + " bytes, " + count + " sections");
                complete(p, SEND_COMPLETE_FAIL);
                return;
            }
            length = r.sectionSize();
            sendPages.read((long) r.sectionIndex() * SEND_SECTION_SIZE, staging, 0, length);
        }
        if (p.type() == Packet.DATA_USING_GPA_DIRECT) {
            // A range list no guest writes is ring damage: GpaRange.parse throws and the channel fails.
            length = gather(GpaRange.parse(p), length);
            if (length < 0) {
                complete(p, SEND_COMPLETE_FAIL);
                return;
            }
        }
        boolean ok = length > 0 && messages(length);
        if (length == 0) drop(Drop.MALFORMED_RNDIS, "SEND_RNDIS_PACKET without RNDIS bytes");
        complete(p, ok ? SEND_COMPLETE_OK : SEND_COMPLETE_FAIL);
    }

    /** Copies the ranges' bytes into staging after {@code at}; the new length, or -1 (counted) when refused. */
    private int gather(List<GpaRange> ranges, int at) {
        for (GpaRange range : ranges) {
            long left = Integer.toUnsignedLong(range.byteCount());
            if (left > staging.length - at) {
                drop(Drop.BAD_GUEST_PAGES, "more than " + MAX_MESSAGE + " RNDIS bytes");
                return -1;
            }
            long offset = range.byteOffset();
            for (long pfn : range.pfns()) {
                if (left == 0) break;
                int n = (int) Math.min(4096 - offset, left);
                long gpa = pfn << 12;
                if (pfn < 0 || pfn > (Long.MAX_VALUE >> 12) || !memory.contains(gpa + offset, n)) {
                    drop(Drop.BAD_GUEST_PAGES, String.format("page 0x%x is outside the guest's RAM", pfn));
                    return -1;
                }
                MemorySegment.copy(memory.slice(gpa + offset, n), ValueLayout.JAVA_BYTE, 0, staging, at, n);
                at += n;
                left -= n;
                offset = 0;
            }
        }
        return at;
    }

    /** Handles the RNDIS messages in staging[0, length); false when one was refused. */
    private boolean messages(int length) {
        boolean ok = true;
        int at = 0;
        while (at < length) {
            RndisMessage m;
            try {
                m = RndisMessage.parse(stagingView.position(at), length - at);
            } catch (ProtocolException e) {
                drop(Drop.MALFORMED_RNDIS, e.getMessage());
                return false;
            }
            ok &= switch (m) {
                case RndisMessage.Packet packet -> frameFromGuest(at, packet);
                case RndisMessage.InitializeRequest r -> controlRequest(m);
                case RndisMessage.QueryRequest r -> controlRequest(m);
                case RndisMessage.SetRequest r -> controlRequest(m);
                case RndisMessage.KeepaliveRequest r -> controlRequest(m);
                case RndisMessage.ResetRequest r -> controlRequest(m);
                case RndisMessage.HaltRequest r -> controlRequest(m);
                default -> {
                    drop(Drop.UNEXPECTED_RNDIS, m.type() + " from the guest");
                    yield false;
                }
            };
            at += m.size();
        }
        return ok;
    }

    private boolean controlRequest(RndisMessage request) {
        RndisMessage answer = rndis.answer(request, version, linkUp);
        if (answer != null) control(answer.toBytes());
        return true;
    }

    /** One frame of the guest's, in staging at {@code at}: to the port, read in place. */
    private boolean frameFromGuest(int at, RndisMessage.Packet packet) {
        if (!rndis.initialized()) {
            drop(Drop.UNEXPECTED_RNDIS, "a data packet before RNDIS initialization");
            return false;
        }
        int length = packet.dataLength();
        if (length < ETHERNET_HEADER || length > maxFrame()) {
            drop(Drop.TX_BAD_SIZE, "a frame of " + length + " bytes, at most " + maxFrame());
            return false;
        }
        if (!linkUp) {
            drop(Drop.LINK_DOWN, "transmit while the link is down");
            return true;
        }
        int start = at + packet.frameAt();
        int vlan = packet.ppiValueAt(stagingView, at, RndisMessage.Packet.PPI_VLAN);
        if (vlan >= 0 && length + VLAN_TAG <= maxFrame()) {
            // Linux hands the 802.1Q tag over as per-packet information (struct ndis_pkt_8021q_info: priority in
            // bits 0-2, CFI in 3, VLAN id in 4-15); the wire wants it in the frame. The RNDIS header before the frame
            // is spent, so the addresses move 4 bytes back into it and the tag goes between them and the type.
            int info = stagingView.getInt(vlan);
            int tci = (info & 7) << 13 | (info >>> 3 & 1) << 12 | (info >>> 4 & 0xFFF);
            System.arraycopy(staging, start, staging, start - VLAN_TAG, 12);
            start -= VLAN_TAG;
            length += VLAN_TAG;
            // Network byte order (staging's view is little-endian, for the RNDIS fields).
            staging[start + 12] = (byte) 0x81;
            staging[start + 13] = 0;
            staging[start + 14] = (byte) (tci >>> 8);
            staging[start + 15] = (byte) tci;
        }
        frameView.limit(start + length).position(start);
        try {
            port.transmit(frameView);
        } catch (RuntimeException e) {
            drop(Drop.PORT_ERROR, String.valueOf(e.getMessage()));
            return true;
        }
        txFrames++;
        txBytes += length;
        return true;
    }

    /** The guest completed a transfer-page packet: its receive section is free again. */
    private void completion(Packet p) {
        NvspMessage.FromGuest m = parse(p);
        if (m == null) return;
        if (!(m instanceof SendRndisPacketComplete)) {
            drop(Drop.UNEXPECTED_NVSP, m.type() + " as a completion");
            return;
        }
        if (receive == null || !receive.giveBack(p.transactionId())) {
            drop(Drop.BAD_COMPLETION, "completion of section " + p.transactionId() + ", which the guest does not hold");
            return;
        }
        flushControl();
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
        while (!controlBacklog.isEmpty() && receive != null) {
            int section = receive.take();
            if (section < 0) return;
            byte[] message = controlBacklog.poll();
            receive.write(section, message);
            TransferPageHeader.write(xferHeaders, receive.id, message.length, (int) receive.offset(section));
            // Answers must not be lost: a full ring queues them in order.
            send(Packet.DATA_USING_XFER_PAGES, Packet.FLAG_COMPLETION_REQUESTED, section, xferHeaders, RNDIS_FROM_HOST);
        }
    }

    /** A frame from the port (its thread): into a free receive section, announced with a transfer-page packet. */
    private synchronized void fromPort(ByteBuffer frame) {
        int length = frame.remaining();
        if (!isOpen() || receive == null || !rndis.initialized()) {
            drop(Drop.RX_NOT_READY, "a frame before the guest is ready");
            return;
        }
        if (!linkUp) {
            drop(Drop.LINK_DOWN, "a frame while the link is down");
            return;
        }
        if (length < ETHERNET_HEADER || length > maxFrame() || length > receive.sectionSize - 44) {
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
        int section = receive.take();
        if (section < 0) {
            drop(Drop.RX_NO_SECTION, "the guest holds all " + receive.sectionCount + " receive sections");
            return;
        }
        int written = receive.writeFrame(section, bytes, off, length);
        TransferPageHeader.write(xferHeaders, receive.id, written, (int) receive.offset(section));
        // A frame late is worth little: when the ring is full it is dropped, as a NIC drops on a full queue.
        if (!trySend(
                Packet.DATA_USING_XFER_PAGES,
                Packet.FLAG_COMPLETION_REQUESTED,
                section,
                xferHeaders,
                RNDIS_FROM_HOST)) {
            receive.giveBack(section);
            drop(Drop.RX_RING_FULL, "no room in the guest's ring");
            return;
        }
        rxFrames++;
        rxBytes += length;
    }
}
