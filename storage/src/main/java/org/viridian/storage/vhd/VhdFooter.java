package org.viridian.storage.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.viridian.storage.CorruptImageException;

/** The 512-byte VHD footer (also copied at offset 0 of dynamic images). All fields big-endian. */
public record VhdFooter(
        int features,
        long dataOffset,
        int timestamp,
        int creatorApp,
        int creatorVersion,
        int creatorHostOs,
        long originalSize,
        long currentSize,
        int geometry,
        int diskType,
        byte[] uniqueId,
        int savedState) {
    public static final int SIZE = 512;
    public static final int FIXED = 2, DYNAMIC = 3, DIFFERENCING = 4;
    /** 2040 GiB: the largest VHD (32-bit sector numbers in the BAT). */
    public static final long MAX_SIZE = 0xFF000000L * 512;

    static final long VHD_EPOCH = 946684800L;
    private static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
    /** Creator application "vrdn" (Viridian). */
    static final int CREATOR = 0x7672646E;

    public static VhdFooter parse(ByteBuffer b, String where) throws CorruptImageException {
        if (b.remaining() < SIZE) throw new CorruptImageException(where + ": footer is truncated");
        b = b.slice(b.position(), SIZE);
        byte[] cookie = new byte[8];
        b.get(0, cookie);
        if (!java.util.Arrays.equals(cookie, COOKIE))
            throw new CorruptImageException(where + ": footer cookie is not 'conectix'");
        int stored = b.getInt(64);
        int computed = VhdChecksum.compute(b, 64);
        if (stored != computed) {
            throw new CorruptImageException(
                    String.format("%s: footer checksum is 0x%08x, expected 0x%08x", where, stored, computed));
        }
        int type = b.getInt(60);
        if (type != FIXED && type != DYNAMIC && type != DIFFERENCING)
            throw new CorruptImageException(
                    where + ": footer disk type " + type + " is not fixed (2), dynamic (3) or differencing (4)");
        long current = b.getLong(48);
        if (current < 0 || current > MAX_SIZE)
            throw new CorruptImageException(where + ": footer current size " + current + " is outside 0.." + MAX_SIZE);
        byte[] id = new byte[16];
        b.get(68, id);
        return new VhdFooter(
                b.getInt(8),
                b.getLong(16),
                b.getInt(24),
                b.getInt(28),
                b.getInt(32),
                b.getInt(36),
                b.getLong(40),
                current,
                b.getInt(56),
                type,
                id,
                b.get(84) & 0xFF);
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(0, COOKIE)
                .putInt(8, features)
                .putInt(12, 0x00010000)
                .putLong(16, dataOffset)
                .putInt(24, timestamp)
                .putInt(28, creatorApp)
                .putInt(32, creatorVersion)
                .putInt(36, creatorHostOs)
                .putLong(40, originalSize)
                .putLong(48, currentSize)
                .putInt(56, geometry)
                .putInt(60, diskType)
                .put(68, uniqueId)
                .put(84, (byte) savedState);
        b.putInt(64, VhdChecksum.compute(b, 64));
        return b;
    }

    public VhdFooter withCurrentSize(long size) {
        return new VhdFooter(
                features,
                dataOffset,
                timestamp,
                creatorApp,
                creatorVersion,
                creatorHostOs,
                originalSize,
                size,
                VhdGeometry.forSize(size).pack(),
                diskType,
                uniqueId,
                savedState);
    }

    public static int timestampOf(Instant t) {
        return (int) (t.getEpochSecond() - VHD_EPOCH);
    }

    public Instant time() {
        return Instant.ofEpochSecond(VHD_EPOCH + Integer.toUnsignedLong(timestamp));
    }

    public String creatorName() {
        byte[] c = ByteBuffer.allocate(4).putInt(creatorApp).array();
        return new String(c, StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
    }

    public String uniqueIdHex() {
        return HexFormat.of().formatHex(uniqueId);
    }

    public boolean sameAs(VhdFooter o) {
        return encode().equals(o.encode());
    }
}
