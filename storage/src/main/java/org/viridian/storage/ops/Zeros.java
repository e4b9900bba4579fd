package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.viridian.storage.BlockDevice;
import org.viridian.storage.io.Bytes;

/** Whether a range of a device reads as zeros, skipping what the device says is unallocated. */
final class Zeros {
    private Zeros() {}

    static boolean isZero(BlockDevice d, long offset, long length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long at = offset; at < offset + length; at += buf.capacity()) {
            int n = (int) Math.min(buf.capacity(), offset + length - at);
            if (!d.mayHaveData(at, n)) continue;
            buf.clear().limit(n);
            d.read(buf, at);
            if (!Bytes.isZero(buf.flip())) return false;
        }
        return true;
    }
}
