package org.viridian.devices.netvsp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.devices.netvsp.protocol.NvspMessage;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacket;
import org.viridian.devices.netvsp.protocol.NvspMessage.SendRndisPacketComplete;
import org.viridian.devices.netvsp.protocol.NvspStatus;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.GpaRange;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.TransferPageHeader;

/**
 * One of an adapter's VMBus channels, the primary ({@link NetVsp}) or a vRSS sub-channel: a queue each way. The guest
 * may transmit on any of them (SEND_RNDIS_PACKET naming a section of the one send buffer or guest pages); frames for
 * the guest go out on the channel receive-side scaling picks, in a section of the one receive buffer, and the guest
 * completes them on the same channel. Each channel has its own staging buffer and runs under its own lock; what the
 * channels share (buffers, RNDIS state, counters) is the adapter's and safe to read without its lock.
 */
abstract class NetVspChannel extends ChannelDevice {
    /**
     * While the VM is being saved the adapter holds still ({@link NetVsp#holding}): no packet is read from the guest's
     * ring, so its state stays the one saved.
     */
    @Override
    protected final boolean readyForMore() {
        return !adapter().holding();
    }

    /** Nothing may wait for room in the guest's ring when saved: the host's queue is not part of the state. */
    final void requireQuiet() {
        if (!quiet())
            throw new IllegalStateException(
                    "netvsp: answers wait for room in the guest's ring; the save is refused (try again)");
    }

    static final byte[] RNDIS_FROM_HOST =
            new SendRndisPacket(SendRndisPacket.DATA, SendRndisPacket.NO_SECTION, 0).toBytes();
    static final byte[] SEND_COMPLETE_OK = new SendRndisPacketComplete(NvspStatus.SUCCESS).toBytes();
    static final byte[] SEND_COMPLETE_FAIL = new SendRndisPacketComplete(NvspStatus.FAIL).toBytes();

    // Reused buffers: the staging area for the guest's RNDIS messages, a view of it for the port, and what a
    // transfer-page packet carries.
    private final byte[] staging = new byte[NetVsp.MAX_MESSAGE];
    final ByteBuffer stagingView = ByteBuffer.wrap(staging).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer frameView = ByteBuffer.wrap(staging);
    final byte[] xferHeaders = new byte[TransferPageHeader.SIZE];
    private final byte[] rxHeader = new byte[ReceiveBuffer.RX_HEADER];

    NetVspChannel() {
        // Its own pump thread: a VP that signals goes back to the guest at once instead of waiting for the port.
        super("netvsp", 64, true);
    }

    /** The adapter whose channel this is. */
    abstract NetVsp adapter();

    /** A message other than data, on this channel. */
    abstract void message(Packet p, NvspMessage.FromGuest m);

    /** An RNDIS control message, on this channel; false when refused. */
    abstract boolean controlRequest(RndisMessage request);

    /** After the guest gave back a receive section. */
    abstract void sectionReturned();

    final void drop(Drop reason, String why) {
        adapter().count(reason, why);
    }

    @Override
    public java.util.UUID classId() {
        return NetVsp.CLASS_ID;
    }

    @Override
    public java.util.UUID instanceId() {
        return adapter().instance();
    }

