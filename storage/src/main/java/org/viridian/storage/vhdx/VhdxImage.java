package org.viridian.storage.vhdx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.viridian.storage.BlockMappedImage;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.io.Bytes;
import org.viridian.storage.io.ExtentChecker;
import org.viridian.storage.io.OverlayStorage;
import org.viridian.storage.io.ParentPaths;
import org.viridian.storage.io.SectorRuns;
import org.viridian.storage.io.Storage;

/**
 * A VHDX image (fixed, dynamic, differencing). Payload is written in place; every metadata change (BAT,
 * metadata region) goes through the log first, so a power cut at any point reopens to a consistent file.
 * First writes to a block allocate it whole (FULLY_PRESENT, in a differencing disk filled from the parent).
 */
public final class VhdxImage extends BlockMappedImage {
    static final long MIB = 1 << 20;
    static final int NOT_PRESENT = 0, ZERO = 2, FULLY_PRESENT = 6, PARTIALLY_PRESENT = 7;
    static final long SB_PRESENT = 6;

    private final Path path;
    private final String creator;
    private VhdxHeader header;
    private int slot;
    private final RegionTable regions;
    private VhdxMetadata meta;
    private final long[] bat;
    private final long chunkRatio;
    private VhdxLog log;
    private boolean session;
    private int replayedEntries;

    private VhdxImage(
            Storage storage,
            Path path,
            OpenOptions options,
            String creator,
            VhdxHeader header,
            int slot,
            RegionTable regions,
            VhdxMetadata meta,
            long[] bat) {
        super(storage, options);
        this.path = path;
        this.creator = creator;
        this.header = header;
        this.slot = slot;
        this.regions = regions;
        this.meta = meta;
        this.bat = bat;
        this.chunkRatio = (1L << 23) * meta.logicalSectorSize() / meta.blockSize();
    }

