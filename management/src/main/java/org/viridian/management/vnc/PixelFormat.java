package org.viridian.management.vnc;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * RFB's PIXEL_FORMAT (RFC 6143 7.4): how a client wants pixels. Only true colour is served (a colour map would need
 * SetColourMapEntries, which no current client needs); 8, 16 or 32 bits per pixel, each channel's maximum and shift
 * within the pixel.
 */
public record PixelFormat(
        int bitsPerPixel,
        int depth,
        boolean bigEndian,
        boolean trueColour,
        int redMax,
        int greenMax,
        int blueMax,
        int redShift,
        int greenShift,
        int blueShift) {
    public static final int SIZE = 16;
    /** The server's own: 32 bits, x8r8g8b8 little-endian (what the synthetic video device's VRAM holds). */
    public static final PixelFormat SERVER = new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0);

    /** Reads the 16 bytes; a format that cannot be served is refused. */
    static PixelFormat read(DataInput in) throws IOException {
        int bpp = in.readUnsignedByte(), depth = in.readUnsignedByte();
        boolean big = in.readUnsignedByte() != 0, tc = in.readUnsignedByte() != 0;
        int rm = in.readUnsignedShort(), gm = in.readUnsignedShort(), bm = in.readUnsignedShort();
        int rs = in.readUnsignedByte(), gs = in.readUnsignedByte(), bs = in.readUnsignedByte();
        in.skipBytes(3);
        PixelFormat f = new PixelFormat(bpp, depth, big, tc, rm, gm, bm, rs, gs, bs);
        String why = f.unservable();
        if (why != null) throw new RfbProtocolException("pixel format " + f + ": " + why);
        return f;
    }

    /** Why this format cannot be served, or null. */
    String unservable() {
        if (bitsPerPixel != 8 && bitsPerPixel != 16 && bitsPerPixel != 32) return "bits per pixel must be 8, 16 or 32";
        if (!trueColour) return "only true colour is served";
        int[][] channels = {{redMax, redShift}, {greenMax, greenShift}, {blueMax, blueShift}};
        for (int[] c : channels) {
            // A maximum of 2^n - 1 that fits the pixel at its shift.
            if (c[0] == 0 || (c[0] & (c[0] + 1)) != 0) return "a channel's maximum must be 2^n - 1";
            if (c[1] + Integer.bitCount(c[0]) > bitsPerPixel) return "a channel does not fit the pixel";
        }
        return null;
    }

    void writeTo(DataOutput out) throws IOException {
        out.writeByte(bitsPerPixel);
        out.writeByte(depth);
        out.writeByte(bigEndian ? 1 : 0);
        out.writeByte(trueColour ? 1 : 0);
        out.writeShort(redMax);
        out.writeShort(greenMax);
        out.writeShort(blueMax);
        out.writeByte(redShift);
        out.writeByte(greenShift);
        out.writeByte(blueShift);
        out.write(new byte[3]);
    }

    int bytesPerPixel() {
        return bitsPerPixel / 8;
    }

    /** One 0xRRGGBB pixel in this format, written at {@code off}. */
    void encode(int rgb, byte[] out, int off) {
        int r = ((rgb >>> 16 & 0xFF) * redMax + 127) / 255, // rounded: the nearest level the channel has
                g = ((rgb >>> 8 & 0xFF) * greenMax + 127) / 255,
                b = ((rgb & 0xFF) * blueMax + 127) / 255;
        int p = r << redShift | g << greenShift | b << blueShift;
        int n = bytesPerPixel();
        for (int i = 0; i < n; i++) out[off + (bigEndian ? n - 1 - i : i)] = (byte) (p >>> (8 * i));
    }
}
