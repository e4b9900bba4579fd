package org.viridian.storage.vhd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.storage.BlockMappedImage;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.io.Bytes;
import org.viridian.storage.io.ExtentChecker;
import org.viridian.storage.io.ParentPaths;
import org.viridian.storage.io.SectorRuns;
import org.viridian.storage.io.Storage;

/**
 * A VHD image: fixed, dynamic or differencing. The virtual size is the footer's current size, as Hyper-V reads
 * it. Block allocation writes the block and the moved footer, flushes, then points the BAT at it, so a crash
 * leaks at most a block and never leaves the BAT pointing at garbage.
 */
public final class VhdImage extends BlockMappedImage {
    /** The largest BAT opened (64 MiB): far above a 2040 GiB disk in 512 KiB blocks, the format's limits. */
    static final long MAX_BAT_ENTRIES = 16L << 20;

    private static final int BAT_CHUNK = 1 << 20;

    static final int UNUSED = 0xFFFFFFFF;
    /** Fixed disks have no blocks; this only sizes the pieces requests are cut into. */
    private static final int FIXED_CHUNK = 2 << 20;

    private final Path path;
    private VhdFooter footer;
    private VhdDynamicHeader header;
    private int[] bat;
    private final int bitmapBytes;
    private final Map<Long, byte[]> bitmaps = new java.util.concurrent.ConcurrentHashMap<>();
    /** End of the last structure or block: where the next block goes. */
    private long dataEnd;

    private boolean repairFooters;
    /** Whether allocations kept the BAT and the footer's move in memory (see {@link Storage#metadataAtClose()}). */
    private boolean metadataPending;

    private VhdImage(
            Storage storage, Path path, OpenOptions options, VhdFooter footer, VhdDynamicHeader header, int[] bat) {
        super(storage, options);
        this.path = path;
        this.footer = footer;
        this.header = header;
        this.bat = bat;
        this.bitmapBytes = header == null ? 0 : (int) Bytes.roundUp(Math.ceilDiv(header.blockSize() / 512, 8), 512);
    }

