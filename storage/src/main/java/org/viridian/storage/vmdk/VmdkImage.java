package org.viridian.storage.vmdk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.viridian.storage.BlockDevice;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.DiskImage;
import org.viridian.storage.FileExtent;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.io.Storage;

/**
 * Read-only VMDK: a descriptor (a text file, or embedded in a monolithic sparse file) listing FLAT, SPARSE and
 * ZERO extents, read back to back. Covers monolithicSparse/Flat, twoGbMaxExtent* and streamOptimized.
 */
public final class VmdkImage implements DiskImage {
    private static final long MAX_SECTORS = 1L << 40;
    private static final Pattern EXTENT = Pattern.compile(
            "^(RW|RDONLY|NOACCESS)\\s+(\\d+)\\s+(FLAT|SPARSE|ZERO|VMFS)(?:\\s+\"([^\"]+)\"(?:\\s+(\\d+))?)?\\s*$");

    /** One extent: where it starts on the disk, its length, and the device (null for ZERO) with a file offset. */
    private record Extent(long start, long length, BlockDevice device, long deviceOffset) {}

    private final Path path;
    private final List<Extent> extents;
    private final long size;
    private final String createType;
    private final List<AutoCloseable> closeables;

    private VmdkImage(Path path, List<Extent> extents, String createType, List<AutoCloseable> closeables) {
        this.path = path;
        this.extents = extents;
        this.createType = createType;
        this.closeables = closeables;
        this.size = extents.isEmpty() ? 0 : extents.getLast().start + extents.getLast().length;
    }

