package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.viridian.storage.DiskImage;
import org.viridian.storage.io.Bytes;

/**
 * Copies any readable image into a new VHD/VHDX/raw file. Sparse-aware: ranges the source reports as
 * unallocated are not read, and all-zero chunks are not written, so the target stays sparse.
 */
public final class Converter {
    static final int CHUNK = 4 << 20;

    private Converter() {}

    /** Creates {@code dst} (which must not exist) with the source's size and content; returns bytes written. */
    public static long convert(DiskImage src, Path dst, CreateOptions target, Progress progress) throws IOException {
        Images.create(
                dst,
                new CreateOptions(target.format(), target.type(), src.size(), target.blockSize(), target.parent()));
        try (DiskImage out = Images.openNewForFill(dst)) {
            if (out.size() < src.size())
                throw new IOException(
                        dst + ": created with " + out.size() + " bytes, less than the source's " + src.size());
            long written = copy(src, out, false, CHUNK, progress);
            out.flush();
            return written;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dst);
            throw e;
        }
    }

    /** Copies the content of {@code src} into {@code dst}; with {@code ownedOnly} only what src itself holds. */
    public static long copy(DiskImage src, DiskImage dst, boolean ownedOnly, int chunk, Progress progress)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
        long size = src.size(), written = 0;
        for (long off = 0; off < size; off += chunk) {
            int n = (int) Math.min(chunk, size - off);
            progress.update(off, size);
            if (ownedOnly ? !src.ownsRange(off, n) : !src.mayHaveData(off, n)) continue;
            buf.clear().limit(n);
            src.read(buf, off);
            buf.flip();
            // A merge must write zeros the child holds over parent data; a fresh target already reads zeros.
            if (ownedOnly) {
                dst.write(buf, off);
                written += n;
            } else {
                written += writeNonZeroRuns(dst, buf, off);
            }
        }
        progress.update(size, size);
        return written;
    }

    /** Zero detection granule: small enough to keep targets sparse, large enough to keep writes few (as qemu-img). */
    static final int GRANULE = 64 << 10;

    /** Writes only the runs of non-zero granules of {@code buf}, each run as one write; returns bytes written. */
    private static long writeNonZeroRuns(DiskImage dst, ByteBuffer buf, long off) throws IOException {
        long written = 0;
        int n = buf.remaining(), runStart = -1;
        for (int at = 0; at <= n; at += GRANULE) {
            boolean data = at < n && !Bytes.isZero(buf.slice(at, Math.min(GRANULE, n - at)));
            if (data && runStart < 0) runStart = at;
            if (!data && runStart >= 0) {
                int end = Math.min(at, n);
                dst.write(buf.slice(runStart, end - runStart), off + runStart);
                written += end - runStart;
                runStart = -1;
            }
        }
        return written;
    }
}
