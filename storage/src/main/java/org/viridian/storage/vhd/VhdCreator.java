package org.viridian.storage.vhd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.viridian.storage.io.Bytes;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.io.ParentPaths;
import org.viridian.storage.io.RandomBytes;
import org.viridian.storage.io.Storage;

/** Writes new VHD files: the layout follows Hyper-V (BAT at 1536, 4 KiB-aligned block data). */
public final class VhdCreator {
    public static final int DEFAULT_BLOCK_SIZE = 2 << 20;
    private static final long HEADER_AT = 512, BAT_AT = 1536;

    private VhdCreator() {}

    public static void createFixed(Path path, long size) throws IOException {
        createFixed(path, size, FileStorage::create);
    }

    public static void createFixed(Path path, long size, Storage.Creator creator) throws IOException {
        size = checkSize(size);
        try (Storage s = creator.create(path)) {
            s.setSize(size + 512);
            s.write(footer(VhdFooter.FIXED, size, -1L).encode(), size);
            s.flush();
        }
    }

    public static void createDynamic(Path path, long size, int blockSize) throws IOException {
        createDynamic(path, size, blockSize, FileStorage::create);
    }

    public static void createDynamic(Path path, long size, int blockSize, Storage.Creator creator) throws IOException {
        size = checkSize(size);
        try (Storage s = creator.create(path)) {
            writeSparse(s, footer(VhdFooter.DYNAMIC, size, HEADER_AT), header(size, blockSize), null, path);
        }
    }

    /** A differencing disk over {@code parentPath}, which must be a VHD (checked by the caller's open). */
    public static void createDifferencing(Path path, Path parentPath, VhdImage parent) throws IOException {
        VhdFooter pf = parent.footer();
        int blockSize = parent.dynamicHeader() != null ? parent.dynamicHeader().blockSize() : DEFAULT_BLOCK_SIZE;
        VhdDynamicHeader h = header(pf.currentSize(), blockSize);
        h = withParentLocators(h, path, parentPath, pf, List.of());
        try (Storage s = FileStorage.create(path)) {
            writeSparse(s, footer(VhdFooter.DIFFERENCING, pf.currentSize(), HEADER_AT), h, parentPath, path);
        }
    }

    private static long checkSize(long size) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive");
        size = Bytes.roundUp(size, 512);
        if (size > VhdFooter.MAX_SIZE)
            throw new IllegalArgumentException("VHD size " + size + " exceeds the format's maximum of 2040 GiB");
        return size;
    }

    private static VhdFooter footer(int type, long size, long dataOffset) {
        byte[] id = RandomBytes.of(16);
        id[6] = (byte) ((id[6] & 0x0F) | 0x40);
        id[8] = (byte) ((id[8] & 0x3F) | 0x80);
        return new VhdFooter(
                2,
                dataOffset,
                VhdFooter.timestampOf(Instant.now()),
                VhdFooter.CREATOR,
                0x00010000,
                0x5769326B,
                size,
                size,
                VhdGeometry.forSize(size).pack(),
                type,
                id,
                0);
    }

    /** A header with an all-unused BAT right after it. */
    private static VhdDynamicHeader header(long size, int blockSize) {
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1)
            throw new IllegalArgumentException("VHD block size must be a power of two of at least 512 bytes");
        int entries = (int) Math.ceilDiv(size, blockSize);
        return new VhdDynamicHeader(BAT_AT, entries, blockSize, new byte[16], 0, "", List.of());
    }

    private static void writeSparse(Storage s, VhdFooter f, VhdDynamicHeader h, Path parentPath, Path path)
            throws IOException {
        long batBytes = Bytes.roundUp(h.maxTableEntries() * 4L, 4096);
        ByteBuffer bat = ByteBuffer.allocate((int) batBytes);
        while (bat.hasRemaining()) bat.putInt(VhdImage.UNUSED);
        long end = BAT_AT + batBytes;
        if (parentPath != null) end = writeLocators(s, h, path, parentPath);
        s.setSize(end + 512);
        s.write(f.encode(), 0);
        s.write(h.encode(), HEADER_AT);
        s.write(bat.flip(), BAT_AT);
        s.write(f.encode(), end);
        s.flush();
    }

    /** Header fields naming the parent: id, timestamp, name, and W2ru/W2ku locators laid out after the BAT. */
    static VhdDynamicHeader withParentLocators(
            VhdDynamicHeader h, Path child, Path parentPath, VhdFooter parent, List<VhdDynamicHeader.Locator> existing)
            throws IOException {
        long batEnd = h.tableOffset() + Bytes.roundUp(h.maxTableEntries() * 4L, 4096);
        List<VhdDynamicHeader.Locator> locs = new ArrayList<>();
        long at = batEnd;
        for (String p : locatorStrings(child, parentPath)) {
            int len = p.getBytes(StandardCharsets.UTF_16LE).length;
            int space = (int) Bytes.roundUp(len, 512);
            // Reuse the existing slot when the new path fits, so set-parent never moves blocks.
            VhdDynamicHeader.Locator old = existing.size() > locs.size() ? existing.get(locs.size()) : null;
            if (old != null && Integer.toUnsignedLong(old.dataSpace()) >= space) {
                locs.add(new VhdDynamicHeader.Locator(
                        locs.isEmpty() ? VhdDynamicHeader.W2RU : VhdDynamicHeader.W2KU,
                        old.dataSpace(),
                        len,
                        old.dataOffset()));
                continue;
            }
            if (old != null)
                throw new IOException(
                        child + ": the new parent path is longer than the locator space reserved in this disk");
            locs.add(new VhdDynamicHeader.Locator(
                    locs.isEmpty() ? VhdDynamicHeader.W2RU : VhdDynamicHeader.W2KU, space, len, at));
            at += space;
        }
        int ts = VhdFooter.timestampOf(Files.getLastModifiedTime(parentPath).toInstant());
        return h.withParent(parent.uniqueId(), ts, parentPath.getFileName().toString(), locs);
    }

    private static List<String> locatorStrings(Path child, Path parentPath) {
        return List.of(ParentPaths.relative(child, parentPath), ParentPaths.absolute(parentPath));
    }

    /** Writes the locator strings; returns the end of the locator area. */
    static long writeLocators(Storage s, VhdDynamicHeader h, Path child, Path parentPath) throws IOException {
        List<String> strings = locatorStrings(child, parentPath);
        long end = 0;
        for (int i = 0; i < h.locators().size(); i++) {
            VhdDynamicHeader.Locator l = h.locators().get(i);
            ByteBuffer data = ByteBuffer.allocate(l.dataSpace());
            data.put(strings.get(i).getBytes(StandardCharsets.UTF_16LE));
            s.write(data.clear(), l.dataOffset());
            end = Math.max(end, l.dataOffset() + l.dataSpace());
        }
        return end;
    }
}
