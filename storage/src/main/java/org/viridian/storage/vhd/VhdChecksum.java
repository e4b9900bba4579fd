package org.viridian.storage.vhd;

import java.nio.ByteBuffer;

/** The VHD checksum: one's complement of the byte sum, with the checksum field counted as zero. */
final class VhdChecksum {
    private VhdChecksum() {}

    static int compute(ByteBuffer b, int fieldOffset) {
        int sum = 0;
        for (int i = 0; i < b.limit(); i++) {
            if (i >= fieldOffset && i < fieldOffset + 4) continue;
            sum += b.get(i) & 0xFF;
        }
        return ~sum;
    }
}
