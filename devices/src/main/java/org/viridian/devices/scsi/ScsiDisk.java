package org.viridian.devices.scsi;

import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.viridian.storage.BlockDevice;

/**
 * A SCSI direct-access logical unit (SBC-3/SPC-4 subset that Linux and Windows use) over a virtual disk with 512-byte
 * blocks: INQUIRY with VPD pages 00/80/83/B0/B1/B2, READ CAPACITY(10/16), READ/WRITE(6/10/12/16) straight between the
 * disk and the command's data buffer, WRITE SAME(10/16) and UNMAP (discard), SYNCHRONIZE CACHE (a real flush), MODE
 * SENSE/SELECT, TEST UNIT READY, REQUEST SENSE, VERIFY, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL. Every CDB field
 * is checked; anything wrong ends in CHECK CONDITION with the sense an initiator expects. Commands run on the caller's
 * thread (a disk's worker) and block on the disk.
 */
public final class ScsiDisk {
    private static final System.Logger LOG = System.getLogger(ScsiDisk.class.getName());

    public static final int BLOCK = 512;
    /** Largest single transfer and UNMAP/WRITE SAME extent we advertise and accept, in blocks (8 MiB). */
    public static final int MAX_TRANSFER_BLOCKS = 16384;

    private static final int MAX_UNMAP_DESCRIPTORS = 256;
    private static final byte[] VENDOR = ascii("Msft", 8),
            PRODUCT = ascii("Virtual Disk", 16),
            REVISION = ascii("1.0", 4);

    private final BlockDevice disk;
    private final boolean readOnly;
    private final String serial;
    private final long blocks;
    private final TokenBucket limits;
    private Sense lastSense;

    public ScsiDisk(BlockDevice disk, boolean readOnly, String serial, TokenBucket limits) {
        this.disk = disk;
        this.readOnly = readOnly || disk.readOnly();
        this.serial = serial;
        this.blocks = disk.size() / BLOCK;
        this.limits = limits;
    }

