package org.viridian.storage.vhd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.viridian.storage.CorruptImageException;

/** The 1024-byte dynamic disk header ("cxsparse") with the parent fields of differencing disks. */
public record VhdDynamicHeader(
        long tableOffset,
        int maxTableEntries,
        int blockSize,
        byte[] parentUniqueId,
        int parentTimestamp,
        String parentName,
        List<Locator> locators) {
    public static final int SIZE = 1024;
    private static final byte[] COOKIE = "cxsparse".getBytes(StandardCharsets.US_ASCII);
    public static final int W2KU = 0x57326B75, W2RU = 0x57327275;

    /** A parent locator entry; {@code dataSpace} is in bytes as Hyper-V writes it. */
    public record Locator(int code, int dataSpace, int dataLength, long dataOffset) {}

    public static VhdDynamicHeader parse(ByteBuffer b, String where) throws CorruptImageException {
        b = b.slice(b.position(), SIZE);
        byte[] cookie = new byte[8];
        b.get(0, cookie);
        if (!Arrays.equals(cookie, COOKIE))
            throw new CorruptImageException(where + ": dynamic header cookie is not 'cxsparse'");
        int stored = b.getInt(36);
        int computed = VhdChecksum.compute(b, 36);
        if (stored != computed)
            throw new CorruptImageException(
                    String.format("%s: dynamic header checksum is 0x%08x, expected 0x%08x", where, stored, computed));
        int blockSize = b.getInt(32);
        if (blockSize < 512 || blockSize > (256 << 20) || Integer.bitCount(blockSize) != 1) {
            throw new CorruptImageException(where + ": dynamic header block size " + Integer.toUnsignedString(blockSize)
                    + " is not a power of two in 512..256 MiB");
        }
        byte[] pid = new byte[16];
        b.get(40, pid);
        byte[] name = new byte[512];
        b.get(64, name);
        String parentName = new String(name, StandardCharsets.UTF_16BE);
        int nul = parentName.indexOf('\0');
        if (nul >= 0) parentName = parentName.substring(0, nul);
        List<Locator> locs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int at = 576 + 24 * i;
            int code = b.getInt(at);
            if (code != 0) locs.add(new Locator(code, b.getInt(at + 4), b.getInt(at + 8), b.getLong(at + 16)));
        }
        return new VhdDynamicHeader(
                b.getLong(16), b.getInt(28), blockSize, pid, b.getInt(56), parentName, List.copyOf(locs));
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(0, COOKIE)
                .putLong(8, -1L)
                .putLong(16, tableOffset)
                .putInt(24, 0x00010000)
                .putInt(28, maxTableEntries)
                .putInt(32, blockSize)
                .put(40, parentUniqueId)
                .putInt(56, parentTimestamp);
        byte[] name = parentName.getBytes(StandardCharsets.UTF_16BE);
        b.put(64, name, 0, Math.min(name.length, 512));
        for (int i = 0; i < locators.size(); i++) {
            Locator l = locators.get(i);
            b.putInt(576 + 24 * i, l.code())
                    .putInt(580 + 24 * i, l.dataSpace())
                    .putInt(584 + 24 * i, l.dataLength())
                    .putLong(592 + 24 * i, l.dataOffset());
        }
        b.putInt(36, VhdChecksum.compute(b, 36));
        return b;
    }

    public VhdDynamicHeader withParent(byte[] id, int timestamp, String name, List<Locator> locs) {
        return new VhdDynamicHeader(tableOffset, maxTableEntries, blockSize, id, timestamp, name, locs);
    }

    public VhdDynamicHeader withMaxTableEntries(int entries) {
        return new VhdDynamicHeader(
                tableOffset, entries, blockSize, parentUniqueId, parentTimestamp, parentName, locators);
    }
}
