package org.viridian.machine.acpi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for building ACPI tables and AML. */
public final class ByteSink {
    private byte[] buf = new byte[256];
    private int size;

    public int size() {
        return size;
    }

    private void ensure(int more) {
        if (size + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }

    public ByteSink u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    public ByteSink u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    public ByteSink u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    public ByteSink u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    public ByteSink bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    /** ASCII text in a fixed-width field, space-padded (OEM IDs) or NUL-padded, never truncated silently. */
    public ByteSink ascii(String s, int width, char pad) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        if (b.length > width) throw new IllegalArgumentException("'" + s + "' is longer than " + width + " bytes");
        bytes(b);
        for (int i = b.length; i < width; i++) u8(pad);
        return this;
    }

    /** Pads with zeros to a multiple of {@code alignment}. */
    public ByteSink align(int alignment) {
        while (size % alignment != 0) u8(0);
        return this;
    }

    public void patchU8(int offset, int v) {
        buf[offset] = (byte) v;
    }

    public void patchU32(int offset, long v) {
        for (int i = 0; i < 4; i++) buf[offset + i] = (byte) (v >>> (8 * i));
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** The byte that makes {@code data[from, to)} sum to zero modulo 256. */
    public static int checksum(byte[] data, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) sum += data[i];
        return (-sum) & 0xFF;
    }
}
