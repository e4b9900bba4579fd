package org.viridian.devices.storvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.viridian.devices.storvsp.protocol.VstorOperation;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;

/**
 * The guest's side of a StorVSP channel, played from the protocol description (Linux storvsc_drv.c): real rings in
 * real guest memory, vstor packets written in-band or GPA-direct, completions read back.
 */
final class StorvscPlayer implements AutoCloseable {
    /** struct vstor_packet's size and where its SRB starts; struct vmscsi_request's fields, relative to the SRB. */
    static final int SIZE = 64, SRB = 12;

    static final int SRB_STATUS = 2,
            SCSI_STATUS = 3,
            LUN = 7,
            CDB_LENGTH = 8,
            SENSE_LENGTH = 9,
            DATA_IN = 10,
            TRANSFER_LENGTH = 12,
            CDB = 16;
    static final long OUT_PFN = 0x100, IN_PFN = 0x120;
    final GuestMemory memory = GuestMemory.allocate(64L << 20);
    final StorVsp vsp = new StorVsp(memory, UUID.fromString("5a0d1f9e-7e57-4c3b-9d1a-000000000001"), 2);
    /** Sub-channel devices the VSP offered (as the VMBus server would offer them to the guest). */
    final List<org.viridian.vmbus.server.VmbusDevice> offered = new CopyOnWriteArrayList<>();

    final AtomicInteger signals = new AtomicInteger();
    final List<String> failures = new CopyOnWriteArrayList<>();
    private RingBuffer out, in;
    private long transaction;

    StorvscPlayer() {
        out = ring(OUT_PFN);
        in = ring(IN_PFN);
        vsp.opened(
                new OpenChannel(1, ring(OUT_PFN), ring(IN_PFN), signals::incrementAndGet, failures::add, offered::add));
    }

    /** Opens an offered sub-channel on rings at {@code pfn} and talks on it from now on. */
    void useSubChannel(org.viridian.vmbus.server.VmbusDevice sub, long pfn) {
        sub.opened(new OpenChannel(2, ring(pfn), ring(pfn + 32), signals::incrementAndGet, failures::add));
        out = ring(pfn);
        in = ring(pfn + 32);
        current = sub;
    }

    private org.viridian.vmbus.server.VmbusDevice current = vsp;

    private RingBuffer ring(long pfn) {
        long[] pfns = new long[32];
        for (int i = 0; i < 32; i++) pfns[i] = pfn + i;
        return new RingBuffer(new GpaPages(memory, pfns));
    }