    public static VhdImage open(Storage s, Path path, OpenOptions options) throws IOException {
        String name = s.name();
        long fileSize = s.size();
        if (fileSize < VhdFooter.SIZE)
            throw new CorruptImageException(name + ": file is " + fileSize + " bytes, too short for a VHD footer");
        VhdFooter tail = null, head = null;
        CorruptImageException tailError = null;
        try {
            tail = VhdFooter.parse(s.read(fileSize - 512, 512), name + " (footer at end of file)");
        } catch (CorruptImageException e) {
            tailError = e;
        }
        if (fileSize >= 512 + VhdDynamicHeader.SIZE) {
            try {
                head = VhdFooter.parse(s.read(0, 512), name + " (footer copy at offset 0)");
            } catch (CorruptImageException ignored) {
                // Fixed disks have no copy; a dynamic disk with a good tail does not need it.
            }
        }
        List<String> notes = new ArrayList<>();
        boolean fixFooters = false;
        VhdFooter footer;
        if (tail != null) {
            footer = tail;
            if (tail.diskType() != VhdFooter.FIXED && (head == null || !head.sameAs(tail))) {
                notes.add(name + ": footer copy at offset 0 "
                        + (head == null ? "is invalid" : "differs from the footer at the end"));
                fixFooters = true;
            }
        } else if (head != null && head.diskType() != VhdFooter.FIXED) {
            // A crash between growing the file and writing the moved footer leaves only the copy at offset 0.
            footer = head;
            notes.add(tailError.getMessage() + "; using the copy at offset 0");
            fixFooters = true;
        } else {
            throw tailError;
        }
        VhdDynamicHeader header = null;
        int[] bat = null;
        if (footer.diskType() == VhdFooter.FIXED) {
            if (fileSize < footer.currentSize() + 512)
                throw new CorruptImageException(name + ": fixed VHD of " + footer.currentSize()
                        + " bytes needs a file of " + (footer.currentSize() + 512) + " bytes but it has " + fileSize
                        + "; the file is truncated");
        } else {
            long ho = footer.dataOffset();
            if (ho < 512 || ho > fileSize - VhdDynamicHeader.SIZE)
                throw new CorruptImageException(
                        name + ": footer data offset " + ho + " (dynamic header) is outside the file");
            header = VhdDynamicHeader.parse(s.read(ho, VhdDynamicHeader.SIZE), name);
            long needed = Math.ceilDiv(footer.currentSize(), header.blockSize());
            long entries = Integer.toUnsignedLong(header.maxTableEntries());
            if (entries < needed)
                throw new CorruptImageException(name + ": dynamic header max table entries " + entries
                        + " is too small for " + footer.currentSize() + " bytes (needs " + needed + ")");
            if (entries * 4 > fileSize)
                throw new CorruptImageException(
                        name + ": dynamic header max table entries " + entries + " makes a BAT larger than the file");
            // The BAT is read whole: bound it by what any real VHD needs (2040 GiB at 512 KiB blocks is 4 Mi entries),
            // not only by the file's size, which a sparse or hostile file can make huge (fuzz finding: 2.26 GB).
            if (entries > MAX_BAT_ENTRIES)
                throw new CorruptImageException(name + ": dynamic header max table entries " + entries + " exceeds the "
                        + MAX_BAT_ENTRIES + " this reader accepts (64 MiB of BAT)");
            long to = header.tableOffset();
            if (to < 512 || to > fileSize - entries * 4)
                throw new CorruptImageException(
                        name + ": dynamic header table offset " + to + " puts the BAT outside the file");
            bat = readBat(s, to, (int) entries);
        }
        VhdImage img = new VhdImage(s, path, options, footer, header, bat);
        img.problems.addAll(notes);
        img.repairFooters = fixFooters;
        if (header != null) {
            img.validateBat(fileSize - (tail != null ? 512 : 0));
            // New blocks go after the current footer (past any space a crash leaked).
            if (tail != null) img.dataEnd = Math.max(img.dataEnd, fileSize - 512);
        }
        if (footer.diskType() == VhdFooter.DIFFERENCING && options.parents() != null) img.openParent();
        return img;
    }

    /** Through one small buffer: a 64 MiB BAT must not cost another 64 MiB of copy. */
    private static int[] readBat(Storage s, long at, int entries) throws IOException {
        int[] bat = new int[entries];
        ByteBuffer chunk = ByteBuffer.allocate(BAT_CHUNK);
        for (int i = 0; i < entries; ) {
            int n = Math.min(BAT_CHUNK / 4, entries - i);
            s.read(chunk.clear().limit(n * 4), at + i * 4L);
            chunk.flip().asIntBuffer().get(bat, i, n);
            i += n;
        }
        return bat;
    }

