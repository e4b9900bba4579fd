package org.viridian.storage.vhdx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.storage.io.Bytes;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.io.ParentPaths;
import org.viridian.storage.io.Storage;

/**
 * Writes new VHDX files. Layout: log (1 MiB) at 1 MiB, metadata (1 MiB) at 2 MiB, BAT at 3 MiB sized for every
 * payload and sector-bitmap entry, payload blocks after it.
 */
public final class VhdxCreator {
    public static final long DEFAULT_BLOCK_SIZE = 32L << 20, DEFAULT_DIFF_BLOCK_SIZE = 2L << 20;
    private static final long MIB = 1 << 20;
    private static final long LOG_AT = MIB, LOG_LENGTH = MIB, META_AT = 2 * MIB, META_LENGTH = MIB, BAT_AT = 3 * MIB;

    private VhdxCreator() {}

    public static void create(Path path, long size, long blockSize, boolean fixed) throws IOException {
        create(path, size, blockSize, fixed, FileStorage::create);
    }

    public static void create(Path path, long size, long blockSize, boolean fixed, Storage.Creator creator)
            throws IOException {
        if (size <= 0 || size > VhdxMetadata.MAX_SIZE)
            throw new IllegalArgumentException("VHDX size must be between 1 byte and 64 TiB");
        size = Bytes.roundUp(size, 512);
        write(
                path,
                new VhdxMetadata(checkBlockSize(blockSize), fixed, false, size, Guid.random(), 512, 4096, Map.of()),
                creator);
    }

    public static void createDifferencing(Path path, Path parentPath, VhdxImage parent, long blockSize)
            throws IOException {
        VhdxMetadata pm = parent.metadata();
        write(
                path,
                new VhdxMetadata(
                        checkBlockSize(blockSize),
                        false,
                        true,
                        pm.virtualSize(),
                        pm.diskId(),
                        pm.logicalSectorSize(),
                        pm.physicalSectorSize(),
                        locator(path, parentPath, parent.dataWriteGuid())),
                FileStorage::create);
    }

    static Map<String, String> locator(Path child, Path parentPath, Guid parentDataWriteGuid) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("parent_linkage", parentDataWriteGuid.braced());
        m.put("relative_path", ParentPaths.relative(child, parentPath));
        m.put("absolute_win32_path", ParentPaths.absolute(parentPath));
        return m;
    }

    private static long checkBlockSize(long bs) {
        if (bs < MIB || bs > 256 * MIB || Long.bitCount(bs) != 1)
            throw new IllegalArgumentException("VHDX block size must be a power of two from 1 MiB to 256 MiB");
        return bs;
    }

    private static void write(Path path, VhdxMetadata meta, Storage.Creator creator) throws IOException {
        long ratio = (1L << 23) * meta.logicalSectorSize() / meta.blockSize();
        long payload = Math.ceilDiv(meta.virtualSize(), meta.blockSize());
        long entries = Math.ceilDiv(payload, ratio) * (ratio + 1);
        long batLength = Bytes.roundUp(entries * 8, MIB);
        long dataAt = BAT_AT + batLength;
        if (entries * 8 > Integer.MAX_VALUE)
            throw new IllegalArgumentException("BAT too large; use a bigger block size");
        ByteBuffer bat = ByteBuffer.allocate((int) (entries * 8)).order(ByteOrder.LITTLE_ENDIAN);
        long end = dataAt;
        if (meta.leaveAllocated()) {
            for (long b = 0; b < payload; b++) {
                bat.putLong((int) ((b + b / ratio) * 8), end | VhdxImage.FULLY_PRESENT);
                end += meta.blockSize();
            }
        }
        try (Storage s = creator.create(path)) {
            ByteBuffer ident = ByteBuffer.allocate(64 << 10);
            ident.put("vhdxfile".getBytes(StandardCharsets.US_ASCII))
                    .put("Viridian".getBytes(StandardCharsets.UTF_16LE));
            s.setSize(end);
            s.write(ident.clear(), 0);
            RegionTable rt = new RegionTable(List.of(
                    new RegionTable.Region(RegionTable.BAT, BAT_AT, batLength, true),
                    new RegionTable.Region(RegionTable.METADATA, META_AT, META_LENGTH, true)));
            for (long at : RegionTable.OFFSETS) s.write(rt.encode(), at);
            s.write(meta.encode((int) META_LENGTH), META_AT);
            s.write(bat, BAT_AT);
            Guid fw = Guid.random(), dw = Guid.random();
            s.flush();
            // Headers last: until they exist the file is not a VHDX.
            for (int i = 0; i < 2; i++) {
                s.write(
                        new VhdxHeader(i + 1, fw, dw, Guid.ZERO, 0, 1, LOG_LENGTH, LOG_AT).encode(),
                        VhdxHeader.OFFSETS[i]);
            }
            s.flush();
        }
    }
}
