package org.viridian.storage.vhdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.storage.CorruptImageException;

/**
 * The metadata items Viridian understands. {@code parentLocator} is empty unless {@code hasParent}.
 * Parsing looks items up by GUID, whatever their order and offsets.
 */
public record VhdxMetadata(
        long blockSize,
        boolean leaveAllocated,
        boolean hasParent,
        long virtualSize,
        Guid diskId,
        int logicalSectorSize,
        int physicalSectorSize,
        Map<String, String> parentLocator) {
    static final Guid FILE_PARAMETERS = Guid.parse("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    static final Guid VIRTUAL_DISK_SIZE = Guid.parse("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    static final Guid VIRTUAL_DISK_ID = Guid.parse("BECA12AB-B2E6-4523-93EF-C309E000C746");
    static final Guid LOGICAL_SECTOR_SIZE = Guid.parse("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    static final Guid PHYSICAL_SECTOR_SIZE = Guid.parse("CDA348C7-445D-4471-9CC9-E9885251C556");
    static final Guid PARENT_LOCATOR = Guid.parse("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
    static final Guid VHDX_LOCATOR_TYPE = Guid.parse("B04AEFB7-D19E-4A81-B789-25B8E9445913");
    public static final long MAX_SIZE = 64L << 40;
    static final int TABLE_SIZE = 64 << 10;
    private static final long SIGNATURE = 0x617461646174656DL; // "metadata" little-endian
    /** Where this writer puts the parent locator: its own sectors, so updating it rewrites nothing else. */
    static final int LOCATOR_AT = TABLE_SIZE + 4096;

    public VhdxMetadata {
        parentLocator = Map.copyOf(parentLocator);
    }

    public static VhdxMetadata parse(ByteBuffer raw, String where) throws CorruptImageException {
        ByteBuffer r = raw.slice(raw.position(), raw.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        where = where + ": metadata";
        if (r.getLong(0) != SIGNATURE) throw new CorruptImageException(where + " table signature is not 'metadata'");
        int count = Short.toUnsignedInt(r.getShort(10));
        if (count > 2047) throw new CorruptImageException(where + " table EntryCount " + count + " exceeds 2047");
        Map<Guid, ByteBuffer> items = new HashMap<>();
        long[][] spans = new long[count][];
        for (int i = 0; i < count; i++) {
            int at = 32 + 32 * i;
            Guid id = Guid.read(r, at);
            long off = Integer.toUnsignedLong(r.getInt(at + 16)), len = Integer.toUnsignedLong(r.getInt(at + 20));
            int flags = r.getInt(at + 24);
            boolean user = (flags & 1) != 0, required = (flags & 4) != 0;
            String name = where + " entry " + i + " (" + id + ")";
            if (len > (1 << 20)) throw new CorruptImageException(name + ": Length " + len + " exceeds 1 MiB");
            if (len == 0 ? off != 0 : off < TABLE_SIZE || off + len > r.limit())
                throw new CorruptImageException(
                        name + ": Offset " + off + " (+" + len + ") is outside the metadata region");
            for (int j = 0; j < i; j++) {
                if (spans[j] != null && len > 0 && off < spans[j][1] && spans[j][0] < off + len)
                    throw new CorruptImageException(name + ": overlaps entry " + j);
            }
            spans[i] = new long[] {off, off + len};
            if (user) continue;
            if (!isKnown(id)) {
                if (required) throw new CorruptImageException(name + " is an unknown required item");
                continue;
            }
            if (items.put(id, r.slice((int) off, (int) len).order(ByteOrder.LITTLE_ENDIAN)) != null)
                throw new CorruptImageException(name + " appears twice");
        }
        ByteBuffer fp = item(items, FILE_PARAMETERS, 8, where + " File Parameters");
        long blockSize = Integer.toUnsignedLong(fp.getInt(0));
        int fpFlags = fp.getInt(4);
        if (blockSize < (1 << 20) || blockSize > (256 << 20) || Long.bitCount(blockSize) != 1)
            throw new CorruptImageException(
                    where + " File Parameters BlockSize " + blockSize + " is not a power of two in 1..256 MiB");
        int lss = item(items, LOGICAL_SECTOR_SIZE, 4, where + " Logical Sector Size")
                .getInt(0);
        int pss = item(items, PHYSICAL_SECTOR_SIZE, 4, where + " Physical Sector Size")
                .getInt(0);
        if (lss != 512 && lss != 4096)
            throw new CorruptImageException(where + " Logical Sector Size " + lss + " is not 512 or 4096");
        if (pss != 512 && pss != 4096)
            throw new CorruptImageException(where + " Physical Sector Size " + pss + " is not 512 or 4096");
        long size =
                item(items, VIRTUAL_DISK_SIZE, 8, where + " Virtual Disk Size").getLong(0);
        if (size <= 0 || size > MAX_SIZE || size % lss != 0)
            throw new CorruptImageException(
                    where + " Virtual Disk Size " + size + " is not a positive multiple of " + lss + " up to 64 TiB");
        Guid id = Guid.read(item(items, VIRTUAL_DISK_ID, 16, where + " Virtual Disk ID"), 0);
        boolean hasParent = (fpFlags & 2) != 0;
        Map<String, String> locator = Map.of();
        if (hasParent) {
            ByteBuffer pl = items.get(PARENT_LOCATOR);
            if (pl == null)
                throw new CorruptImageException(where + ": differencing disk without a Parent Locator item");
            locator = parseLocator(pl, where + " Parent Locator");
        }
        return new VhdxMetadata(blockSize, (fpFlags & 1) != 0, hasParent, size, id, lss, pss, locator);
    }

    private static boolean isKnown(Guid id) {
        return id.equals(FILE_PARAMETERS)
                || id.equals(VIRTUAL_DISK_SIZE)
                || id.equals(VIRTUAL_DISK_ID)
                || id.equals(LOGICAL_SECTOR_SIZE)
                || id.equals(PHYSICAL_SECTOR_SIZE)
                || id.equals(PARENT_LOCATOR);
    }

    private static ByteBuffer item(Map<Guid, ByteBuffer> items, Guid id, int minLength, String name)
            throws CorruptImageException {
        ByteBuffer b = items.get(id);
        if (b == null) throw new CorruptImageException(name + " item is missing");
        if (b.limit() < minLength)
            throw new CorruptImageException(name + " item is " + b.limit() + " bytes, expected " + minLength);
        return b;
    }

    private static Map<String, String> parseLocator(ByteBuffer b, String where) throws CorruptImageException {
        if (b.limit() < 20) throw new CorruptImageException(where + " is too short");
        if (!Guid.read(b, 0).equals(VHDX_LOCATOR_TYPE))
            throw new CorruptImageException(
                    where + ": LocatorType " + Guid.read(b, 0) + " is not the VHDX locator type");
        int count = Short.toUnsignedInt(b.getShort(18));
        if (20 + 12L * count > b.limit())
            throw new CorruptImageException(where + ": KeyValueCount " + count + " does not fit in the item");
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int at = 20 + 12 * i;
            String key = string(b, b.getInt(at), b.getShort(at + 8), where + " key " + i);
            String value = string(b, b.getInt(at + 4), b.getShort(at + 10), where + " value " + i);
            if (map.put(key, value) != null)
                throw new CorruptImageException(where + ": key '" + key + "' appears twice");
        }
        if (!map.containsKey("parent_linkage")) throw new CorruptImageException(where + ": no parent_linkage entry");
        return map;
    }

    private static String string(ByteBuffer b, int off, short len, String name) throws CorruptImageException {
        int l = Short.toUnsignedInt(len);
        if (off <= 0 || (long) off + l > b.limit())
            throw new CorruptImageException(
                    name + " (offset " + Integer.toUnsignedString(off) + ", length " + l + ") is outside the item");
        byte[] s = new byte[l];
        b.get(off, s);
        return new String(s, StandardCharsets.UTF_16LE);
    }

    /** The whole metadata region as this writer lays it out: table, the fixed items, then the locator. */
    public ByteBuffer encode(int regionLength) {
        ByteBuffer b = ByteBuffer.allocate(regionLength).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, SIGNATURE);
        int n = 0;
        int at = TABLE_SIZE;
        n = entry(b, n, FILE_PARAMETERS, at, 8, 4);
        b.putInt(at, (int) blockSize).putInt(at + 4, (leaveAllocated ? 1 : 0) | (hasParent ? 2 : 0));
        n = entry(b, n, VIRTUAL_DISK_SIZE, at + 8, 8, 6);
        b.putLong(at + 8, virtualSize);
        n = entry(b, n, VIRTUAL_DISK_ID, at + 16, 16, 6);
        diskId.write(b, at + 16);
        n = entry(b, n, LOGICAL_SECTOR_SIZE, at + 32, 4, 6);
        b.putInt(at + 32, logicalSectorSize);
        n = entry(b, n, PHYSICAL_SECTOR_SIZE, at + 36, 4, 6);
        b.putInt(at + 36, physicalSectorSize);
        if (hasParent) {
            ByteBuffer pl = encodeLocator();
            b.put(LOCATOR_AT, pl, 0, pl.limit());
            n = entry(b, n, PARENT_LOCATOR, LOCATOR_AT, pl.limit(), 4);
        }
        b.putShort(10, (short) n);
        return b;
    }

    private static int entry(ByteBuffer b, int n, Guid id, int off, int len, int flags) {
        int at = 32 + 32 * n;
        id.write(b, at);
        b.putInt(at + 16, off).putInt(at + 20, len).putInt(at + 24, flags);
        return n + 1;
    }

    private ByteBuffer encodeLocator() {
        int count = parentLocator.size();
        ByteBuffer b = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
        VHDX_LOCATOR_TYPE.write(b, 0);
        b.putShort(18, (short) count);
        int data = 20 + 12 * count;
        int i = 0;
        for (Map.Entry<String, String> e : parentLocator.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_16LE),
                    v = e.getValue().getBytes(StandardCharsets.UTF_16LE);
            b.putInt(20 + 12 * i, data)
                    .putInt(24 + 12 * i, data + k.length)
                    .putShort(28 + 12 * i, (short) k.length)
                    .putShort(30 + 12 * i, (short) v.length);
            b.put(data, k).put(data + k.length, v);
            data += k.length + v.length;
            i++;
        }
        return b.limit(data);
    }

    public VhdxMetadata withVirtualSize(long size) {
        return new VhdxMetadata(
                blockSize,
                leaveAllocated,
                hasParent,
                size,
                diskId,
                logicalSectorSize,
                physicalSectorSize,
                parentLocator);
    }

    public VhdxMetadata withParentLocator(Map<String, String> locator) {
        return new VhdxMetadata(
                blockSize,
                leaveAllocated,
                !locator.isEmpty(),
                virtualSize,
                diskId,
                logicalSectorSize,
                physicalSectorSize,
                locator);
    }
}