    static ByteBuffer packet(int operation) {
        return ByteBuffer.allocate(SIZE)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, operation)
                .putInt(4, 1);
    }

    /** Sends a vstor packet (GPA-direct when {@code headers} is not empty) and returns the completion's data. */
    ByteBuffer call(ByteBuffer vstor, byte[] headers) {
        long id = send(vstor, headers);
        Packet p = await();
        assertThat(p.type()).isEqualTo(Packet.COMPLETION);
        assertThat(p.transactionId()).isEqualTo(id);
        return ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sends a request and returns its transaction id, without waiting for its completion. */
    long send(ByteBuffer vstor, byte[] headers) {
        long id = ++transaction;
        int type = headers.length == 0 ? Packet.DATA_INBAND : Packet.DATA_USING_GPA_DIRECT;
        assertThat(out.write(type, Packet.FLAG_COMPLETION_REQUESTED, id, headers, vstor.array()))
                .isNotEqualTo(RingBuffer.WriteResult.FULL);
        if (!batching) current.guestSignalled();
        return id;
    }

    private boolean batching;

    /** Writes what {@code sends} sends, then signals once: requests a guest queued together (its queue depth). */
    void batch(Runnable sends) {
        batching = true;
        try {
            sends.run();
        } finally {
            batching = false;
        }
        current.guestSignalled();
    }

    /** The next packet the VSP sent, waiting up to 10 s (SRBs complete on a disk worker). */
    Packet await() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Packet> p = in.read();
            if (p.isPresent()) return p.get();
            Thread.onSpinWait();
        }
        throw new AssertionError("no packet from the VSP within 10 s");
    }

    /** Writes a packet without waiting for an answer (for packets that must not get one). */
    void vspWriteRaw(int type, byte[] headers, byte[] data) {
        out.write(type, Packet.FLAG_COMPLETION_REQUESTED, ++transaction, headers, data);
        vsp.guestSignalled();
    }

    Optional<Packet> poll() {
        return in.read();
    }

    int control(int operation) {
        return call(packet(operation), new byte[0]).getInt(8);
    }

    void handshake() {
        assertThat(control(VstorOperation.BEGIN_INITIALIZATION.code())).isZero();
        ByteBuffer v = packet(VstorOperation.QUERY_PROTOCOL_VERSION.code());
        v.putShort(12, (short) 0x0602);
        assertThat(call(v, new byte[0]).getInt(8)).isZero();
        assertThat(control(VstorOperation.QUERY_PROPERTIES.code())).isZero();
        assertThat(control(VstorOperation.END_INITIALIZATION.code())).isZero();
    }

    /** The outcome of one SCSI command. */
    record Srb(int srbStatus, int scsiStatus, int transferred, byte[] sense) {
        int senseKey() {
            return sense[2] & 0xF;
        }

        int asc() {
            return sense[12] & 0xFF;
        }
    }

    /**
     * One SCSI command to {@code lun} with data at guest-physical {@code gpa} ({@code length} bytes, any alignment).
     */
    Srb scsi(int lun, byte[] cdb, boolean dataIn, long gpa, int length) {
        long first = gpa >>> 12, last = length == 0 ? first - 1 : (gpa + length - 1) >>> 12;
        long[] pfns = new long[(int) (last - first + 1)];
        for (int i = 0; i < pfns.length; i++) pfns[i] = first + i;
        return scsi(lun, cdb, dataIn, pfns, (int) (gpa & 4095), length);
    }

    Srb scsi(int lun, byte[] cdb, boolean dataIn, long[] pfns, int offset, int length) {
        return srb(call(srbPacket(lun, cdb, dataIn, length), gpaRange(pfns, offset, length)));
    }

    /** Queues an SRB with a buffer at {@code gpa} without waiting for it (a guest's queue depth above one). */
    long submitScsi(int lun, byte[] cdb, boolean dataIn, long gpa, int length) {
        long first = gpa >>> 12, last = (gpa + length - 1) >>> 12;
        long[] pfns = new long[(int) (last - first + 1)];
        for (int i = 0; i < pfns.length; i++) pfns[i] = first + i;
        return send(srbPacket(lun, cdb, dataIn, length), gpaRange(pfns, (int) (gpa & 4095), length));
    }

    /** A GPA-direct packet's range header for a buffer of {@code length} bytes; none for no data. */
    private static byte[] gpaRange(long[] pfns, int offset, int length) {
        if (length == 0) return new byte[0];
        ByteBuffer h = ByteBuffer.allocate(16 + 8 * pfns.length).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(4, 1).putInt(8, length).putInt(12, offset);
        for (int i = 0; i < pfns.length; i++) h.putLong(16 + 8 * i, pfns[i]);
        return h.array();
    }

    static ByteBuffer srbPacket(int lun, byte[] cdb, boolean dataIn, int length) {
        ByteBuffer v = packet(VstorOperation.EXECUTE_SRB.code());
        int s = SRB;
        v.putShort(s, (short) 52)
                .put(s + LUN, (byte) lun)
                .put(s + CDB_LENGTH, (byte) cdb.length)
                .put(s + SENSE_LENGTH, (byte) 20)
                .put(s + DATA_IN, (byte) (length == 0 ? 2 : dataIn ? 1 : 0))
                .putInt(s + TRANSFER_LENGTH, length);
        v.put(s + CDB, cdb);
        return v;
    }

    static Srb srb(ByteBuffer r) {
        int s = SRB;
        assertThat(r.getInt(0)).isEqualTo(VstorOperation.COMPLETE_IO.code());
        byte[] sense = new byte[20];
        r.get(s + CDB, sense);
        return new Srb(
                r.get(s + SRB_STATUS) & 0xFF, r.get(s + SCSI_STATUS) & 0xFF, r.getInt(s + TRANSFER_LENGTH), sense);
    }

    static byte[] rw10(boolean write, long lba, int blocks) {
        return new byte[] {
            (byte) (write ? 0x2A : 0x28),
            0,
            (byte) (lba >> 24),
            (byte) (lba >> 16),
            (byte) (lba >> 8),
            (byte) lba,
            0,
            (byte) (blocks >> 8),
            (byte) blocks,
            0
        };
    }

    @Override
    public void close() throws Exception {
        vsp.close();
        memory.close();
    }
}