    @Override
    protected final void onPacket(Packet p) {
        switch (p.type()) {
            case Packet.DATA_INBAND, Packet.DATA_USING_GPA_DIRECT -> {
                NvspMessage.FromGuest m = parse(p);
                if (m == null) {
                    // A packet the guest waits on gets its completion anyway (Linux frees its send section on it).
                    if (p.completionRequested()) complete(p, SEND_COMPLETE_FAIL);
                } else if (m instanceof SendRndisPacket r && adapter().version() != null) {
                    rndisPacket(p, r);
                } else {
                    message(p, m);
                }
            }
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

    final void answer(Packet p, NvspMessage m) {
        if (p.completionRequested()) send(Packet.COMPLETION, 0, p.transactionId(), m.toBytes());
    }

    final void complete(Packet p, byte[] completion) {
        send(Packet.COMPLETION, 0, p.transactionId(), completion);
    }

    /** The guest completed a transfer-page packet: its receive section is free again. */
    private void completion(Packet p) {
        NvspMessage.FromGuest m = parse(p);
        if (m == null) return;
        if (!(m instanceof SendRndisPacketComplete)) {
            drop(Drop.UNEXPECTED_NVSP, m.type() + " as a completion");
            return;
        }
        ReceiveBuffer receive = adapter().receiveBuffer();
        if (receive == null || !receive.giveBack(p.transactionId())) {
            drop(Drop.BAD_COMPLETION, "completion of section " + p.transactionId() + ", which the guest does not hold");
            return;
        }
        sectionReturned();
    }

    /** SEND_RNDIS_PACKET: gathers the RNDIS bytes (section, then page ranges), handles each message, completes. */
    private void rndisPacket(Packet p, SendRndisPacket r) {
        int length = 0;
        if (r.sectionIndex() != SendRndisPacket.NO_SECTION) {
            GpaPages sendPages = adapter().sendPages();
            long count = sendPages == null ? 0 : sendPages.size() / NetVsp.SEND_SECTION_SIZE;
            if (Integer.toUnsignedLong(r.sectionIndex()) >= count
                    || Integer.compareUnsigned(r.sectionSize(), NetVsp.SEND_SECTION_SIZE) > 0) {
                drop(
                        Drop.BAD_SEND_SECTION,
                        "section " + Integer.toUnsignedString(r.sectionIndex()) + " of "
                                + Integer.toUnsignedString(r.sectionSize()) + " bytes, " + count + " sections");
                complete(p, SEND_COMPLETE_FAIL);
                return;
            }
            length = r.sectionSize();
            sendPages.read((long) r.sectionIndex() * NetVsp.SEND_SECTION_SIZE, staging, 0, length);
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
        var memory = adapter().memory();
        for (GpaRange range : ranges) {
            long left = Integer.toUnsignedLong(range.byteCount());
            if (left > staging.length - at) {
                drop(Drop.BAD_GUEST_PAGES, "more than " + NetVsp.MAX_MESSAGE + " RNDIS bytes");
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

    /** One frame of the guest's, in staging at {@code at}: checked, its offload prepared, to the port in place. */
    private boolean frameFromGuest(int at, RndisMessage.Packet packet) {
        NetVsp a = adapter();
        if (!a.rndisInitialized()) {
            drop(Drop.UNEXPECTED_RNDIS, "a data packet before RNDIS initialization");
            return false;
        }
        int length = packet.dataLength();
        int csum = packet.ppiValueAt(stagingView, at, RndisMessage.Packet.PPI_CHECKSUM);
        int lso = packet.ppiValueAt(stagingView, at, RndisMessage.Packet.PPI_LSO);
        boolean large = lso >= 0 && stagingView.getInt(lso) != 0;
        int max = large ? TransmitOffloads.MAX_LSO_FRAME : a.maxFrame();
        if (length < NetVsp.ETHERNET_HEADER || length > max) {
            drop(Drop.TX_BAD_SIZE, "a frame of " + length + " bytes, at most " + max);
            return false;
        }
        if (!a.linkUp()) {
            drop(Drop.LINK_DOWN, "transmit while the link is down");
            return true;
        }
        int start = at + packet.frameAt();
        long offload = TxOffload.NONE;
        if (csum >= 0 || lso >= 0) {
            try {
                offload = TransmitOffloads.prepare(
                        staging,
                        start,
                        length,
                        csum < 0 ? -1 : Integer.toUnsignedLong(stagingView.getInt(csum)),
                        lso < 0 ? -1 : Integer.toUnsignedLong(stagingView.getInt(lso)));
            } catch (ProtocolException e) {
                drop(Drop.BAD_OFFLOAD, e.getMessage());
                return false;
            }
            if (offload != TxOffload.NONE && !a.offloadsOffered()) {
                drop(Drop.BAD_OFFLOAD, "an offload that was not offered: " + TxOffload.toString(offload));
                return false;
            }
        }
        int vlan = packet.ppiValueAt(stagingView, at, RndisMessage.Packet.PPI_VLAN);
        if (vlan >= 0 && length + NetVsp.VLAN_TAG <= max) {
            // Linux hands the 802.1Q tag over as per-packet information (struct ndis_pkt_8021q_info: priority in
            // bits 0-2, CFI in 3, VLAN id in 4-15); the wire wants it in the frame. The RNDIS header before the frame
            // is spent, so the addresses move 4 bytes back into it and the tag goes between them and the type.
            int info = stagingView.getInt(vlan);
            int tci = (info & 7) << 13 | (info >>> 3 & 1) << 12 | (info >>> 4 & 0xFFF);
            System.arraycopy(staging, start, staging, start - NetVsp.VLAN_TAG, 12);
            start -= NetVsp.VLAN_TAG;
            length += NetVsp.VLAN_TAG;
            // Network byte order (staging's view is little-endian, for the RNDIS fields).
            staging[start + 12] = (byte) 0x81;
            staging[start + 13] = 0;
            staging[start + 14] = (byte) (tci >>> 8);
            staging[start + 15] = (byte) tci;
            offload = TxOffload.shifted(offload, NetVsp.VLAN_TAG);
        }
        frameView.limit(start + length).position(start);
        try {
            a.port().transmit(frameView, offload);
        } catch (RuntimeException e) {
            drop(Drop.PORT_ERROR, String.valueOf(e.getMessage()));
            return true;
        }
        a.countTx(length);
        return true;
    }

    /**
     * A frame for the guest (the port's thread): into a free section of {@code receive}, announced on this channel
     * with a transfer-page packet. {@code checksumInfo}: the receive checksum indication (0: none). False when this
     * channel is not open (the caller takes another); dropped frames are counted.
     */
    final synchronized boolean deliver(ReceiveBuffer receive, byte[] bytes, int off, int length, int checksumInfo) {
        if (!isOpen()) return false;
        if (adapter().holding()) {
            drop(Drop.RX_NOT_READY, "a frame while the VM is being saved");
            return true;
        }
        int section = receive.take();
        if (section < 0) {
            drop(Drop.RX_NO_SECTION, "the guest holds all " + receive.sectionCount + " receive sections");
            return true;
        }
        int written = receive.writeFrame(section, bytes, off, length, checksumInfo, rxHeader);
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
            return true;
        }
        adapter().countRx(length);
        return true;
    }
}
