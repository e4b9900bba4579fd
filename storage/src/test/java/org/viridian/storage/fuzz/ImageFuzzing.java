package org.viridian.storage.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.qcow2.Qcow2Image;
import org.viridian.storage.vhd.VhdImage;
import org.viridian.storage.vhdx.VhdxImage;
import org.viridian.storage.vmdk.VmdkImage;

/**
 * The body of the image fuzz targets. The fuzzer's bytes are a sparse image file (most of an image is zeros, and
 * short inputs fuzz faster): a flags byte, a u32 probe, then chunks of u32 file offset, u16 length and that many
 * bytes (all little-endian). The image is opened through the format's public open over an in-memory file, then
 * read, probed and (when opened writable) written and read back. The contract: a damaged image fails with an
 * IOException (CorruptImageException naming the field); nothing else may escape, and one open must not make the
 * host allocate more than {@link #MAX_ALLOCATION}.
 */
final class ImageFuzzing {
    /**
     * Per input: far above what a valid small image needs, far below what an unchecked count makes the host allocate.
     */
    static final long MAX_ALLOCATION = 256L << 20;

    static final int FLAG_TOLERANT = 1, FLAG_WRITABLE = 2;
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("viridian-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ImageFuzzing() {}

    static MemoryStorage decode(byte[] data, boolean readOnly) {
        MemoryStorage s = new MemoryStorage(0, readOnly);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        b.position(Math.min(5, data.length));
        while (b.remaining() >= 6) {
            long at = Integer.toUnsignedLong(b.getInt());
            int len = Math.min(Short.toUnsignedInt(b.getShort()), b.remaining());
            s.load(at, data, b.position(), len);
            b.position(b.position() + len);
        }
        return s;
    }

    /** The inverse of {@link #decode}: a seed from an image file (only its non-zero 512-byte sectors). */
    static byte[] encode(byte[] image, int flags, int probe) {
        ByteBuffer out =
                ByteBuffer.allocate(image.length + image.length / 64 + 64).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) flags).putInt(probe);
        int at = 0;
        while (at < image.length) {
            int end = Math.min(image.length, at + 512);
            if (Arrays.mismatch(image, at, end, new byte[end - at], 0, end - at) == -1) {
                at = end;
                continue;
            }
            int start = at;
            while (at < image.length && at - start < 0xFE00) {
                int e = Math.min(image.length, at + 512);
                if (Arrays.mismatch(image, at, e, new byte[e - at], 0, e - at) == -1) break;
                at = e;
            }
            out.putInt(start).putShort((short) (at - start)).put(image, start, at - start);
        }
        if (image.length > 0 && Arrays.mismatch(image, image.length - 1, image.length, new byte[1], 0, 1) == -1) {
            out.putInt(image.length).putShort((short) 0); // the file's size
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    static void fuzz(byte[] data, ImageFormat format) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        int flags = data.length > 0 ? data[0] : 0;
        int probe = data.length >= 5
                ? ByteBuffer.wrap(data, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()
                : 0;
        boolean writable = (flags & FLAG_WRITABLE) != 0 && format.writable();
        MemoryStorage s = decode(data, !writable);
        OpenOptions options = new OpenOptions(!writable, (flags & FLAG_TOLERANT) != 0, 0, (p, o) -> {
            throw new IOException(p + ": no parent images while fuzzing");
        });
        Path path = DIR.resolve("image." + format.displayName());
        try (DiskImage image =
                switch (format) {
                    case VHD -> VhdImage.open(s, path, options);
                    case VHDX -> VhdxImage.open(s, path, options);
                    case QCOW2 -> Qcow2Image.open(s, path, options);
                    case VMDK -> VmdkImage.open(s, path);
                    case RAW -> throw new IllegalArgumentException("raw has no format to fuzz");
                }) {
            exercise(image, probe, writable);
        } catch (IOException declared) {
            // A damaged image: the one failure the readers may report.
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated)
                .as("bytes allocated for one %d-byte input", data.length)
                .isLessThan(MAX_ALLOCATION);
    }

    private static void exercise(DiskImage image, int probe, boolean writable) throws IOException {
        long size = image.size();
        assertThat(size).isNotNegative();
        image.info();
        image.problems();
        image.parent();
        if (size == 0) return;
        long sectors = Math.max(1, size / 512);
        long at = Math.floorMod((long) probe, sectors) * 512;
        int len = (int) Math.min(64 << 10, size - at);
        for (long offset : new long[] {0, at, Math.max(0, size - len)}) {
            int n = (int) Math.min(len, size - offset);
            ByteBuffer b = ByteBuffer.allocate(n);
            image.read(b, offset);
            assertThat(b.hasRemaining()).isFalse();
            image.mayHaveData(offset, n);
            image.ownsRange(offset, n);
        }
        if (writable && !image.readOnly()) {
            byte[] pattern = new byte[Math.min(len, 4096)];
            Arrays.fill(pattern, (byte) 0x5A);
            image.write(ByteBuffer.wrap(pattern), at);
            image.flush();
            ByteBuffer back = ByteBuffer.allocate(pattern.length);
            image.read(back, at);
            assertThat(back.array()).as("what was written at %d reads back", at).isEqualTo(pattern);
            image.discard(at, pattern.length);
            image.repair();
        }
    }
}
