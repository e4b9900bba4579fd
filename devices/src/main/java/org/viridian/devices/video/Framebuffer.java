package org.viridian.devices.video;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** A picture of the guest's screen: {@code width} x {@code height} pixels as 0xRRGGBB, row by row. */
public record Framebuffer(int width, int height, int[] pixels) {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    public Framebuffer {
        if (width < 1 || height < 1 || (long) width * height != pixels.length)
            throw new IllegalArgumentException(width + "x" + height + " with " + pixels.length + " pixels");
    }

    public int pixel(int x, int y) {
        return pixels[y * width + x];
    }

    /** The most frequent colour: the background of a text console. */
    public int background() {
        HashMap<Integer, Integer> counts = new HashMap<>();
        int best = pixels[0], most = 0;
        for (int p : pixels) {
            int n = counts.merge(p, 1, Integer::sum);
            if (n > most) {
                most = n;
                best = p;
            }
        }
        return best;
    }

    /** Pixels of another colour than {@code color} inside x0 ≤ x < x1, y0 ≤ y < y1 (clipped to the picture). */
    public int pixelsOtherThan(int color, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(height, y1); y++)
            for (int x = Math.max(0, x0); x < Math.min(width, x1); x++) if (pixels[y * width + x] != color) n++;
        return n;
    }

    /**
     * The picture as a PNG file's bytes (8-bit RGB, no filtering, zlib-compressed): written here rather than with
     * javax.imageio so that the host needs no java.desktop (the nested test host's runtime has none).
     */
    public byte[] png() {
        Deflater z = new Deflater(Deflater.BEST_SPEED);
        byte[] row = new byte[1 + 3 * width];
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = pixels[y * width + x];
                row[1 + 3 * x] = (byte) (p >>> 16);
                row[2 + 3 * x] = (byte) (p >>> 8);
                row[3 + 3 * x] = (byte) p;
            }
            z.setInput(row);
            while (!z.needsInput()) idat.write(chunk, 0, z.deflate(chunk));
        }
        z.finish();
        while (!z.finished()) idat.write(chunk, 0, z.deflate(chunk));
        z.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        chunk(
                out,
                "IHDR",
                ByteBuffer.allocate(13)
                        .putInt(width)
                        .putInt(height)
                        .put(new byte[] {8, 2, 0, 0, 0})
                        .array());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A PNG chunk: big-endian length, type, data, CRC-32 of type and data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
