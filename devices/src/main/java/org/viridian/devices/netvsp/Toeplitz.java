package org.viridian.devices.netvsp;

/**
 * The Toeplitz hash of receive-side scaling (Microsoft's "RSS hashing functions"): for every set bit of the input, the
 * 32 key bits starting at that bit's position are XORed into the result. The input is given as up to two byte ranges
 * (addresses, then ports) read in place, so hashing a frame allocates nothing. A 40-byte key covers inputs of up to 36
 * bytes (an IPv6 address pair and two ports).
 */
final class Toeplitz {
    private Toeplitz() {}

    static final int KEY_SIZE = 40;

    /** The hash of {@code a[aOff, aOff+aLen)} followed by {@code b[bOff, bOff+bLen)} under {@code key}. */
    static int hash(byte[] key, byte[] a, int aOff, int aLen, byte[] b, int bOff, int bLen) {
        int result = hashRange(key, 0, 0, a, aOff, aLen);
        return hashRange(key, aLen, result, b, bOff, bLen);
    }

    static int hash(byte[] key, byte[] input) {
        return hashRange(key, 0, 0, input, 0, input.length);
    }

    /** Continues {@code result} over {@code in[off, off+len)}, which starts at byte {@code at} of the whole input. */
    private static int hashRange(byte[] key, int at, int result, byte[] in, int off, int len) {
        if (at + len + 4 > key.length) throw new IllegalArgumentException("input of " + (at + len) + " bytes");
        for (int i = 0; i < len; i++) {
            int k = at + i;
            // Key bits k*8 .. k*8+39: the 32-bit windows for this byte's eight input bits.
            long window = (key[k] & 0xFFL) << 32
                    | (key[k + 1] & 0xFFL) << 24
                    | (key[k + 2] & 0xFFL) << 16
                    | (key[k + 3] & 0xFFL) << 8
                    | (k + 4 < key.length ? key[k + 4] & 0xFFL : 0);
            int v = in[off + i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                if ((v & (0x80 >>> bit)) != 0) result ^= (int) (window >>> (8 - bit));
            }
        }
        return result;
    }
}
