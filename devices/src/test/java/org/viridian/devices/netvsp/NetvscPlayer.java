package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * The guest's side of a NetVSP channel, played from Linux's hv_netvsc (netvsc.c, rndis_filter.c): real rings, a
 * receive and a send buffer as GPADLs in real guest memory, NVSP messages and RNDIS messages laid out by hand from the
 * C structs (not through the host's records), in the order Linux sends them.
 */
final class NetvscPlayer implements AutoCloseable {
    /** NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE (108) with status success: what a guest returns a receive section with. */
    static final byte[] RECEIVE_COMPLETION = ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putInt(0, 108)
            .putInt(4, 1)
            .array();

    static final int NVSP_SIZE = 40;
    static final int RECV_GPADL = 0xA001, SEND_GPADL = 0xA002, RECV_ID = 0xCAFE;
    static final long OUT_PFN = 0x100, IN_PFN = 0x120, RECV_PFN = 0x1000, SEND_PFN = 0x3000, CONTROL_PFN = 0x3800;
    static final long DATA_GPA = 0x400000;
    static final int[] VERSIONS = {0x60001, 0x60000, 0x50000, 0x40000, 0x30002, 0x2};
    static final byte[] MAC = {0x00, 0x15, 0x5d, 0x12, 0x34, 0x56};

    final GuestMemory memory = GuestMemory.allocate(64L << 20);
    final Map<Integer, GpaPages> gpadls = new ConcurrentHashMap<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger signals = new AtomicInteger();
    /** The adapter the guest talks to (another after {@link #restoreOnto}). */
    NetVsp vsp;

    private final int mtu, queues;
    private static final UUID INSTANCE = UUID.fromString("5a0d1f9e-7e57-4c3b-9d1a-0000000000ee");
    /** The sub-channels the VSP offered (OpenChannel's subChannels consumer), in order. */
    final List<VmbusDevice> offered = new CopyOnWriteArrayList<>();

    private RingBuffer out, in;
    private long transaction = 1000;
    private int requestId;

    /** Host packets read while waiting for something else (RNDIS answers come as transfer-page packets). */
    private final ArrayDeque<Packet> pending = new ArrayDeque<>();

    int version, recvSectionSize, recvSectionCount, sendSectionSize;
    final GpaPages recvBuffer, sendBuffer;

    NetvscPlayer(NetworkPort port, int recvPages, int mtu) {
        this(port, recvPages, mtu, 1);
    }

    NetvscPlayer(NetworkPort port, int recvPages, int mtu, int queues) {
        recvBuffer = pages(RECV_PFN, recvPages);
        sendBuffer = pages(SEND_PFN, 16);
        gpadls.put(RECV_GPADL, recvBuffer);
        gpadls.put(SEND_GPADL, sendBuffer);
        this.mtu = mtu;
        this.queues = queues;
        vsp = new NetVsp(memory, INSTANCE, MAC, port, mtu, queues);
        open();
    }

    /**
     * The host side goes (the old adapter is closed: it touches the rings no more) and a fresh adapter on {@code port}
     * takes {@code saved}, opened again on the same rings and GPADLs, as in a VM restored from its state file; the
     * guest talks to it from now on, with nothing of its own reset.
     */
    void restoreOnto(NetworkPort port, byte[] saved) {
        vsp.closed();
        vsp = new NetVsp(memory, INSTANCE, MAC, port, mtu, queues);
        vsp.restore(
                new OpenChannel(
                        7,
                        new RingBuffer(pages(OUT_PFN, 32)),
                        new RingBuffer(pages(IN_PFN, 32)),
                        signals::incrementAndGet,
                        failures::add,
                        offered::add,
                        gpadls::get),
                saved);
    }

    /** Sub-channel {@code index} of the restored adapter, opened again on the rings {@link #openSubChannel} gave it. */
    Sub restoreSubChannel(int index, int relid, byte[] saved) {
        VmbusDevice device = vsp.restoredSubChannel(index);
        long pfn = 0x140 + 0x40L * index;
        device.restore(
                new OpenChannel(
                        relid,
                        new RingBuffer(pages(pfn, 32)),
                        new RingBuffer(pages(pfn + 32, 32)),
                        signals::incrementAndGet,
                        failures::add,
                        d -> {},
                        gpadls::get),
                saved);
        return new Sub(device, new RingBuffer(pages(pfn, 32)), new RingBuffer(pages(pfn + 32, 32)));
    }

    /** Opens (again) the channel, as vmbus_open does before netvsc_connect_vsp. */
    void open() {
        out = new RingBuffer(pages(OUT_PFN, 32));
        in = new RingBuffer(pages(IN_PFN, 32));
        // Fresh rings: zero the control pages and the indices.
        memory.write(OUT_PFN << 12, new byte[32 * 4096]);
        memory.write(IN_PFN << 12, new byte[32 * 4096]);
        pending.clear();
        vsp.opened(new OpenChannel(
                7,
                new RingBuffer(pages(OUT_PFN, 32)),
                new RingBuffer(pages(IN_PFN, 32)),
                signals::incrementAndGet,
                failures::add,
                offered::add,
                gpadls::get));
    }

    /**
     * The guest's side of offered sub-channel {@code index} (1, 2, …), opened as netvsc_sc_open does with rings of its
     * own; {@code relid} orders it among the others, as the VMBus server's relids do.
     */
    Sub openSubChannel(int index, int relid) {
        VmbusDevice device = offered.get(index - 1);
        long pfn = 0x140 + 0x40L * index;
        memory.write(pfn << 12, new byte[64 * 4096]);
        Sub sub = new Sub(device, new RingBuffer(pages(pfn, 32)), new RingBuffer(pages(pfn + 32, 32)));
        device.opened(new OpenChannel(
                relid,
                new RingBuffer(pages(pfn, 32)),
                new RingBuffer(pages(pfn + 32, 32)),
                signals::incrementAndGet,
                failures::add,
                d -> {},
                gpadls::get));
        return sub;
    }

    /** A sub-channel's rings, seen from the guest. */
    final class Sub {
        final VmbusDevice device;
        private final RingBuffer out, in;

        Sub(VmbusDevice device, RingBuffer out, RingBuffer in) {
            this.device = device;
            this.out = out;
            this.in = in;
        }

        long write(int type, int flags, byte[] headers, byte[] data) {
            long id = ++transaction;
            assertThat(out.write(type, flags, id, headers, data)).isNotEqualTo(RingBuffer.WriteResult.FULL);
            device.guestSignalled();
            return id;
        }

        /** The next packet on this sub-channel, or empty. */
        Optional<Packet> poll() {
            return in.read();
        }

        Packet await() {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                Optional<Packet> p = in.read();
                if (p.isPresent()) return p.get();
                Thread.onSpinWait();
            }
            throw new AssertionError("no packet on the sub-channel within 5 s");
        }

        /** A frame in send section {@code section}, sent on this sub-channel; the completion's status. */
        int sendInSection(int section, byte[] message) {
            sendBuffer.write((long) section * sendSectionSize, message, 0, message.length);
            ByteBuffer m = nvsp(107).putInt(4, 0).putInt(8, section).putInt(12, message.length);
            long id = write(Packet.DATA_INBAND, Packet.FLAG_COMPLETION_REQUESTED, new byte[0], m.array());
            Packet c = await();
            assertThat(c.type()).isEqualTo(Packet.COMPLETION);
            assertThat(c.transactionId()).isEqualTo(id);
            return ByteBuffer.wrap(c.data()).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
        }

        /** Completes a receive section on this sub-channel. */
        void ack(Received r) {
            out.write(Packet.COMPLETION, 0, r.transactionId(), new byte[0], RECEIVE_COMPLETION);
            device.guestSignalled();
        }
    }

    void closeChannel() {
        vsp.closed();
    }

    private GpaPages pages(long pfn, int count) {
        long[] pfns = new long[count];
        for (int i = 0; i < count; i++) pfns[i] = pfn + i;
        return new GpaPages(memory, pfns);
    }

    static ByteBuffer nvsp(int type) {
        return ByteBuffer.allocate(NVSP_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    /** Writes a packet to the host and signals; returns its transaction id. */
    long write(int type, int flags, byte[] headers, byte[] data) {
        long id = ++transaction;
        assertThat(out.write(type, flags, id, headers, data)).isNotEqualTo(RingBuffer.WriteResult.FULL);
        vsp.guestSignalled();
        settle();
        return id;
    }

    /**
     * Waits until the VSP's pump thread has handled everything written: it advances the read index under the
     * device's lock, so once the ring reads empty, taking that lock waits for the rest of its pass.
     */
    void settle() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (out.writerFreeSpace() != out.dataSize() && System.nanoTime() < deadline) Thread.onSpinWait();
        synchronized (vsp) {
            // the pump's pass holds the device's lock (ChannelDevice.pumpPackets) until it is done
        }
    }

    /** An in-band NVSP message that wants a completion; returns the completion's data. */
    ByteBuffer call(ByteBuffer message) {
        long id = write(Packet.DATA_INBAND, Packet.FLAG_COMPLETION_REQUESTED, new byte[0], message.array());
        return completion(id);
    }

    void post(ByteBuffer message) {
        write(Packet.DATA_INBAND, 0, new byte[0], message.array());
    }

    /** The completion of transaction {@code id}, leaving other packets for later. */
    ByteBuffer completion(long id) {
        Packet p = awaitPacket(q -> q.type() == Packet.COMPLETION && q.transactionId() == id);
        return ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN);
    }

    interface Match {
        boolean test(Packet p);
    }

    Packet awaitPacket(Match match) {
        for (var it = pending.iterator(); it.hasNext(); ) {
            Packet p = it.next();
            if (match.test(p)) {
                it.remove();
                return p;
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Packet> p = in.read();
            if (p.isEmpty()) {
                Thread.onSpinWait();
                continue;
            }
            if (match.test(p.get())) return p.get();
            pending.add(p.get());
        }
        throw new AssertionError("no matching packet from the VSP within 5 s; pending " + pending.size());
    }

    Optional<Packet> poll() {
        if (!pending.isEmpty()) return Optional.of(pending.poll());
        return in.read();
    }

    /** netvsc_connect_vsp, netvsc_init_buf: versions newest first, NDIS config and version, the two buffers. */
    void connect(int mtu, int... versions) {
        for (int v : versions) {
            ByteBuffer init = nvsp(1).putInt(4, v).putInt(8, v);
            ByteBuffer c = call(init);
            assertThat(c.getInt(0)).isEqualTo(2); // INIT_COMPLETE
            if (c.getInt(12) == 1) {
                version = v;
                break;
            }
        }
        assertThat(version).as("a version was agreed").isNotZero();
        if (version != 2) {
            long caps = 8 | (version >= 0x50000 ? 4 | 32 : 0) | (version >= 0x60001 ? 128 : 0);
            post(nvsp(125).putInt(4, mtu + 14).putLong(12, caps));
        }
        post(nvsp(100).putInt(4, 6).putInt(8, version <= 0x40000 ? 1 : 30));
        ByteBuffer r = call(nvsp(101).putInt(4, RECV_GPADL).putShort(8, (short) RECV_ID));
        assertThat(r.getInt(0)).isEqualTo(102);
        assertThat(r.getInt(4)).as("receive buffer status").isEqualTo(1);
        assertThat(r.getInt(8)).as("sections").isEqualTo(1);
        assertThat(r.getInt(12)).as("first section's offset").isZero();
        recvSectionSize = r.getInt(16);
        recvSectionCount = r.getInt(20);
        assertThat((long) recvSectionSize * recvSectionCount).isLessThanOrEqualTo(recvBuffer.size());
        assertThat(recvSectionSize).isGreaterThanOrEqualTo(68);
        ByteBuffer s = call(nvsp(104).putInt(4, SEND_GPADL).putShort(8, (short) 0));
        assertThat(s.getInt(0)).isEqualTo(105);
        assertThat(s.getInt(4)).as("send buffer status").isEqualTo(1);
        sendSectionSize = s.getInt(8);
    }

    // ---- RNDIS ----

    /** A received RNDIS message: its bytes (copied out of the receive buffer) and the packet to complete. */
    record Received(ByteBuffer message, long transactionId, int offset) {
        int type() {
            return message.getInt(0);
        }
    }

    /** The next transfer-page packet: checks its header against the receive buffer and copies the message out. */
    Received receive() {
        Packet p = awaitPacket(q -> q.type() == Packet.DATA_USING_XFER_PAGES);
        return read(p);
    }

    Received read(Packet p) {
        ByteBuffer h = p.extraHeaders();
        assertThat(Short.toUnsignedInt(h.getShort(0))).as("transfer page set").isEqualTo(RECV_ID);
        assertThat(h.getInt(4)).as("ranges").isEqualTo(1);
        int count = h.getInt(8), offset = h.getInt(12);
        assertThat((long) offset + count).isLessThanOrEqualTo(recvBuffer.size());
        ByteBuffer nv = ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(nv.getInt(0)).as("NVSP type").isEqualTo(107);
        assertThat(nv.getInt(8)).as("no send section").isEqualTo(-1);
        byte[] bytes = new byte[count];
        recvBuffer.read(offset, bytes, 0, count);
        return new Received(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), p.transactionId(), offset);
    }

    /** Completes a transfer-page packet (enq_receive_complete: an 8-byte NVSP message in a completion packet). */
    void ack(Received r) {
        out.write(Packet.COMPLETION, 0, r.transactionId(), new byte[0], RECEIVE_COMPLETION);
        vsp.guestSignalled();
        settle();
    }

    /**
     * rndis_filter_send_request: the message sits in guest memory and goes as a page buffer (one GPA range per page it
     * touches) with channel type 1 (control); returns the answer, acked.
     */
    ByteBuffer request(ByteBuffer rndis) {
        long gpa = (CONTROL_PFN << 12) + 4000; // crosses a page boundary, as Linux's requests may
        memory.write(gpa, rndis.array());
        long id = sendPages(1, gpa, rndis.capacity());
        ByteBuffer c = completion(id);
        assertThat(c.getInt(0)).isEqualTo(108);
        assertThat(c.getInt(4)).as("RNDIS packet status").isEqualTo(1);
        Received r = receive();
        ack(r);
        return r.message();
    }

    /** SEND_RNDIS_PACKET with no section and the bytes at {@code gpa} as one range per page; the transaction id. */
    long sendPages(int channelType, long gpa, int length) {
        ByteBuffer headers =
                ByteBuffer.allocate(8 + 24 * ((length + 4095) / 4096 + 1)).order(ByteOrder.LITTLE_ENDIAN);
        int ranges = 0, at = 8;
        long cur = gpa;
        int left = length;
        while (left > 0) {
            int in = (int) (cur & 4095), n = Math.min(left, 4096 - in);
            headers.putInt(at, n).putInt(at + 4, in).putLong(at + 8, cur >>> 12);
            at += 16;
            ranges++;
            cur += n;
            left -= n;
        }
        headers.putInt(4, ranges);
        byte[] h = new byte[at];
        headers.get(0, h);
        ByteBuffer m = nvsp(107).putInt(4, channelType).putInt(8, -1).putInt(12, 0);
        return write(Packet.DATA_USING_GPA_DIRECT, Packet.FLAG_COMPLETION_REQUESTED, h, m.array());
    }

    static ByteBuffer rndis(int type, int length) {
        return ByteBuffer.allocate(length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, type)
                .putInt(4, length);
    }

    ByteBuffer rndisInit() {
        ByteBuffer m =
                rndis(2, 24).putInt(8, ++requestId).putInt(12, 1).putInt(16, 0).putInt(20, 0x4000);
        ByteBuffer a = request(m);
        assertThat(a.getInt(0)).isEqualTo(0x80000002);
        assertThat(a.getInt(8)).isEqualTo(requestId);
        return a;
    }

    /** A query with an optional in-buffer (Linux sends the offload and RSS objects' headers); the information. */
    Query query(int oid, byte[] in) {
        ByteBuffer m = rndis(4, 28 + in.length)
                .putInt(8, ++requestId)
                .putInt(12, oid)
                .putInt(16, in.length)
                .putInt(20, 20);
        m.put(28, in);
        ByteBuffer a = request(m);
        assertThat(a.getInt(0)).isEqualTo(0x80000004);
        assertThat(a.getInt(8)).isEqualTo(requestId);
        int length = a.getInt(16), offset = a.getInt(20);
        assertThat(offset).as("info offset past the struct").isGreaterThanOrEqualTo(16);
        assertThat(8L + offset + length).isLessThanOrEqualTo(a.getInt(4));
        byte[] info = new byte[length];
        a.get(8 + offset, info);
        return new Query(a.getInt(12), info);
    }

    record Query(int status, byte[] info) {
        int u32() {
            return ByteBuffer.wrap(info).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        }
    }

    int set(int oid, byte[] value) {
        ByteBuffer m = rndis(5, 28 + value.length)
                .putInt(8, ++requestId)
                .putInt(12, oid)
                .putInt(16, value.length)
                .putInt(20, 20);
        m.put(28, value);
        ByteBuffer a = request(m);
        assertThat(a.getInt(0)).isEqualTo(0x80000005);
        assertThat(a.getInt(8)).isEqualTo(requestId);
        return a.getInt(12);
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, v)
                .array();
    }

    /** rndis_filter_device_add's sequence, then rndis_filter_open's packet filter. */
    void rndisUp() {
        rndisInit();
        query(0x00010106, new byte[0]); // maximum frame size
        query(0x01010101, new byte[0]); // permanent address
        query(0x00020216, new byte[0]); // friendly name
        byte[] hw = new byte[156]; // sizeof(struct ndis_offload) in Linux
        hw[0] = (byte) 0xA7;
        hw[1] = 3;
        hw[2] = (byte) 156;
        assertThat(query(0xFC01020D, hw).info().length)
                .as("rndis_filter_query_device fails (-1) an answer longer than the caller's struct ndis_offload")
                .isLessThanOrEqualTo(156);
        assertThat(set(0xFC01020C, new byte[28])).isZero(); // offload parameters
        query(0x00010114, new byte[0]); // media connect status
        assertThat(set(0x0001010E, u32(0x1 | 0x4 | 0x8))).isZero(); // directed | all multicast | broadcast
    }

    /** Everything Linux does to bring the adapter up. */
    void up(int mtu) {
        connect(mtu, VERSIONS);
        rndisUp();
    }

    /** An RNDIS packet message around {@code frame} with a hash per-packet-info (as Linux adds one), 8-aligned. */
    static byte[] packetMessage(byte[] frame) {
        int ppi = 12 + 4, length = (44 + ppi + frame.length + 7) & ~7;
        ByteBuffer m = rndis(1, length)
                .putInt(8, 36 + ppi)
                .putInt(12, frame.length)
                .putInt(28, 36)
                .putInt(32, ppi);
        m.putInt(44, ppi).putInt(48, 8).putInt(52, 12).putInt(56, 0x12345678);
        m.put(8 + 36 + ppi, frame);
        return m.array();
    }

    /**
     * An RNDIS packet message around {@code frame} with per-packet information entries given as (type, u32 value)
     * pairs, as netvsc_xmit adds them (checksum, LSO, VLAN, hash).
     */
    static byte[] packetMessage(byte[] frame, int... typeValue) {
        int ppi = 16 * (typeValue.length / 2), length = (44 + ppi + frame.length + 7) & ~7;
        ByteBuffer m = rndis(1, length)
                .putInt(8, 36 + ppi)
                .putInt(12, frame.length)
                .putInt(28, 36)
                .putInt(32, ppi);
        for (int i = 0; i < typeValue.length / 2; i++) {
            m.putInt(44 + 16 * i, 16).putInt(48 + 16 * i, typeValue[2 * i]).putInt(52 + 16 * i, 12);
            m.putInt(56 + 16 * i, typeValue[2 * i + 1]);
        }
        m.put(8 + 36 + ppi, frame);
        return m.array();
    }

    /**
     * An RNDIS packet message whose 802.1Q tag travels as IEEE_8021Q_INFO per-packet information (as Linux sends a
     * tagged frame: the frame itself untagged).
     */
    static byte[] taggedPacketMessage(byte[] frame, int vlanId, int priority) {
        int ppi = 12 + 4, length = (44 + ppi + frame.length + 7) & ~7;
        ByteBuffer m = rndis(1, length)
                .putInt(8, 36 + ppi)
                .putInt(12, frame.length)
                .putInt(28, 36)
                .putInt(32, ppi);
        m.putInt(44, ppi).putInt(48, 6).putInt(52, 12).putInt(56, priority | vlanId << 4);
        m.put(8 + 36 + ppi, frame);
        return m.array();
    }

    /** A frame in send section {@code section} (netvsc_copy_to_send_buf); returns the completion's status. */
    int sendInSection(int section, byte[]... frames) {
        int at = 0;
        for (byte[] f : frames) {
            byte[] msg = packetMessage(f);
            sendBuffer.write((long) section * sendSectionSize + at, msg, 0, msg.length);
            at += msg.length;
        }
        return sendSection(section, at);
    }

    int sendSection(int section, int size) {
        ByteBuffer m = nvsp(107).putInt(4, 0).putInt(8, section).putInt(12, size);
        ByteBuffer c = call(m);
        assertThat(c.getInt(0)).isEqualTo(108);
        return c.getInt(4);
    }

    /** A frame as page ranges (a frame too big for a section); returns the completion's status. */
    int sendAsPages(byte[] frame) {
        byte[] msg = packetMessage(frame);
        long gpa = DATA_GPA + 3000;
        memory.write(gpa, msg);
        long id = sendPages(0, gpa, msg.length);
        ByteBuffer c = completion(id);
        assertThat(c.getInt(0)).isEqualTo(108);
        return c.getInt(4);
    }

    /** A received data packet: checks its RNDIS header and returns the frame. */
    static byte[] frameOf(Received r) {
        ByteBuffer m = r.message();
        assertThat(m.getInt(0)).as("RNDIS_MSG_PACKET").isEqualTo(1);
        assertThat(m.getInt(4)).as("msg_len").isEqualTo(m.capacity());
        int dataOffset = m.getInt(8), dataLength = m.getInt(12);
        assertThat(dataOffset).as("data_offset").isEqualTo(36);
        assertThat(m.getInt(28)).as("per_pkt_info_offset").isZero();
        assertThat(m.getInt(32)).as("per_pkt_info_len").isZero();
        assertThat(8 + dataOffset + dataLength).isLessThanOrEqualTo(m.capacity());
        byte[] frame = new byte[dataLength];
        m.get(8 + dataOffset, frame);
        return frame;
    }

    @Override
    public void close() {
        vsp.closed();
        memory.close();
    }
}