    /** Writes the whole BAT (its reserved sectors, UNUSED past the last entry) through one small buffer. */
    private void writeBat(int[] entries, long capacity) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(BAT_CHUNK);
        for (long i = 0; i < capacity; ) {
            int n = (int) Math.min(BAT_CHUNK / 4, capacity - i);
            chunk.clear();
            for (int k = 0; k < n; k++) chunk.putInt(i + k < entries.length ? entries[(int) (i + k)] : UNUSED);
            storage.write(chunk.flip(), header.tableOffset() + i * 4);
            i += n;
        }
    }

    /** Every BAT entry must point past the metadata, inside the file, at a block no other entry uses. */
    private void validateBat(long limit) throws IOException {
        ExtentChecker extents = new ExtentChecker(storage.name(), Math.max(limit, 0));
        extents.claim("footer copy", 0, 512);
        extents.claim("dynamic header", footer.dataOffset(), VhdDynamicHeader.SIZE);
        long batBytes = Bytes.roundUp(bat.length * 4L, 512);
        extents.claim("BAT", header.tableOffset(), batBytes);
        dataEnd = Math.max(footer.dataOffset() + VhdDynamicHeader.SIZE, header.tableOffset() + batBytes);
        for (VhdDynamicHeader.Locator l : header.locators()) {
            long space = Bytes.roundUp(Math.max(Integer.toUnsignedLong(l.dataSpace()), l.dataLength()), 512);
            // Some writers count the space in sectors: never let that inflate past the file.
            if (space > 1 << 20) space = Bytes.roundUp(l.dataLength(), 512);
            String p = extents.claim("parent locator", l.dataOffset(), space);
            if (p != null) problem(p);
            else dataEnd = Math.max(dataEnd, l.dataOffset() + space);
        }
        long blockTotal = bitmapBytes + (long) header.blockSize();
        long inDisk = Math.ceilDiv(footer.currentSize(), header.blockSize());
        // Up to 16 Mi entries: checked in offset order with one packed long per allocated entry (sector << 32 | index)
        // and no object or string per entry, so a hostile BAT cannot make the host allocate gigabytes (fuzz finding).
        BatProblems bad = new BatProblems();
        int n = 0;
        for (int i = 0; i < bat.length; i++) {
            if (bat[i] == UNUSED) continue;
            if (i < inDisk) n++;
            else {
                if (bad.listNext())
                    problem(storage.name() + ": BAT entry " + i + " is beyond the disk size but allocated");
                bat[i] = UNUSED;
            }
        }
        long[] order = new long[n];
        n = 0;
        for (int i = 0; i < Math.min(inDisk, bat.length); i++) {
            if (bat[i] != UNUSED) order[n++] = Integer.toUnsignedLong(bat[i]) << 32 | i;
        }
        Arrays.sort(order);
        long[] metadata = extents.claimedInOrder();
        int m = 0;
        long previousEnd = 0;
        for (int k = 0; k < n; k++) {
            int i = (int) order[k];
            long off = (order[k] >>> 32) * 512;
            while (m < metadata.length && metadata[m + 1] <= off) m += 2;
            if (off > extents.limit() - blockTotal || (m < metadata.length && metadata[m] < off + blockTotal)) {
                // claim refuses it too, and words the problem (past the end, or which metadata it overlaps).
                if (bad.listNext()) problem(extents.claim("block of BAT entry " + i, off, blockTotal));
            } else if (off < previousEnd) {
                if (bad.listNext())
                    problem(storage.name() + ": block of BAT entry " + i + " at offset " + off
                            + " overlaps another block (ending at " + previousEnd + ")");
            } else {
                previousEnd = off + blockTotal;
                dataEnd = Math.max(dataEnd, previousEnd);
                continue;
            }
            bat[i] = UNUSED;
        }
        bad.report();
    }

    /** The first few BAT problems in full, then only a count: a corrupt BAT may have millions of bad entries. */
    private final class BatProblems {
        private static final int SHOWN = 20;
        private long count;

        /** Counts one more bad entry; true while it is among the first few, to be described. No lambda per entry. */
        boolean listNext() {
            return count++ < SHOWN;
        }

        void report() throws CorruptImageException {
            if (count > SHOWN) problem(storage.name() + ": " + (count - SHOWN) + " more bad BAT entries not listed");
        }
    }

    private void openParent() throws IOException {
        List<String> candidates = new ArrayList<>();
        for (int code : new int[] {VhdDynamicHeader.W2RU, VhdDynamicHeader.W2KU}) {
            for (VhdDynamicHeader.Locator l : header.locators()) {
                if (l.code() != code) continue;
                if (l.dataLength() <= 0
                        || l.dataLength() > 65536
                        || l.dataOffset() < 0
                        || l.dataOffset() > storage.size() - l.dataLength()) {
                    problem(storage.name() + ": parent locator data (offset " + l.dataOffset() + ", length "
                            + l.dataLength() + ") is outside the file");
                    continue;
                }
                candidates.add(StandardCharsets.UTF_16LE
                        .decode(storage.read(l.dataOffset(), l.dataLength()))
                        .toString()
                        .replace("\0", ""));
            }
        }
        candidates.add(header.parentName());
        Path p = ParentPaths.find(path, candidates);
        DiskImage parentImage = options.openParent(p);
        if (!(parentImage.unwrap() instanceof VhdImage v)
                || !Arrays.equals(v.footer.uniqueId(), header.parentUniqueId())) {
            parentImage.close();
            throw new CorruptImageException(storage.name() + ": parent " + p
                    + " is not the image this disk was created from (parent unique id mismatch)");
        }
        if (parentImage.size() != size()) {
            parentImage.close();
            throw new CorruptImageException(storage.name() + ": parent " + p + " has size " + parentImage.size()
                    + " but this disk has " + size());
        }
        parent = parentImage;
    }

    public VhdFooter footer() {
        return footer;
    }

    public VhdDynamicHeader dynamicHeader() {
        return header;
    }

    @Override
    public long size() {
        return footer.currentSize();
    }

    @Override
    protected long blockBytes() {
        return header == null ? FIXED_CHUNK : header.blockSize();
    }

    private boolean differencing() {
        return footer.diskType() == VhdFooter.DIFFERENCING;
    }

    private long blockStart(long block) {
        return Integer.toUnsignedLong(bat[(int) block]) * 512;
    }

    @Override
    protected boolean blockMayHaveData(long block) throws IOException {
        if (header == null) return true;
        if (bat[(int) block] != UNUSED) return true;
        long bs = header.blockSize();
        return parent != null && parent.mayHaveData(block * bs, Math.min(bs, size() - block * bs));
    }

    @Override
    protected void readInBlock(long block, int offset, ByteBuffer dst) throws IOException {
        long diskOffset = block * blockBytes() + offset;
        if (header == null) {
            storage.read(dst, diskOffset);
        } else if (bat[(int) block] == UNUSED) {
            readParent(diskOffset, dst);
        } else if (!differencing()) {
            // We keep unset sectors zero, so the bitmap needs no look-up (qemu reads the same way).
            storage.read(dst, blockStart(block) + bitmapBytes + offset);
        } else {
            readMixed(block, offset, dst);
        }
    }

    @Override
    protected long plainOffset(long block) {
        if (header == null) return block * blockBytes();
        return bat[(int) block] == UNUSED || differencing() ? -1 : blockStart(block) + bitmapBytes;
    }

    @Override
    protected long allocatePlain(long block) throws IOException {
        if (header == null) return block * blockBytes();
        if (differencing()) return -1;
        if (bat[(int) block] == UNUSED) allocate(block);
        return blockStart(block) + bitmapBytes;
    }

    /** Differencing block: runs of sectors whose bit is set come from this file, the others from the parent. */
    private void readMixed(long block, int offset, ByteBuffer dst) throws IOException {
        byte[] bitmap = bitmap(block);
        SectorRuns.forEach(offset, dst.remaining(), 512, s -> bit(bitmap, s), (from, to, mine) -> {
            ByteBuffer part = dst.slice(from - offset, to - from);
            if (mine) storage.read(part, blockStart(block) + bitmapBytes + from);
            else readParent(block * blockBytes() + from, part);
        });
    }

    /** MSB first: bit 7 of byte 0 is sector 0. */
    private static boolean bit(byte[] bitmap, int sector) {
        return (bitmap[sector >> 3] & (0x80 >>> (sector & 7))) != 0;
    }

    private byte[] bitmap(long block) throws IOException {
        byte[] b = bitmaps.get(block);
        if (b == null) {
            b = new byte[bitmapBytes];
            storage.read(ByteBuffer.wrap(b), blockStart(block));
            bitmaps.put(block, b);
        }
        return b;
    }

    @Override
    protected void writeInBlock(long block, int offset, ByteBuffer src) throws IOException {
        if (header == null) {
            storage.write(src, block * blockBytes() + offset);
            return;
        }
        if (bat[(int) block] == UNUSED) allocate(block);
        long base = blockStart(block) + bitmapBytes;
        if (!differencing()) {
            storage.write(src, base + offset);
            return;
        }
        // Whole sectors only: a partial sector takes the rest of its bytes from the current view.
        int first = offset / 512 * 512;
        int end = (int) Bytes.roundUp(offset + src.remaining(), 512);
        ByteBuffer data = src;
        if (first != offset || end != offset + src.remaining()) {
            data = ByteBuffer.allocate(end - first);
            readInBlock(block, first, data);
            data.put(offset - first, src, src.position(), src.remaining());
        }
        storage.write(data, base + first);
        byte[] bitmap = bitmap(block);
        for (int s = first / 512; s < end / 512; s++) bitmap[s >> 3] |= (byte) (0x80 >>> (s & 7));
        int from = first / 512 / 8 / 512 * 512, to = (int) Bytes.roundUp((end / 512 + 7) / 8, 512);
        storage.write(ByteBuffer.wrap(bitmap, from, to - from), blockStart(block) + from);
    }

    private void allocate(long block) throws IOException {
        long bitmapAt = Bytes.roundUp(dataEnd + bitmapBytes, 4096) - bitmapBytes;
        long end = bitmapAt + bitmapBytes + header.blockSize();
        // A brand-new image filled under a temporary name writes the BAT and the footer once, before it is closed
        // (writeDeferredMetadata), not for each block (a truncate and four writes a block).
        boolean deferred = storage.metadataAtClose() && !differencing();
        if (!deferred || !metadataPending) {
            if (!deferred) storage.setSize(end + 512);
            // The old footer may sit inside the new block: its data must read as zeros.
            storage.write(ByteBuffer.allocate(512), dataEnd);
        }
        ByteBuffer bitmap = ByteBuffer.allocate(bitmapBytes);
        if (!differencing()) {
            while (bitmap.hasRemaining()) bitmap.put((byte) 0xFF);
            bitmap.flip();
        }
        storage.write(bitmap, bitmapAt);
        if (deferred) {
            metadataPending = true;
        } else {
            storage.write(footer.encode(), end);
            storage.flush();
        }
        bat[(int) block] = (int) (bitmapAt / 512);
        if (!deferred) {
            storage.write(ByteBuffer.allocate(4).putInt(0, bat[(int) block]), header.tableOffset() + block * 4);
            storage.flush();
        }
        dataEnd = end;
    }

    private void writeDeferredMetadata() throws IOException {
        if (!metadataPending) return;
        writeBat(bat, Bytes.roundUp(bat.length * 4L, 512) / 4);
        storage.write(footer.encode(), dataEnd);
        if (storage.size() != dataEnd + 512) storage.setSize(dataEnd + 512);
        metadataPending = false;
    }

    @Override
    protected void flushMetadata() throws IOException {
        writeDeferredMetadata();
    }

    @Override
    protected void beforeClose() throws IOException {
        writeDeferredMetadata();
    }

    @Override
    public List<String> repair() throws IOException {
        List<String> done = new ArrayList<>();
        if (header != null && !problems.isEmpty()) {
            writeBat(bat, Bytes.roundUp(bat.length * 4L, 512) / 4);
            done.add("rewrote the BAT without the invalid entries");
        }
        if (repairFooters || storage.size() != (header == null ? footer.currentSize() : dataEnd) + 512) {
            long at = header == null ? footer.currentSize() : dataEnd;
            if (header != null) storage.write(footer.encode(), 0);
            storage.setSize(at + 512);
            storage.write(footer.encode(), at);
            done.add("rewrote the footer" + (header != null ? " and its copy at offset 0" : "") + " at offset " + at);
        }
        storage.flush();
        return done;
    }

    /**
     * Grows or shrinks the virtual size in place (callers check that a shrink loses no data). A dynamic disk can
     * grow while its BAT fits the space reserved for it.
     */
    public void resize(long newSize) throws IOException {
        lock.writeLock().lock();
        try {
            if (newSize <= 0 || newSize > VhdFooter.MAX_SIZE)
                throw new IllegalArgumentException("VHD size must be between 1 byte and 2040 GiB");
            newSize = Bytes.roundUp(newSize, 512);
            long oldSize = footer.currentSize();
            VhdFooter next = footer.withCurrentSize(newSize);
            if (header != null) {
                int entries = (int) Math.ceilDiv(newSize, header.blockSize());
                long capacity = Bytes.roundUp(bat.length * 4L, 512) / 4;
                if (entries > capacity)
                    throw new IOException(storage.name() + ": the BAT has room for " + capacity + " blocks; " + newSize
                            + " bytes needs " + entries + " (convert to a new image instead)");
                int[] resized = Arrays.copyOf(bat, entries);
                for (int i = bat.length; i < entries; i++) resized[i] = UNUSED;
                writeBat(resized, capacity);
                storage.write(header.withMaxTableEntries(entries).encode(), footer.dataOffset());
                bat = resized;
                header = header.withMaxTableEntries(entries);
                storage.write(next.encode(), 0);
                storage.write(next.encode(), dataEnd);
            } else {
                storage.setSize(newSize + 512);
                // Growing a fixed disk: the old footer is now disk data and must read as zeros.
                if (newSize > oldSize) storage.write(ByteBuffer.allocate(512), oldSize);
                storage.write(next.encode(), newSize);
            }
            footer = next;
            storage.flush();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Points a differencing disk at a moved or copied parent; {@code force} also adopts a different identity. */
    public void setParent(Path newParent, VhdImage parentImage, boolean force) throws IOException {
        if (!differencing()) throw new IOException(storage.name() + ": not a differencing VHD");
        if (!force && !Arrays.equals(parentImage.footer.uniqueId(), header.parentUniqueId())) {
            throw new IOException(storage.name() + ": " + newParent
                    + " is not the original parent (unique id differs); use --force if its content is the same");
        }
        lock.writeLock().lock();
        try {
            VhdDynamicHeader h =
                    VhdCreator.withParentLocators(header, path, newParent, parentImage.footer(), header.locators());
            VhdCreator.writeLocators(storage, h, path, newParent);
            storage.write(h.encode(), footer.dataOffset());
            storage.flush();
            header = h;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    protected boolean blockOwned(long block) {
        return header == null || bat[(int) block] != UNUSED;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.VHD;
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("creator", footer.creatorName());
        d.put("created", footer.time().toString());
        d.put("geometry", VhdGeometry.unpack(footer.geometry()).toString());
        d.put("uniqueId", footer.uniqueIdHex());
        long allocated = footer.currentSize();
        if (header != null) {
            allocated = Arrays.stream(bat).filter(e -> e != UNUSED).count() * header.blockSize();
            d.put("batEntries", Integer.toString(bat.length));
            if (differencing()) d.put("parentName", header.parentName());
        }
        ImageType type =
                switch (footer.diskType()) {
                    case VhdFooter.FIXED -> ImageType.FIXED;
                    case VhdFooter.DYNAMIC -> ImageType.DYNAMIC;
                    default -> ImageType.DIFFERENCING;
                };
        String parentPath = parent != null && parent.unwrap() instanceof VhdImage v ? v.path.toString() : null;
        return new ImageInfo(
                path.toString(),
                ImageFormat.VHD,
                type,
                size(),
                storage.size(),
                allocated,
                header == null ? 0 : header.blockSize(),
                parentPath,
                d);
    }
}
