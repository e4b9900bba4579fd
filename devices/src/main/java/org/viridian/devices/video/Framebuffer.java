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

    /** A copy of the {@code w} x {@code h} pixels whose top left corner is at {@code x}, {@code y}. */
    public Framebuffer crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height)
            throw new IllegalArgumentException(
                    w + "x" + h + " at " + x + "," + y + " is not inside " + width + "x" + height);
        int[] out = new int[w * h];
        for (int row = 0; row < h; row++) System.arraycopy(pixels, (y + row) * width + x, out, row * w, w);
        return new Framebuffer(w, h, out);
    }

    /** Writes {@code part} into this picture with its top left corner at {@code x}, {@code y} (it must fit). */
    public void paste(int x, int y, Framebuffer part) {
        if (x < 0 || y < 0 || x + part.width > width || y + part.height > height)
            throw new IllegalArgumentException(
                    part.width + "x" + part.height + " at " + x + "," + y + " is not inside " + width + "x" + height);
        for (int row = 0; row < part.height; row++)
            System.arraycopy(part.pixels, row * part.width, pixels, (y + row) * width + x, part.width);
    }

    /** The picture shrunk (nearest pixel) to at most {@code maxWidth} pixels wide, keeping its aspect: a thumbnail. */
    public Framebuffer scaledToWidth(int maxWidth) {
        if (width <= maxWidth) return this;
        int w = maxWidth, h = Math.max(1, (int) ((long) height * maxWidth / width));
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                out[y * w + x] = pixels[(int) ((long) y * height / h) * width + (int) ((long) x * width / w)];
        return new Framebuffer(w, h, out);
    }

    /** The pixels as bytes R, G, B row by row, deflated: how a part of the screen crosses the worker's socket. */
    public byte[] deflated() {
        Deflater z = new Deflater(Deflater.BEST_SPEED);
        byte[] rgb = new byte[3 * pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            rgb[3 * i] = (byte) (pixels[i] >>> 16);
            rgb[3 * i + 1] = (byte) (pixels[i] >>> 8);
            rgb[3 * i + 2] = (byte) pixels[i];
        }
        z.setInput(rgb);
        z.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        while (!z.finished()) out.write(chunk, 0, z.deflate(chunk));
        z.end();
        return out.toByteArray();
    }

    /**
     * The {@code w} x {@code h} picture {@link #deflated} made; anything else (a stream that is damaged, holds fewer or
     * more bytes than the size says) is refused, and no more than the size's bytes are ever inflated.
     */
    public static Framebuffer inflated(int w, int h, byte[] deflated) {
        if (w < 1 || h < 1 || (long) w * h > (long) VideoMode.MAX_WIDTH * VideoMode.MAX_HEIGHT)
            throw new IllegalArgumentException("a " + w + "x" + h + " picture");
        java.util.zip.Inflater z = new java.util.zip.Inflater();
        try {
            z.setInput(deflated);
            byte[] rgb = new byte[3 * w * h];
            int n = 0;
            while (n < rgb.length) {
                int got = z.inflate(rgb, n, rgb.length - n);
                if (got == 0 && (z.finished() || z.needsInput() || z.needsDictionary())) break;
                n += got;
            }
            if (n != rgb.length || z.inflate(new byte[1]) != 0 || !z.finished() || z.getRemaining() != 0)
                throw new IllegalArgumentException(
                        "the pixels of a " + w + "x" + h + " picture do not inflate to its size");
            int[] px = new int[w * h];
            for (int i = 0; i < px.length; i++)
                px[i] = (rgb[3 * i] & 0xFF) << 16 | (rgb[3 * i + 1] & 0xFF) << 8 | rgb[3 * i + 2] & 0xFF;
            return new Framebuffer(w, h, px);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("damaged pixels: " + e.getMessage());
        } finally {
            z.end();
        }
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
