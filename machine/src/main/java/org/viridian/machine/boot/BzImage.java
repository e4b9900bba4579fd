package org.viridian.machine.boot;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.lzma.LZMACompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Takes a bzImage apart: the compressed vmlinux it carries (payload_offset/payload_length, boot protocol 2.08+) can be
 * decompressed on the host so the guest boots the ELF directly, skipping the in-guest decompressor.
 */
public final class BzImage {
    /** Refuse to inflate beyond this: a hostile size trailer or a decompression bomb must not exhaust the heap. */
    static final int MAX_VMLINUX = 1 << 30;

    /** Compression formats the kernel build supports, identified by their magic. */
    public enum Compression {
        GZIP(new byte[] {0x1F, (byte) 0x8B}),
        BZIP2(new byte[] {'B', 'Z', 'h'}),
        XZ(new byte[] {(byte) 0xFD, '7', 'z', 'X', 'Z', 0}),
        LZMA(new byte[] {0x5D, 0, 0}),
        LZ4_LEGACY(new byte[] {0x02, 0x21, 0x4C, 0x18}),
        ZSTD(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD}),
        LZO(new byte[] {(byte) 0x89, 'L', 'Z', 'O'});

        private final byte[] magic;

        Compression(byte[] magic) {
            this.magic = magic;
        }

        static Compression detect(byte[] data, int offset, int length) {
            for (Compression c : values()) {
                if (length >= c.magic.length
                        && Arrays.equals(data, offset, offset + c.magic.length, c.magic, 0, c.magic.length)) {
                    return c;
                }
            }
            throw new KernelImageException("bzImage: payload starts with an unknown magic "
                    + HexFormat.of().formatHex(data, offset, offset + Math.min(6, length)));
        }
    }

    private BzImage() {}

    /** Which compression the payload uses. */
    public static Compression compression(byte[] bzImage) {
        int[] p = payload(bzImage);
        return Compression.detect(bzImage, p[0], p[1]);
    }

    /**
     * Decompresses the payload to the ELF vmlinux it contains. The size the build appended (the payload's last four
     * bytes) is checked against what came out.
     */
    public static byte[] extractVmlinux(byte[] bzImage) {
        int[] p = payload(bzImage);
        int offset = p[0], length = p[1];
        ImageReader r = new ImageReader(bzImage, "bzImage payload");
        if (length < 8) throw r.error("payload_length %d is too short for a compressed image", length);
        long expected = r.u32(offset + length - 4, "uncompressed size trailer");
        if (expected == 0 || expected > MAX_VMLINUX)
            throw r.error("uncompressed size trailer 0x%x is absurd", expected);
        Compression c = Compression.detect(bzImage, offset, length);
        byte[] out;
        try {
            out = switch (c) {
                case GZIP -> inflate(new GZIPInputStream(new ByteArrayInputStream(bzImage, offset, length)), expected);
                case BZIP2 ->
                    inflate(
                            new BZip2CompressorInputStream(new ByteArrayInputStream(bzImage, offset, length - 4), true),
                            expected);
                case XZ ->
                    inflate(
                            new XZCompressorInputStream(new ByteArrayInputStream(bzImage, offset, length - 4)),
                            expected);
                case LZMA ->
                    inflate(
                            new LZMACompressorInputStream(new ByteArrayInputStream(bzImage, offset, length - 4)),
                            expected);
                case ZSTD ->
                    inflate(
                            new ZstdCompressorInputStream(new ByteArrayInputStream(bzImage, offset, length - 4)),
                            expected);
                case LZ4_LEGACY -> lz4Legacy(bzImage, offset, length - 4, expected);
                case LZO -> throw r.error("LZO-compressed payloads are not supported");
            };
        } catch (IOException | RuntimeException e) {
            if (e instanceof KernelImageException k) throw k;
            throw new KernelImageException("bzImage: corrupt " + c + " payload: " + e.getMessage(), e);
        }
        if (out.length != expected) {
            throw r.error("payload decompressed to %d bytes, but its trailer says %d", out.length, expected);
        }
        if (!ElfImage.isElf(out)) throw r.error("decompressed payload is not an ELF image");
        return out;
    }

    /** {offset, length} of the payload in the file, validated. */
    private static int[] payload(byte[] bzImage) {
        SetupHeader h = SetupHeader.parse(bzImage);
        if (h.version() < 0x0208)
            throw new KernelImageException("bzImage: boot protocol before 2.08 has no payload_offset");
        long offset = h.setupSize() + h.payloadOffset();
        new ImageReader(bzImage, "bzImage")
                .require(offset, h.payloadLength(), "payload (payload_offset, payload_length)");
        return new int[] {(int) offset, (int) h.payloadLength()};
    }

    private static byte[] inflate(InputStream in, long expected) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) expected);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > expected)
                    throw new KernelImageException("bzImage: payload inflates beyond its size trailer " + expected);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    /**
     * The kernel's "lz4 -l" legacy framing: magic, then chunks of {le32 compressed size, raw LZ4 block}, each block
     * independent; a repeated magic starts a concatenated stream.
     */
    private static byte[] lz4Legacy(byte[] data, int offset, int length, long expected) throws IOException {
        ImageReader r = new ImageReader(data, "bzImage lz4 payload");
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) expected);
        long pos = offset + 4;
        long end = (long) offset + length;
        while (pos + 4 <= end) {
            long chunk = r.u32(pos, "lz4 chunk size");
            pos += 4;
            if (chunk == 0x184C2102L) continue;
            if (chunk == 0 || chunk > end - pos)
                throw r.error("lz4 chunk of %d bytes at 0x%x overruns the payload", chunk, pos - 4);
            byte[] block = inflate(
                    new BlockLZ4CompressorInputStream(new ByteArrayInputStream(data, (int) pos, (int) chunk)),
                    expected - out.size());
            out.write(block);
            pos += chunk;
        }
        return out.toByteArray();
    }
}
