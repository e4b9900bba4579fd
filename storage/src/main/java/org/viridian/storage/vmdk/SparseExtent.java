package org.viridian.storage.vmdk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.storage.BlockMappedImage;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.io.Inflate;
import org.viridian.storage.io.Storage;

/** A hosted sparse extent ("KDMV"): grain directory, grain tables, optionally deflate-compressed grains. */
final class SparseExtent extends BlockMappedImage {
    static final int MAGIC = 0x564D444B;
    private static final long GD_AT_END = -1L;
    private final long capacity;
    private final long grainBytes;
    private final int gtEntries;
    private final long[] gd;
    private final boolean compressed;
    final String embeddedDescriptor;

    private SparseExtent(
            Storage s,
            long capacity,
            long grainBytes,
            int gtEntries,
            long[] gd,
            boolean compressed,
            String descriptor) {
        super(s, new OpenOptions(true, false, 0, null));
        this.capacity = capacity;
        this.grainBytes = grainBytes;
        this.gtEntries = gtEntries;
        this.gd = gd;
        this.compressed = compressed;
        this.embeddedDescriptor = descriptor;
    }

    static SparseExtent open(Storage s) throws IOException {
        String name = s.name();
        long fileSize = s.size();
        ByteBuffer h = s.read(0, 512).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != MAGIC) throw new CorruptImageException(name + ": sparse extent magic is not 'KDMV'");
        if (h.getLong(56) == GD_AT_END) {
            // streamOptimized: the real header is the footer copy before the end-of-stream marker.
            if (fileSize < 1536)
                throw new CorruptImageException(name + ": streamOptimized VMDK is truncated (no footer)");
            ByteBuffer f = s.read(fileSize - 1024, 512).order(ByteOrder.LITTLE_ENDIAN);
            if (f.getInt(0) != MAGIC)
                throw new CorruptImageException(name + ": streamOptimized VMDK footer is missing");
            h = f;
        }
        int flags = h.getInt(8);
        long capacity = h.getLong(12), grain = h.getLong(20);
        long descOff = h.getLong(28), descSize = h.getLong(36);
        long gtes = Integer.toUnsignedLong(h.getInt(44));
        long gdOff = (flags & 2) != 0 && h.getLong(48) > 0 ? h.getLong(48) : h.getLong(56);
        if (gtes != 512) throw new CorruptImageException(name + ": numGTEsPerGT " + gtes + " is not 512");
        if (grain < 1 || grain > 2048 || Long.bitCount(grain) != 1)
            throw new CorruptImageException(
                    name + ": grainSize " + grain + " sectors is not a power of two up to 1 MiB");
        if (capacity <= 0 || capacity > (1L << 40))
            throw new CorruptImageException(name + ": capacity " + capacity + " sectors is invalid");
        long gdEntries = Math.ceilDiv(capacity, grain * gtes);
        if (gdOff <= 0 || gdOff * 512 > fileSize - gdEntries * 4)
            throw new CorruptImageException(name + ": grain directory offset " + gdOff + " is outside the file");
        ByteBuffer raw = s.read(gdOff * 512, (int) gdEntries * 4).order(ByteOrder.LITTLE_ENDIAN);
        long[] gd = new long[(int) gdEntries];
        for (int i = 0; i < gd.length; i++) gd[i] = Integer.toUnsignedLong(raw.getInt(i * 4));
        String desc = null;
        if (descOff > 0 && descSize > 0 && descSize < 2048 && descOff * 512 <= fileSize - descSize * 512) {
            desc = new String(
                    s.read(descOff * 512, (int) descSize * 512).array(), java.nio.charset.StandardCharsets.UTF_8);
            desc = desc.indexOf('\0') >= 0 ? desc.substring(0, desc.indexOf('\0')) : desc;
        }
        return new SparseExtent(s, capacity * 512, grain * 512, (int) gtes, gd, (flags & (1 << 16)) != 0, desc);
    }

    @Override
    public long size() {
        return capacity;
    }

    @Override
    protected long blockBytes() {
        return grainBytes;
    }

    /** Grain tables read so far (2 KiB each), by directory index, the most recently used 8192 of them. */
    private final Map<Integer, int[]> tables = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, int[]> eldest) {
            return size() > 8192;
        }
    };

    /** Grain table entry: sector of the grain, 0 unallocated, 1 a zeroed grain. */
    private long gte(long grain) throws IOException {
        int index = (int) (grain / gtEntries);
        long table = gd[index];
        if (table == 0) return 0;
        int[] entries;
        synchronized (tables) {
            entries = tables.get(index);
            if (entries == null) {
                // Only what the file holds: entries past its end are reported when asked for.
                int n = (int) Math.max(0, Math.min(gtEntries, (storage.size() - table * 512) / 4));
                entries = new int[n];
                if (n > 0)
                    storage.read(table * 512, n * 4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .asIntBuffer()
                            .get(entries);
                tables.put(index, entries);
            }
        }
        int i = (int) (grain % gtEntries);
        if (i >= entries.length)
            throw new CorruptImageException(
                    storage.name() + ": grain table " + grain / gtEntries + " is outside the file");
        return Integer.toUnsignedLong(entries[i]);
    }

    @Override
    protected long plainOffset(long block) throws IOException {
        if (compressed) return -1;
        long sector = gte(block);
        return sector > 1 && sector * 512 <= storage.size() - grainBytes ? sector * 512 : -1;
    }

    @Override
    protected boolean blockMayHaveData(long block) throws IOException {
        return gte(block) > 1;
    }

    @Override
    protected void readInBlock(long block, int offset, ByteBuffer dst) throws IOException {
        long sector = gte(block);
        if (sector <= 1) {
            fillZero(dst);
            return;
        }
        long at = sector * 512;
        if (!compressed) {
            if (at > storage.size() - grainBytes)
                throw new CorruptImageException(storage.name() + ": grain " + block + " points outside the file");
            storage.read(dst, at + offset);
            return;
        }
        ByteBuffer marker = storage.read(at, 12).order(ByteOrder.LITTLE_ENDIAN);
        long len = Integer.toUnsignedLong(marker.getInt(8));
        if (len > 2 * grainBytes + 1024 || at + 12 + len > storage.size())
            throw new CorruptImageException(
                    storage.name() + ": compressed grain " + block + " has invalid size " + len);
        byte[] in = new byte[(int) len];
        storage.read(ByteBuffer.wrap(in), at + 12);
        byte[] out = Inflate.block(in, false, (int) grainBytes, storage.name() + ": compressed grain " + block);
        dst.duplicate().put(out, offset, dst.remaining());
    }

    @Override
    protected void writeInBlock(long block, int offset, ByteBuffer src) throws IOException {
        throw new IOException(storage.name() + ": VMDK images are read-only here");
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.VMDK;
    }

    @Override
    public ImageInfo info() {
        throw new UnsupportedOperationException("an extent has no image info");
    }
}