    public static VhdxImage open(Storage s, Path path, OpenOptions options) throws IOException {
        String name = s.name();
        if (s.size() < MIB)
            throw new CorruptImageException(
                    name + ": file is " + s.size() + " bytes, smaller than the 1 MiB VHDX header section");
        ByteBuffer ident = s.read(0, 520);
        if (!"vhdxfile"
                .equals(StandardCharsets.US_ASCII.decode(ident.slice(0, 8)).toString()))
            throw new CorruptImageException(name + ": file type identifier is not 'vhdxfile'");
        String creator = StandardCharsets.UTF_16LE.decode(ident.slice(8, 512)).toString();
        creator = creator.indexOf('\0') >= 0 ? creator.substring(0, creator.indexOf('\0')) : creator;

        VhdxHeader[] h = new VhdxHeader[2];
        String[] errors = new String[2];
        for (int i = 0; i < 2; i++) {
            try {
                h[i] = VhdxHeader.parse(s.read(VhdxHeader.OFFSETS[i], VhdxHeader.SIZE), name + ": header " + (i + 1));
            } catch (CorruptImageException e) {
                errors[i] = e.getMessage();
            }
        }
        if (h[0] == null && h[1] == null)
            throw new CorruptImageException(name + ": no valid VHDX header (" + errors[0] + "; " + errors[1] + ")");
        int slot = h[1] == null || (h[0] != null && Long.compareUnsigned(h[0].sequence(), h[1].sequence()) > 0) ? 0 : 1;
        if (h[0] != null
                && h[1] != null
                && h[0].sequence() == h[1].sequence()
                && !h[0].encode().equals(h[1].encode())) {
            throw new CorruptImageException(
                    name + ": both headers have SequenceNumber " + h[0].sequence() + " but different contents");
        }
        VhdxHeader header = h[slot];
        List<String> notes = new ArrayList<>();
        int replayed = 0;
        Storage view = s;
        if (!header.logGuid().isZero()) {
            VhdxLog.Active active = VhdxLog.findActive(s, header.logOffset(), header.logLength(), header.logGuid());
            if (active != null) {
                if (s.size() < active.flushedFileOffset()) {
                    throw new CorruptImageException(name + ": log entry FlushedFileOffset " + active.flushedFileOffset()
                            + " exceeds the file size " + s.size() + "; the file is truncated");
                }
                replayed = active.entries().size();
                view = s.readOnly() ? new OverlayStorage(s) : s;
                replay(view, active);
                if (s.readOnly())
                    notes.add(name + ": log holds " + replayed
                            + " entries to replay (replayed in memory; open read-write to replay on disk)");
            }
        }
        RegionTable regions;
        try {
            regions = RegionTable.parse(view.read(RegionTable.OFFSETS[0], RegionTable.SIZE), name + ": region table 1");
        } catch (CorruptImageException e) {
            regions = RegionTable.parse(view.read(RegionTable.OFFSETS[1], RegionTable.SIZE), name + ": region table 2");
            notes.add(e.getMessage() + "; using region table 2");
        }
        RegionTable.Region batRegion = regions.find(RegionTable.BAT), metaRegion = regions.find(RegionTable.METADATA);
        ExtentChecker extents = new ExtentChecker(name, view.size());
        for (String p : new String[] {
            extents.claim("header section", 0, MIB),
            extents.claim("log", header.logOffset(), header.logLength()),
            extents.claim("BAT region", batRegion.offset(), batRegion.length()),
            extents.claim("metadata region", metaRegion.offset(), metaRegion.length())
        }) {
            if (p != null) throw new CorruptImageException(p);
        }
        if (metaRegion.length() > 256 * MIB || batRegion.length() > 1024 * MIB)
            throw new CorruptImageException(name + ": metadata or BAT region is implausibly large");
        VhdxMetadata meta = VhdxMetadata.parse(view.read(metaRegion.offset(), (int) metaRegion.length()), name);
        long ratio = (1L << 23) * meta.logicalSectorSize() / meta.blockSize();
        long payload = Math.ceilDiv(meta.virtualSize(), meta.blockSize());
        long needed = payload + (payload - 1) / ratio;
        long count = Math.min(batRegion.length() / 8, Math.ceilDiv(payload, ratio) * (ratio + 1));
        if (count < needed)
            throw new CorruptImageException(name + ": BAT region Length " + batRegion.length() + " holds " + count
                    + " entries but the disk needs " + needed);
        long[] bat = new long[(int) count];
        view.read(batRegion.offset(), (int) count * 8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .asLongBuffer()
                .get(bat);
        VhdxImage img = new VhdxImage(view, path, options, creator, header, slot, regions, meta, bat);
        img.replayedEntries = replayed;
        if (options.tolerant()) img.problems.addAll(notes);
        img.validateBat(extents, payload);
        if (!s.readOnly() && !header.logGuid().isZero())
            img.writeHeaders(Guid.random(), header.dataWriteGuid(), Guid.ZERO);
        if (meta.hasParent() && options.parents() != null) img.openParent();
        return img;
    }

    private static void replay(Storage s, VhdxLog.Active active) throws IOException {
        for (VhdxLog.Write w : active.writes()) {
            if (s instanceof OverlayStorage o) {
                for (long p = 0; p < w.length(); p += VhdxLog.SECTOR)
                    o.put(w.fileOffset() + p, w.data() == null ? new byte[VhdxLog.SECTOR] : w.data());
            } else if (w.data() != null) {
                s.write(ByteBuffer.wrap(w.data()), w.fileOffset());
            } else {
                for (long p = 0; p < w.length(); p += MIB)
                    s.write(ByteBuffer.allocate((int) Math.min(MIB, w.length() - p)), w.fileOffset() + p);
            }
        }
        if (s.size() < active.lastFileOffset()) s.setSize(active.lastFileOffset());
        s.flush();
    }

    /** State bits, reserved bits, and that every allocated block lies in the file and overlaps nothing. */
    private void validateBat(ExtentChecker extents, long payload) throws CorruptImageException {
        for (int i = 0; i < bat.length; i++) {
            long e = bat[i];
            int state = (int) (e & 7);
            long off = fileOffset(e);
            String where = storage.name() + ": BAT entry " + i;
            String p = null;
            if (((e >>> 3) & 0x1FFFF) != 0) {
                p = where + " has reserved bits set (0x" + Long.toHexString(e) + ")";
            } else if (i % (chunkRatio + 1) == chunkRatio) {
                if (state == SB_PRESENT && meta.hasParent())
                    p = extents.claim("sector bitmap block (BAT entry " + i + ")", off, MIB);
                else if (state != NOT_PRESENT)
                    p = where + " (sector bitmap) has state " + state
                            + (meta.hasParent() ? "" : " in a non-differencing image");
            } else {
                long block = i - i / (chunkRatio + 1);
                boolean present = state == FULLY_PRESENT || state == PARTIALLY_PRESENT;
                if (state == 4 || state == 5) p = where + " has reserved state " + state;
                else if (state == PARTIALLY_PRESENT && !meta.hasParent())
                    p = where + " is PARTIALLY_PRESENT in a non-differencing image";
                else if (present && block >= payload) p = where + " is beyond the disk size but allocated";
                else if (present && off < MIB) p = where + " points into the header section (offset " + off + ")";
                else if (present)
                    p = extents.claim("payload block " + block + " (BAT entry " + i + ")", off, meta.blockSize());
            }
            if (p != null) {
                problem(p);
                bat[i] = NOT_PRESENT;
            }
        }
    }

    private void openParent() throws IOException {
        Map<String, String> loc = meta.parentLocator();
        Path p = ParentPaths.find(
                path, Arrays.asList(loc.get("relative_path"), loc.get("volume_path"), loc.get("absolute_win32_path")));
        DiskImage pi = options.openParent(p);
        String linkage = loc.get("parent_linkage"), linkage2 = loc.get("parent_linkage2");
        if (!(pi.unwrap() instanceof VhdxImage v)
                || !(v.dataWriteGuid().braced().equalsIgnoreCase(linkage)
                        || v.dataWriteGuid().braced().equalsIgnoreCase(linkage2))) {
            pi.close();
            throw new CorruptImageException(storage.name() + ": parent " + p + " does not match parent_linkage "
                    + linkage + " (it was modified or replaced)");
        }
        if (v.size() != size() || v.meta.logicalSectorSize() != meta.logicalSectorSize()) {
            pi.close();
            throw new CorruptImageException(
                    storage.name() + ": parent " + p + " has a different size or logical sector size");
        }
        parent = pi;
    }

    static long fileOffset(long entry) {
        return entry & 0xFFFFFFFFFFF00000L;
    }

    private int payloadIndex(long block) {
        return (int) (block + block / chunkRatio);
    }

    public Guid dataWriteGuid() {
        return header.dataWriteGuid();
    }

    public VhdxMetadata metadata() {
        return meta;
    }

    public int replayedEntries() {
        return replayedEntries;
    }

    @Override
    public long size() {
        return meta.virtualSize();
    }

    @Override
    protected long blockBytes() {
        return meta.blockSize();
    }

    @Override
    protected boolean blockMayHaveData(long block) throws IOException {
        int state = (int) (bat[payloadIndex(block)] & 7);
        if (state == FULLY_PRESENT || state == PARTIALLY_PRESENT) return true;
        long bs = meta.blockSize();
        return state == NOT_PRESENT
                && parent != null
                && parent.mayHaveData(block * bs, Math.min(bs, size() - block * bs));
    }

    @Override
    protected void readInBlock(long block, int offset, ByteBuffer dst) throws IOException {
        long e = bat[payloadIndex(block)];
        switch ((int) (e & 7)) {
            case FULLY_PRESENT -> storage.read(dst, fileOffset(e) + offset);
            case PARTIALLY_PRESENT -> readPartial(block, fileOffset(e), offset, dst);
            case NOT_PRESENT -> readParent(block * meta.blockSize() + offset, dst);
            default -> fillZero(dst);
        }
    }

    @Override
    protected long plainOffset(long block) {
        long e = bat[payloadIndex(block)];
        return (e & 7) == FULLY_PRESENT ? fileOffset(e) : -1;
    }

    /** As writeInBlock's allocation, without the data (whose write would precede the BAT update there). */
    @Override
    protected long allocatePlain(long block) throws IOException {
        int idx = payloadIndex(block);
        long e = bat[idx];
        int state = (int) (e & 7);
        if (state == FULLY_PRESENT) return fileOffset(e);
        if (state == PARTIALLY_PRESENT || parent != null) return -1;
        beginSession();
        long target = Bytes.roundUp(storage.size(), MIB);
        storage.setSize(target + meta.blockSize());
        updateBat(Map.of(idx, target | FULLY_PRESENT));
        return target;
    }

    /** LSB-first bits of the chunk's sector bitmap block say which sectors this file holds. */
    private void readPartial(long block, long blockAt, int offset, ByteBuffer dst) throws IOException {
        int lss = meta.logicalSectorSize();
        long sbIndex = (block / chunkRatio) * (chunkRatio + 1) + chunkRatio;
        long sb = sbIndex < bat.length ? bat[(int) sbIndex] : 0;
        if ((sb & 7) != SB_PRESENT)
            throw new CorruptImageException(storage.name() + ": block " + block
                    + " is PARTIALLY_PRESENT but its sector bitmap (BAT entry " + sbIndex + ") is not present");
        long firstBit = (block % chunkRatio) * (meta.blockSize() / lss);
        int s0 = offset / lss, s1 = (offset + dst.remaining() - 1) / lss;
        long byteFrom = (firstBit + s0) / 8;
        byte[] bits = new byte[(int) ((firstBit + s1) / 8 - byteFrom + 1)];
        storage.read(ByteBuffer.wrap(bits), fileOffset(sb) + byteFrom);
        SectorRuns.forEach(
                offset,
                dst.remaining(),
                lss,
                s -> {
                    long bit = firstBit + s - byteFrom * 8;
                    return (bits[(int) (bit >> 3)] & (1 << (bit & 7))) != 0;
                },
                (from, to, mine) -> {
                    ByteBuffer part = dst.slice(from - offset, to - from);
                    if (mine) storage.read(part, blockAt + from);
                    else readParent(block * meta.blockSize() + from, part);
                });
    }

    @Override
    protected void writeInBlock(long block, int offset, ByteBuffer src) throws IOException {
        beginSession();
        int idx = payloadIndex(block);
        long e = bat[idx];
        int state = (int) (e & 7);
        if (state == FULLY_PRESENT) {
            storage.write(src, fileOffset(e) + offset);
            return;
        }
        long bs = meta.blockSize();
        long target;
        boolean inherit = state == PARTIALLY_PRESENT || (state == NOT_PRESENT && parent != null);
        if (state == PARTIALLY_PRESENT) {
            target = fileOffset(e);
        } else {
            target = Bytes.roundUp(storage.size(), MIB);
            storage.setSize(target + bs);
        }
        if (inherit) {
            // The block becomes FULLY_PRESENT: it must first hold what it showed through the parent.
            ByteBuffer whole = ByteBuffer.allocate((int) Math.min(bs, size() - block * bs));
            readInBlock(block, 0, whole);
            whole.put(offset, src, src.position(), src.remaining());
            storage.write(whole.clear(), target);
        } else {
            storage.write(src, target + offset);
        }
        storage.flush();
        updateBat(Map.of(idx, target | FULLY_PRESENT));
    }

    /** Logs the BAT sectors holding the changed entries, then applies them. */
    private void updateBat(Map<Integer, Long> changes) throws IOException {
        long batAt = regions.find(RegionTable.BAT).offset();
        TreeMap<Long, List<Integer>> bySector = new TreeMap<>();
        for (int i : changes.keySet())
            bySector.computeIfAbsent(i * 8L / VhdxLog.SECTOR, k -> new ArrayList<>())
                    .add(i);
        List<VhdxLog.Write> writes = new ArrayList<>();
        for (var s : bySector.entrySet()) {
            long at = batAt + s.getKey() * VhdxLog.SECTOR;
            ByteBuffer sector = storage.read(at, VhdxLog.SECTOR).order(ByteOrder.LITTLE_ENDIAN);
            int first = (int) (s.getKey() * VhdxLog.SECTOR / 8);
            for (int i = first; i < Math.min(bat.length, first + VhdxLog.SECTOR / 8); i++) {
                sector.putLong((i - first) * 8, changes.getOrDefault(i, bat[i]));
            }
            writes.add(VhdxLog.Write.sector(at, sector.array()));
        }
        logged(writes);
        changes.forEach((i, v) -> bat[i] = v);
    }

    /** Write-ahead: log entry (flushed), then the sectors in place (flushed before the log space is reused). */
    private void logged(List<VhdxLog.Write> writes) throws IOException {
        beginSession();
        if (log == null) log = new VhdxLog(storage, header.logOffset(), header.logLength(), header.logGuid(), 1);
        log.append(writes, storage.size());
        for (VhdxLog.Write w : writes) storage.write(ByteBuffer.wrap(w.data()), w.fileOffset());
        storage.flush();
    }

    /** First change in this session: new write GUIDs and a fresh log GUID, so old log entries never replay. */
    private void beginSession() throws IOException {
        if (session) return;
        writeHeaders(Guid.random(), Guid.random(), Guid.random());
        session = true;
    }

    /** Updates both header slots (non-current first), flushing after each, as the specification asks. */
    private void writeHeaders(Guid fileWrite, Guid dataWrite, Guid logGuid) throws IOException {
        for (int i = 0; i < 2; i++) {
            VhdxHeader next = header.next(fileWrite, dataWrite, logGuid);
            int target = 1 - slot;
            storage.write(next.encode(), VhdxHeader.OFFSETS[target]);
            storage.flush();
            header = next;
            slot = target;
        }
    }

    @Override
    protected void beforeClose() throws IOException {
        if (!session) return;
        storage.flush();
        writeHeaders(header.fileWriteGuid(), header.dataWriteGuid(), Guid.ZERO);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (readOnly() || meta.leaveAllocated()) return;
        lock.writeLock().lock();
        try {
            long bs = meta.blockSize();
            Map<Integer, Long> changes = new LinkedHashMap<>();
            for (long b = Math.ceilDiv(offset, bs);
                    (b + 1) * bs <= offset + length || (b * bs < offset + length && offset + length == size());
                    b++) {
                if ((bat[payloadIndex(b)] & 7) != ZERO) changes.put(payloadIndex(b), (long) ZERO);
            }
            if (!changes.isEmpty()) updateBat(changes);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Changes the virtual size through the log; a shrink also drops the blocks past the new end. */
    public void resize(long newSize) throws IOException {
        lock.writeLock().lock();
        try {
            if (newSize <= 0 || newSize % meta.logicalSectorSize() != 0 || newSize > VhdxMetadata.MAX_SIZE)
                throw new IllegalArgumentException(
                        "new size must be a positive multiple of " + meta.logicalSectorSize() + " up to 64 TiB");
            long payload = Math.ceilDiv(newSize, meta.blockSize());
            long needed = payload + (payload - 1) / chunkRatio;
            long capacity = regions.find(RegionTable.BAT).length() / 8;
            if (needed > bat.length && needed > capacity)
                throw new IOException(storage.name() + ": the BAT region has room for " + capacity + " entries; "
                        + newSize + " bytes needs " + needed + " (convert to a new image instead)");
            if (needed > bat.length)
                throw new IOException(storage.name()
                        + ": growing past the BAT entries read at open is not supported; reopen after "
                        + "creating with a larger size");
            Map<Integer, Long> drop = new LinkedHashMap<>();
            for (long b = payload; b < Math.ceilDiv(size(), meta.blockSize()); b++)
                drop.put(payloadIndex(b), (long) NOT_PRESENT);
            if (!drop.isEmpty()) updateBat(drop);
            rewriteMetadata(meta.withVirtualSize(newSize));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Points a differencing disk at a moved or copied parent; {@code force} accepts a parent with other data. */
    public void setParent(Path parentPath, VhdxImage parentImage, boolean force) throws IOException {
        if (!meta.hasParent()) throw new IOException(storage.name() + ": not a differencing VHDX");
        String linkage = meta.parentLocator().get("parent_linkage");
        if (!force && !parentImage.dataWriteGuid().braced().equalsIgnoreCase(linkage)) {
            throw new IOException(storage.name() + ": " + parentPath + " does not match parent_linkage " + linkage
                    + "; use --force if its content is the same");
        }
        lock.writeLock().lock();
        try {
            rewriteMetadata(meta.withParentLocator(VhdxCreator.locator(path, parentPath, parentImage.dataWriteGuid())));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Logs exactly the metadata sectors that change. */
    private void rewriteMetadata(VhdxMetadata next) throws IOException {
        RegionTable.Region r = regions.find(RegionTable.METADATA);
        ByteBuffer now = storage.read(r.offset(), (int) r.length());
        ByteBuffer want = next.encode((int) r.length());
        List<VhdxLog.Write> writes = new ArrayList<>();
        for (int at = 0; at < r.length(); at += VhdxLog.SECTOR) {
            if (!now.slice(at, VhdxLog.SECTOR).equals(want.slice(at, VhdxLog.SECTOR))) {
                byte[] sector = new byte[VhdxLog.SECTOR];
                want.get(at, sector);
                writes.add(VhdxLog.Write.sector(r.offset() + at, sector));
            }
        }
        if (!writes.isEmpty()) logged(writes);
        meta = next;
    }

    @Override
    protected boolean blockOwned(long block) {
        return (bat[payloadIndex(block)] & 7) != NOT_PRESENT;
    }

    /** Persists the BAT entries that tolerant opening dropped. */
    @Override
    public List<String> repair() throws IOException {
        lock.writeLock().lock();
        try {
            ByteBuffer disk = storage.read(regions.find(RegionTable.BAT).offset(), bat.length * 8)
                    .order(ByteOrder.LITTLE_ENDIAN);
            Map<Integer, Long> changes = new LinkedHashMap<>();
            for (int i = 0; i < bat.length; i++) if (disk.getLong(i * 8) != bat[i]) changes.put(i, bat[i]);
            if (changes.isEmpty()) return List.of();
            updateBat(changes);
            return List.of("cleared " + changes.size() + " invalid BAT entries (through the log)");
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.VHDX;
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("creator", creator);
        d.put("headerSequence", Long.toUnsignedString(header.sequence()));
        d.put("fileWriteGuid", header.fileWriteGuid().toString());
        d.put("dataWriteGuid", header.dataWriteGuid().toString());
        d.put("logGuid", header.logGuid().toString());
        d.put("virtualDiskId", meta.diskId().toString());
        d.put("logicalSectorSize", Integer.toString(meta.logicalSectorSize()));
        d.put("physicalSectorSize", Integer.toString(meta.physicalSectorSize()));
        d.put("chunkRatio", Long.toString(chunkRatio));
        if (replayedEntries > 0) d.put("logEntriesReplayed", Integer.toString(replayedEntries));
        meta.parentLocator().forEach((k, v) -> d.put("parentLocator." + k, v));
        long blocks = 0;
        for (int i = 0; i < bat.length; i++) {
            int st = (int) (bat[i] & 7);
            if (i % (chunkRatio + 1) != chunkRatio && (st == FULLY_PRESENT || st == PARTIALLY_PRESENT)) blocks++;
        }
        ImageType type =
                meta.hasParent() ? ImageType.DIFFERENCING : meta.leaveAllocated() ? ImageType.FIXED : ImageType.DYNAMIC;
        String parentPath = parent != null && parent.unwrap() instanceof VhdxImage v ? v.path.toString() : null;
        return new ImageInfo(
                path.toString(),
                ImageFormat.VHDX,
                type,
                size(),
                storage.size(),
                blocks * meta.blockSize(),
                meta.blockSize(),
                parentPath,
                d);
    }
}