    public static VmdkImage open(Storage s, Path path) throws IOException {
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            String descriptor;
            SparseExtent self = null;
            if (s.size() >= 512
                    && s.read(0, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0) == SparseExtent.MAGIC) {
                self = SparseExtent.open(s);
                closeables.add(self);
                descriptor = self.embeddedDescriptor;
                if (descriptor == null)
                    descriptor = "RW " + self.size() / 512 + " SPARSE \"" + path.getFileName() + "\"";
            } else {
                if (s.size() > 1 << 20)
                    throw new CorruptImageException(
                            s.name() + ": not a VMDK (no sparse header, too large for a descriptor)");
                descriptor =
                        StandardCharsets.UTF_8.decode(s.read(0, (int) s.size())).toString();
                if (!descriptor.contains("# Disk DescriptorFile"))
                    throw new CorruptImageException(s.name() + ": not a VMDK descriptor file");
                closeables.add(s);
            }
            String createType = "";
            List<Extent> extents = new ArrayList<>();
            long at = 0;
            for (String line : descriptor.split("\\R")) {
                line = line.strip();
                if (line.startsWith("createType")) createType = descriptorValue(line);
                if (line.startsWith("parentCID") && !line.toLowerCase().contains("ffffffff"))
                    throw new IOException(s.name() + ": VMDK snapshot chains (parentCID) are not supported");
                Matcher m = EXTENT.matcher(line);
                if (!m.matches()) continue;
                long len = sectors(s, m.group(2)) * 512;
                if (at > MAX_SECTORS * 512 - len)
                    throw new CorruptImageException(s.name() + ": VMDK extents add up to more than 2^40 sectors");
                String kind = m.group(3), file = m.group(4);
                BlockDevice dev = null;
                long devOff = 0;
                if (!kind.equals("ZERO")) {
                    if (file == null)
                        throw new CorruptImageException(s.name() + ": extent line '" + line + "' names no file");
                    Path p;
                    try {
                        p = path.toAbsolutePath().getParent().resolve(file);
                    } catch (InvalidPathException bad) {
                        // The name is bytes of the file (a NUL, say): a damaged descriptor, not a crash (a fuzz
                        // finding).
                        throw new CorruptImageException(
                                s.name() + ": extent file name is not a path: " + bad.getMessage());
                    }
                    if (self != null && p.getFileName().equals(path.getFileName())) {
                        dev = self;
                    } else if (kind.equals("SPARSE")) {
                        SparseExtent x = SparseExtent.open(FileStorage.open(p, true));
                        closeables.add(x);
                        dev = x;
                    } else {
                        FileStorage fs = FileStorage.open(p, true);
                        closeables.add(fs);
                        dev = new org.viridian.storage.raw.RawImage(fs, p);
                        devOff = m.group(5) == null ? 0 : sectors(s, m.group(5)) * 512;
                    }
                    if (devOff + len > dev.size() && kind.equals("FLAT"))
                        throw new CorruptImageException(
                                s.name() + ": flat extent " + file + " is shorter than the descriptor says");
                }
                extents.add(new Extent(at, len, dev, devOff));
                at += len;
            }
            if (extents.isEmpty()) throw new CorruptImageException(s.name() + ": VMDK descriptor lists no extents");
            return new VmdkImage(path, List.copyOf(extents), createType, closeables);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : closeables) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // Already failing; the first error matters.
                }
            }
            throw e;
        }
    }

    /**
     * The value of a {@code key = "value"} line, without a regex: ".*=" backtracked over every start position, O(n^2)
     * on
     * a long line with no '=' (a fuzz finding: a 130 KB createType line took 40 s).
     */
    private static String descriptorValue(String line) {
        String v = line.substring(line.lastIndexOf('=') + 1).strip();
        if (v.startsWith("\"")) v = v.substring(1);
        int quote = v.indexOf('"');
        return quote >= 0 ? v.substring(0, quote) : v;
    }

    /**
     * A sector count or offset of the descriptor, capped (2^40 sectors, as sparse extents) so that bytes and sums fit a
     * long.
     */
    private static long sectors(Storage s, String digits) throws CorruptImageException {
        if (digits.length() > 13 || Long.parseLong(digits) > MAX_SECTORS)
            throw new CorruptImageException(s.name() + ": extent sector count " + digits + " is too large");
        return Long.parseLong(digits);
    }

    @FunctionalInterface
    private interface ExtentOp {
        boolean apply(Extent e, long from, int len, int bufPos) throws IOException;
    }

    /** Visits the extents under a range; stops early when the op returns true. */
    private boolean visit(long offset, long length, ExtentOp op) throws IOException {
        checkRange(offset, length);
        int pos = 0;
        for (Extent e : extents) {
            long s = Math.max(offset, e.start), t = Math.min(offset + length, e.start + e.length);
            if (s >= t) continue;
            if (op.apply(e, s - e.start, (int) (t - s), pos)) return true;
            pos += (int) (t - s);
        }
        return false;
    }

    @Override
    public void read(ByteBuffer dst, long offset) throws IOException {
        ByteBuffer base = dst.slice();
        visit(offset, dst.remaining(), (e, from, len, pos) -> {
            ByteBuffer part = base.slice(pos, len);
            long inDev = e.deviceOffset + from;
            if (e.device == null || inDev >= e.device.size()) {
                fill(part);
            } else {
                int n = (int) Math.min(len, e.device.size() - inDev);
                e.device.read(part.slice(0, n), inDev);
                fill(part.slice(n, len - n));
            }
            return false;
        });
        dst.position(dst.limit());
    }

    private static void fill(ByteBuffer b) {
        org.viridian.storage.io.Bytes.fillZero(b);
    }

    @Override
    public boolean mayHaveData(long offset, long length) throws IOException {
        return visit(
                offset,
                length,
                (e, from, len, pos) -> e.device != null
                        && e.deviceOffset + from < e.device.size()
                        && e.device.mayHaveData(
                                e.deviceOffset + from, Math.min(len, e.device.size() - e.deviceOffset - from)));
    }

    @Override
    public FileExtent fileExtent(long offset, long length) throws IOException {
        FileExtent[] found = {null};
        visit(offset, length, (e, from, len, pos) -> {
            long inDev = e.deviceOffset + from;
            if (e.device != null && inDev < e.device.size())
                found[0] = e.device.fileExtent(inDev, Math.min(len, e.device.size() - inDev));
            return true;
        });
        return found[0];
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        throw new IOException(path + ": VMDK images are read-only here (convert them first)");
    }

    @Override
    public void flush() {}

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof IOException io ? io : new IOException(e);
            }
        }
        if (first != null) throw first;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.VMDK;
    }

    @Override
    public ImageInfo info() throws IOException {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("createType", createType);
        d.put("extents", Integer.toString(extents.size()));
        long fileSize = java.nio.file.Files.size(path);
        return new ImageInfo(
                path.toString(),
                ImageFormat.VMDK,
                createType.toLowerCase().contains("flat") ? ImageType.FIXED : ImageType.DYNAMIC,
                size,
                fileSize,
                fileSize,
                0,
                null,
                d);
    }
}
