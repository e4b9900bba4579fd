package org.viridian.machine.boot;

/**
 * Little-endian, bounds-checked reads from an untrusted image. Every read names the field, so a truncated or hostile
 * file produces an error saying which field did not fit, never an index exception.
 */
final class ImageReader {
    private final byte[] data;
    private final String what;

    ImageReader(byte[] data, String what) {
        this.data = data;
        this.what = what;
    }

    int length() {
        return data.length;
    }

    byte[] data() {
        return data;
    }

    /** Fails unless [offset, offset+length) lies inside the image. */
    void require(long offset, long length, String field) {
        if (offset < 0 || length < 0 || offset > data.length || length > data.length - offset) {
            throw new KernelImageException(String.format(
                    "%s: %s at offset 0x%x (+0x%x) lies beyond the end of the image (%d bytes)",
                    what, field, offset, length, data.length));
        }
    }

    int u8(long offset, String field) {
        require(offset, 1, field);
        return data[(int) offset] & 0xFF;
    }

    int u16(long offset, String field) {
        require(offset, 2, field);
        int o = (int) offset;
        return (data[o] & 0xFF) | (data[o + 1] & 0xFF) << 8;
    }

    long u32(long offset, String field) {
        require(offset, 4, field);
        int o = (int) offset;
        return ((data[o] & 0xFFL)
                | (data[o + 1] & 0xFFL) << 8
                | (data[o + 2] & 0xFFL) << 16
                | (data[o + 3] & 0xFFL) << 24);
    }

    long u64(long offset, String field) {
        return u32(offset, field) | u32(offset + 4, field) << 32;
    }

    /** A 64-bit field that must fit a non-negative long (all image offsets and sizes do). */
    long u64Unsigned(long offset, String field) {
        long v = u64(offset, field);
        if (v < 0) throw new KernelImageException(String.format("%s: %s = 0x%x is absurdly large", what, field, v));
        return v;
    }

    KernelImageException error(String format, Object... args) {
        return new KernelImageException(what + ": " + String.format(format, args));
    }
}
