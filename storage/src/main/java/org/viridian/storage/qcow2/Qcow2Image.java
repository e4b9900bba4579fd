package org.viridian.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.storage.BlockMappedImage;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.io.Inflate;
import org.viridian.storage.io.ParentPaths;
import org.viridian.storage.io.Storage;

/**
 * Read-only qcow2 (versions 2 and 3): L1/L2 tables, zero clusters, deflate-compressed clusters and a backing
 * file. Encryption, external data files, extended L2 entries and zstd are refused with a clear message.
 */
public final class Qcow2Image extends BlockMappedImage {
    private static final int MAGIC = 0x514649FB;
    private static final long OFFSET_MASK = 0x00FFFFFFFFFFFE00L;
    private final Path path;
    private final int clusterBits;
    private final long size;
    private final long[] l1;
    private final int version;
    private final String backingName;

    private Qcow2Image(
            Storage s, Path path, OpenOptions o, int version, int clusterBits, long size, long[] l1, String backing) {
        super(s, o);
        this.path = path;
        this.version = version;
        this.clusterBits = clusterBits;
        this.size = size;
        this.l1 = l1;
        this.backingName = backing;
    }

    public static Qcow2Image open(Storage s, Path path, OpenOptions o) throws IOException {
        String name = s.name();
        long fileSize = s.size();
        ByteBuffer h = s.read(0, 112);
        if (h.getInt(0) != MAGIC) throw new CorruptImageException(name + ": not a qcow2 file (magic)");
        int version = h.getInt(4);
        if (version != 2 && version != 3)
            throw new CorruptImageException(name + ": qcow2 version " + version + " is not supported");
        int clusterBits = h.getInt(20);
        if (clusterBits < 9 || clusterBits > 21)
            throw new CorruptImageException(name + ": qcow2 cluster_bits " + clusterBits + " is outside 9..21");
        long size = h.getLong(24);
        if (size < 0 || size > (1L << 55))
            throw new CorruptImageException(name + ": qcow2 size " + size + " is invalid");
        if (h.getInt(32) != 0) throw new IOException(name + ": encrypted qcow2 images are not supported");
        if (version == 3) {
            long incompatible = h.getLong(72);
            if ((incompatible & ~0x3L) != 0)
                throw new IOException(name + ": qcow2 incompatible features 0x" + Long.toHexString(incompatible)
                        + " (external data file, zstd or extended L2) are not supported");
            if ((incompatible & 2) != 0) throw new CorruptImageException(name + ": qcow2 image is marked corrupt");
        }
        long l1Size = Integer.toUnsignedLong(h.getInt(36));
        long l1Offset = h.getLong(40);
        long clusters = Math.ceilDiv(size, 1L << clusterBits);
        long l2Entries = 1L << (clusterBits - 3);
        if (l1Size < Math.ceilDiv(clusters, l2Entries) || l1Size > (32 << 20) / 8)
            throw new CorruptImageException(name + ": qcow2 l1_size " + l1Size + " does not match the disk size");
        if (l1Offset < 0 || l1Offset > fileSize - l1Size * 8)
            throw new CorruptImageException(name + ": qcow2 l1_table_offset " + l1Offset + " is outside the file");
        long[] l1 = new long[(int) l1Size];
        s.read(l1Offset, (int) l1Size * 8).asLongBuffer().get(l1);
        String backing = null;
        long bOff = h.getLong(8);
        int bLen = h.getInt(16);
        if (bOff != 0) {
            if (bLen <= 0 || bLen > 1023 || bOff > fileSize - bLen)
                throw new CorruptImageException(
                        name + ": qcow2 backing file name (offset " + bOff + ", length " + bLen + ") is invalid");
            backing = StandardCharsets.UTF_8.decode(s.read(bOff, bLen)).toString();
        }
        Qcow2Image img = new Qcow2Image(s, path, o, version, clusterBits, size, l1, backing);
        if (backing != null) img.parent = o.openParent(ParentPaths.find(path, java.util.List.of(backing)));
        return img;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    protected long blockBytes() {
        return 1L << clusterBits;
    }

    /** L2 tables read so far, by L1 index, at most {@link #CACHED_BYTES} of them (least recently used dropped). */
    private final Map<Integer, long[]> l2Tables = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, long[]> eldest) {
            return size() > Math.max(1, CACHED_BYTES >> clusterBits);
        }
    };

    private static final int CACHED_BYTES = 32 << 20;

    /** The L2 entry for a cluster, 0 when its L2 table is absent. */
    private long l2Entry(long cluster) throws IOException {
        long perL2 = 1L << (clusterBits - 3);
        int l1Index = (int) (cluster / perL2);
        long l1e = l1[l1Index] & OFFSET_MASK;
        if (l1e == 0) return 0;
        long[] table;
        synchronized (l2Tables) {
            table = l2Tables.get(l1Index);
            if (table == null) {
                // Only what the file holds: entries past its end are reported when asked for, as before caching.
                long fileSize = storage.size();
                int n = (int) Math.max(0, Math.min(perL2, (fileSize - l1e) / 8));
                ByteBuffer b = n == 0 ? ByteBuffer.allocate(0) : storage.read(l1e, n * 8);
                table = new long[n];
                b.asLongBuffer().get(table);
                l2Tables.put(l1Index, table);
            }
        }
        int i = (int) (cluster % perL2);
        if (i >= table.length)
            throw new CorruptImageException(
                    storage.name() + ": qcow2 L1 entry " + cluster / perL2 + " points outside the file");
        return table[i];
    }

    @Override
    protected long plainOffset(long block) throws IOException {
        long e = l2Entry(block);
        if ((e & (1L << 62)) != 0 || ((e & 1) != 0 && version == 3)) return -1;
        long at = e & OFFSET_MASK;
        return at != 0 && at <= storage.size() - blockBytes() ? at : -1;
    }

    @Override
    protected boolean blockMayHaveData(long block) throws IOException {
        long e = l2Entry(block);
        if ((e & (1L << 62)) != 0) return true;
        if ((e & 1) != 0 && version == 3) return false;
        if ((e & OFFSET_MASK) != 0) return true;
        long cs = blockBytes();
        return parent != null
                && block * cs < parent.size()
                && parent.mayHaveData(block * cs, Math.min(cs, parent.size() - block * cs));
    }

    @Override
    protected void readInBlock(long block, int offset, ByteBuffer dst) throws IOException {
        long e = l2Entry(block);
        if ((e & (1L << 62)) != 0) {
            readCompressed(e, offset, dst);
        } else if ((e & 1) != 0 && version == 3) {
            fillZero(dst);
        } else if ((e & OFFSET_MASK) != 0) {
            long at = e & OFFSET_MASK;
            if (at > storage.size() - dst.remaining() - offset)
                throw new CorruptImageException(
                        storage.name() + ": qcow2 L2 entry for cluster " + block + " points outside the file");
            storage.read(dst, at + offset);
        } else if (parent != null) {
            // The backing file may be shorter: the rest reads as zeros.
            long at = block * blockBytes() + offset;
            int n = (int) Math.max(0, Math.min(dst.remaining(), parent.size() - at));
            fillZero(dst);
            if (n > 0) parent.read(dst.slice(dst.position(), n), at);
        } else {
            fillZero(dst);
        }
    }

    private void readCompressed(long e, int offset, ByteBuffer dst) throws IOException {
        int x = 62 - (clusterBits - 8);
        long at = e & ((1L << x) - 1);
        long sectors = ((e >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
        // Check the offset before narrowing: past the end, (int) of the negative remainder kept its low 32 bits and
        // a crafted entry made us allocate and read about the whole file per cluster (a fuzz finding, 1.36 GB).
        long fileSize = storage.size();
        if (at >= fileSize)
            throw new CorruptImageException(
                    storage.name() + ": qcow2 compressed cluster at " + at + " is outside the file");
        int len = (int) Math.min(sectors * 512 - (at & 511), fileSize - at); // at most two clusters (4 MiB)
        if (len <= 0)
            throw new CorruptImageException(
                    storage.name() + ": qcow2 compressed cluster at " + at + " is outside the file");
        byte[] in = new byte[len];
        storage.read(ByteBuffer.wrap(in), at);
        byte[] out =
                Inflate.block(in, true, (int) blockBytes(), storage.name() + ": qcow2 compressed cluster at " + at);
        dst.duplicate().put(out, offset, dst.remaining());
    }

    @Override
    protected void writeInBlock(long block, int offset, ByteBuffer src) throws IOException {
        throw new IOException(storage.name() + ": qcow2 images are read-only here (convert them first)");
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.QCOW2;
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("version", Integer.toString(version));
        if (backingName != null) d.put("backingFile", backingName);
        return new ImageInfo(
                path.toString(),
                ImageFormat.QCOW2,
                backingName != null ? ImageType.DIFFERENCING : ImageType.DYNAMIC,
                size,
                storage.size(),
                storage.size(),
                blockBytes(),
                backingName,
                d);
    }
}
