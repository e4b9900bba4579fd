package org.viridian.storage.vhdx;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC-32C over a structure with its 4-byte checksum field taken as zero. */
final class Crc {
    private Crc() {}

    static int compute(ByteBuffer b, int fieldOffset) {
        ByteBuffer copy = ByteBuffer.allocate(b.remaining()).put(b.duplicate()).flip();
        copy.putInt(fieldOffset, 0);
        CRC32C c = new CRC32C();
        c.update(copy);
        return (int) c.getValue();
    }

    /** Stores the CRC (little-endian) into the field. */
    static void seal(ByteBuffer b, int fieldOffset) {
        b.putInt(fieldOffset, compute(b, fieldOffset));
    }
}