    public long blocks() {
        return blocks;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** Runs one command; {@code cdb} holds exactly the CDB's bytes. Never throws for anything the initiator sent. */
    public ScsiResult execute(byte[] cdb, ScsiData data) throws InterruptedException {
        ScsiResult r;
        try {
            r = cdb.length == 0 ? ScsiResult.check(Sense.INVALID_OPCODE) : dispatch(cdb, data);
        } catch (Bad b) {
            r = ScsiResult.check(b.sense);
        }
        synchronized (this) {
            if (!r.ok() && (cdb.length == 0 || (cdb[0] & 0xFF) != 0x03)) lastSense = r.sense();
        }
        return r;
    }

    /** A CHECK CONDITION found while decoding or executing. */
    private static final class Bad extends Exception {
        final Sense sense;

        Bad(Sense sense) {
            super(null, null, false, false);
            this.sense = sense;
        }
    }

    private ScsiResult dispatch(byte[] cdb, ScsiData data) throws Bad, InterruptedException {
        int op = cdb[0] & 0xFF;
        return switch (op) {
            case 0x00, 0x1B, 0x1E -> good(cdb, 6); // TEST UNIT READY, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL
            case 0x03 -> requestSense(cdb, data);
            case 0x12 -> inquiry(cdb, data);
            case 0x25 -> readCapacity10(cdb, data);
            case 0x9E -> {
                need(cdb, 16);
                if ((cdb[1] & 0x1F) != 0x10) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
                yield readCapacity16(cdb, data);
            }
            case 0x08, 0x28, 0xA8, 0x88 -> transfer(cdb, data, false);
            case 0x0A, 0x2A, 0xAA, 0x8A -> transfer(cdb, data, true);
            case 0x2F -> { // VERIFY(10): the data is always there; check the range only
                need(cdb, 10);
                range(u32(cdb, 2), u16(cdb, 7));
                yield ScsiResult.good(0);
            }
            case 0x35, 0x91 -> {
                need(cdb, op == 0x35 ? 10 : 16);
                io(disk::flush, Sense.WRITE_ERROR);
                yield ScsiResult.good(0);
            }
            // need() before the fields: a short WRITE SAME(10) CDB read past its end (a fuzz finding).
            case 0x41 -> writeSame(cdb, data, need(cdb, 10) ? u32(cdb, 2) : 0, u16(cdb, 7), 10);
            case 0x93 -> writeSame(cdb, data, need(cdb, 16) ? u64(cdb, 2) : 0, u32(cdb, 10), 16);
            case 0x42 -> unmap(cdb, data);
            case 0x1A, 0x5A -> modeSense(cdb, data, op == 0x5A);
            case 0x15, 0x55 -> {
                need(cdb, op == 0x15 ? 6 : 10);
                int len = op == 0x15 ? cdb[4] & 0xFF : u16(cdb, 7);
                if (len > data.length()) throw new Bad(Sense.PARAMETER_LIST_LENGTH_ERROR);
                yield ScsiResult.good(len); // nothing here is changeable; accepting keeps initiators quiet
            }
            default -> throw new Bad(Sense.INVALID_OPCODE);
        };
    }

    private ScsiResult good(byte[] cdb, int length) throws Bad {
        need(cdb, length);
        return ScsiResult.good(0);
    }

    private synchronized ScsiResult requestSense(byte[] cdb, ScsiData data) throws Bad {
        need(cdb, 6);
        byte[] sense = lastSense != null ? lastSense.fixed() : new Sense(0, 0, 0).fixed();
        lastSense = null;
        return reply(data, sense, cdb[4] & 0xFF);
    }

    private ScsiResult inquiry(byte[] cdb, ScsiData data) throws Bad {
        need(cdb, 6);
        boolean evpd = (cdb[1] & 1) != 0;
        int page = cdb[2] & 0xFF, alloc = u16(cdb, 3);
        if (!evpd) {
            if (page != 0) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
            byte[] b = new byte[36];
            b[0] = 0x00; // direct-access block device, connected
            b[2] = 0x06; // SPC-4
            b[3] = 0x02; // response data format 2
            b[4] = 31;
            b[7] = 0x02; // CmdQue
            System.arraycopy(VENDOR, 0, b, 8, 8);
            System.arraycopy(PRODUCT, 0, b, 16, 16);
            System.arraycopy(REVISION, 0, b, 32, 4);
            return reply(data, b, alloc);
        }
        byte[] body =
                switch (page) {
                    case 0x00 -> new byte[] {0x00, (byte) 0x80, (byte) 0x83, (byte) 0xB0, (byte) 0xB1, (byte) 0xB2};
                    case 0x80 -> serial.getBytes(StandardCharsets.US_ASCII);
                    case 0x83 -> deviceIdentification();
                    case 0xB0 -> blockLimits();
                    case 0xB1 -> {
                        byte[] b = new byte[0x3C];
                        b[1] = 1; // medium rotation rate 1: non-rotating
                        yield b;
                    }
                    case 0xB2 -> new byte[] {0, (byte) 0xE0, 0, 0}; // threshold exponent 0; LBPU, LBPWS, LBPWS10
                    default -> throw new Bad(Sense.INVALID_FIELD_IN_CDB);
                };
        byte[] b = new byte[4 + body.length];
        b[1] = (byte) page;
        b[2] = (byte) (body.length >> 8);
        b[3] = (byte) body.length;
        System.arraycopy(body, 0, b, 4, body.length);
        return reply(data, b, alloc);
    }

    /** One T10 vendor-ID designator (ASCII, logical unit): vendor, product and this disk's serial. */
    private byte[] deviceIdentification() {
        byte[] id = (new String(VENDOR, StandardCharsets.US_ASCII)
                        + new String(PRODUCT, StandardCharsets.US_ASCII)
                        + serial)
                .getBytes(StandardCharsets.US_ASCII);
        byte[] d = new byte[4 + id.length];
        d[0] = 0x02; // code set ASCII
        d[1] = 0x01; // association: logical unit; type: T10 vendor ID
        d[3] = (byte) id.length;
        System.arraycopy(id, 0, d, 4, id.length);
        return d;
    }

    private static byte[] blockLimits() {
        ByteBuffer b = ByteBuffer.allocate(0x3C).order(ByteOrder.BIG_ENDIAN);
        b.put(0, (byte) 0x01); // WSNZ: WRITE SAME needs a non-zero block count
        b.putInt(4, MAX_TRANSFER_BLOCKS); // maximum transfer length
        b.putInt(8, 2048); // optimal transfer length (1 MiB)
        b.putInt(16, MAX_TRANSFER_BLOCKS); // maximum UNMAP LBA count
        b.putInt(20, MAX_UNMAP_DESCRIPTORS);
        b.putInt(24, 8); // optimal unmap granularity: 4 KiB
        b.putLong(32, MAX_TRANSFER_BLOCKS); // maximum WRITE SAME length
        return b.array();
    }

    private ScsiResult readCapacity10(byte[] cdb, ScsiData data) throws Bad {
        need(cdb, 10);
        ByteBuffer b = ByteBuffer.allocate(8);
        b.putInt(0, (int) Math.min(blocks - 1, 0xFFFFFFFFL)).putInt(4, BLOCK);
        return reply(data, b.array(), 8);
    }

    private ScsiResult readCapacity16(byte[] cdb, ScsiData data) throws Bad {
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putLong(0, blocks - 1).putInt(8, BLOCK);
        b.put(14, (byte) 0x80); // LBPME: thin provisioning (UNMAP) is enabled
        return reply(data, b.array(), (int) Math.min(u32(cdb, 10), Integer.MAX_VALUE));
    }

    private ScsiResult transfer(byte[] cdb, ScsiData data, boolean write) throws Bad, InterruptedException {
        long lba, count;
        switch (cdb[0] & 0xFF) {
            case 0x08, 0x0A -> {
                need(cdb, 6);
                lba = ((cdb[1] & 0x1F) << 16) | u16(cdb, 2);
                count = (cdb[4] & 0xFF) == 0 ? 256 : cdb[4] & 0xFF;
            }
            case 0x28, 0x2A -> {
                need(cdb, 10);
                lba = u32(cdb, 2);
                count = u16(cdb, 7);
            }
            case 0xA8, 0xAA -> {
                need(cdb, 12);
                lba = u32(cdb, 2);
                count = u32(cdb, 6);
            }
            default -> {
                need(cdb, 16);
                lba = u64(cdb, 2);
                count = u32(cdb, 10);
            }
        }
        range(lba, count);
        if (count > MAX_TRANSFER_BLOCKS) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
        if (write && readOnly) throw new Bad(Sense.WRITE_PROTECTED);
        long bytes = count * BLOCK;
        if (bytes > data.length()) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
        limits.acquire(bytes);
        long at = lba * BLOCK;
        for (ByteBuffer b : data.buffers(0, bytes)) {
            long here = at;
            io(
                    () -> {
                        if (write) disk.write(b, here);
                        else disk.read(b, here);
                    },
                    write ? Sense.WRITE_ERROR : Sense.READ_ERROR);
            at += b.capacity();
        }
        boolean fua = cdb.length >= 10 && (cdb[1] & 0x08) != 0;
        if (write && fua) io(disk::flush, Sense.WRITE_ERROR);
        return ScsiResult.good(bytes);
    }

    private ScsiResult writeSame(byte[] cdb, ScsiData data, long lba, long count, int length)
            throws Bad, InterruptedException {
        need(cdb, length);
        boolean unmap = (cdb[1] & 0x08) != 0;
        if (count == 0 || count > MAX_TRANSFER_BLOCKS || (cdb[1] & 0x01) != 0)
            throw new Bad(Sense.INVALID_FIELD_IN_CDB);
        range(lba, count);
        if (readOnly) throw new Bad(Sense.WRITE_PROTECTED);
        if (data.length() < BLOCK) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
        byte[] block = data.get(BLOCK);
        limits.acquire(count * BLOCK);
        long at = lba * BLOCK, len = count * BLOCK;
        boolean zero = Arrays.equals(block, new byte[BLOCK]);
        if (unmap && zero) {
            io(() -> disk.discard(at, len), Sense.WRITE_ERROR);
            // Discard may leave old data; WRITE SAME promises the pattern, so write zeros where the disk still has
            // data.
            boolean stale = ioValue(() -> disk.mayHaveData(at, len));
            if (!stale) return ScsiResult.good(BLOCK);
        }
        byte[] chunk = new byte[(int) Math.min(len, 1 << 20)];
        for (int i = 0; i < chunk.length; i += BLOCK) System.arraycopy(block, 0, chunk, i, BLOCK);
        for (long done = 0; done < len; done += chunk.length) {
            int n = (int) Math.min(chunk.length, len - done);
            long where = at + done;
            io(() -> disk.write(ByteBuffer.wrap(chunk, 0, n), where), Sense.WRITE_ERROR);
        }
        return ScsiResult.good(BLOCK);
    }

    private ScsiResult unmap(byte[] cdb, ScsiData data) throws Bad, InterruptedException {
        need(cdb, 10);
        int len = u16(cdb, 7);
        if (readOnly) throw new Bad(Sense.WRITE_PROTECTED);
        if (len == 0) return ScsiResult.good(0);
        if (len < 8 || len > data.length()) throw new Bad(Sense.PARAMETER_LIST_LENGTH_ERROR);
        byte[] p = data.get(len);
        int descriptors = u16(p, 2);
        if (descriptors % 16 != 0 || 8 + descriptors > len || descriptors / 16 > MAX_UNMAP_DESCRIPTORS) {
            throw new Bad(Sense.INVALID_FIELD_IN_PARAMETERS);
        }
        for (int at = 8; at < 8 + descriptors; at += 16) {
            long lba = u64(p, at), count = u32(p, at + 8);
            if (count > MAX_TRANSFER_BLOCKS) throw new Bad(Sense.INVALID_FIELD_IN_PARAMETERS);
            range(lba, count);
        }
        limits.acquire(0);
        for (int at = 8; at < 8 + descriptors; at += 16) {
            long lba = u64(p, at), count = u32(p, at + 8);
            io(() -> disk.discard(lba * BLOCK, count * BLOCK), Sense.WRITE_ERROR);
        }
        return ScsiResult.good(len);
    }

    private ScsiResult modeSense(byte[] cdb, ScsiData data, boolean ten) throws Bad {
        need(cdb, ten ? 10 : 6);
        int page = cdb[2] & 0x3F, control = (cdb[2] & 0xFF) >> 6, alloc = ten ? u16(cdb, 7) : cdb[4] & 0xFF;
        if (control == 3) throw new Bad(new Sense(Sense.ILLEGAL_REQUEST, 0x39, 0)); // saving parameters not supported
        byte[] caching = new byte[20];
        caching[0] = 0x08;
        caching[1] = 0x12;
        if (control != 1) caching[2] = 0x04; // WCE: a write cache the guest must flush (changeable mask: none)
        byte[] pages =
                switch (page) {
                    case 0x08, 0x3F -> caching;
                    default -> throw new Bad(Sense.INVALID_FIELD_IN_CDB);
                };
        int header = ten ? 8 : 4;
        byte[] b = new byte[header + pages.length];
        int dataLength = b.length - (ten ? 2 : 1);
        // Device-specific parameter: WP for read-only disks; DPOFUA, since a FUA write is flushed before it completes.
        byte deviceSpecific = (byte) ((readOnly ? 0x80 : 0) | 0x10);
        if (ten) {
            b[0] = (byte) (dataLength >> 8);
            b[1] = (byte) dataLength;
            b[3] = deviceSpecific;
        } else {
            b[0] = (byte) dataLength;
            b[2] = deviceSpecific;
        }
        System.arraycopy(pages, 0, b, header, pages.length);
        return reply(data, b, alloc);
    }

    /** Copies a reply into the buffer, limited by the allocation length and the buffer. */
    private static ScsiResult reply(ScsiData data, byte[] b, int alloc) {
        byte[] cut = b.length > alloc ? Arrays.copyOf(b, alloc) : b;
        return ScsiResult.good(data.put(cut));
    }

    private void range(long lba, long count) throws Bad {
        if (lba < 0 || count < 0 || lba > blocks || count > blocks - lba) throw new Bad(Sense.LBA_OUT_OF_RANGE);
    }

    private static boolean need(byte[] cdb, int length) throws Bad {
        if (cdb.length < length) throw new Bad(Sense.INVALID_FIELD_IN_CDB);
        return true;
    }

    private interface DiskCall {
        void run() throws IOException;
    }

    private interface DiskQuery {
        boolean get() throws IOException;
    }

    private static void io(DiskCall call, Sense onError) throws Bad {
        try {
            call.run();
        } catch (IOException | RuntimeException e) {
            LOG.log(WARNING, "scsi: disk error: " + e.getMessage());
            throw new Bad(onError);
        }
    }

    private static boolean ioValue(DiskQuery q) throws Bad {
        try {
            return q.get();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    static long u32(byte[] b, int at) {
        return (long) u16(b, at) << 16 | u16(b, at + 2);
    }

    static long u64(byte[] b, int at) {
        return u32(b, at) << 32 | u32(b, at + 4);
    }

    private static byte[] ascii(String s, int width) {
        byte[] b = new byte[width];
        Arrays.fill(b, (byte) ' ');
        byte[] t = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, 0, Math.min(t.length, width));
        return b;
    }
}
