package org.viridian.storage.io;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Small byte helpers shared by the formats. */
public final class Bytes {
    private Bytes() {}

    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[64 << 10]);

    /** Whether the buffer's remaining bytes are all zero (vectorized compare against a zero page). */
    public static boolean isZero(ByteBuffer b) {
        MemorySegment s = MemorySegment.ofBuffer(b);
        for (long at = 0; at < s.byteSize(); at += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), s.byteSize() - at);
            if (MemorySegment.mismatch(s, at, at + n, ZEROS, 0, n) != -1) return false;
        }
        return true;
    }

    /** Whether {@code length} bytes at {@code offset} of the segment are all zero. */
    public static boolean isZero(MemorySegment s, long offset, long length) {
        for (long at = offset; at < offset + length; at += ZEROS.byteSize()) {
            long n = Math.min(ZEROS.byteSize(), offset + length - at);
            if (MemorySegment.mismatch(s, at, at + n, ZEROS, 0, n) != -1) return false;
        }
        return true;
    }

    public static long roundUp(long value, long unit) {
        return Math.ceilDiv(value, unit) * unit;
    }

    public static void fillZero(ByteBuffer b) {
        while (b.remaining() >= 8) b.putLong(0);
        while (b.hasRemaining()) b.put((byte) 0);
    }

    public static boolean isPowerOfTwo(long v) {
        return v > 0 && (v & (v - 1)) == 0;
    }

    /** A view of {@code len} bytes of {@code b} starting at its position, without moving it. */
    public static ByteBuffer slice(ByteBuffer b, int from, int len) {
        return b.slice(b.position() + from, len);
    }
}
