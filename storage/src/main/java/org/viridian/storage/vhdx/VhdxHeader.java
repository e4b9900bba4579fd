package org.viridian.storage.vhdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.storage.CorruptImageException;

/** One of the two 4 KiB headers at 64 KiB and 128 KiB. */
public record VhdxHeader(
        long sequence,
        Guid fileWriteGuid,
        Guid dataWriteGuid,
        Guid logGuid,
        int logVersion,
        int version,
        long logLength,
        long logOffset) {
    public static final int SIZE = 4096;
    public static final long[] OFFSETS = {64 << 10, 128 << 10};
    static final int SIGNATURE = 0x64616568; // "head" read little-endian

    public static VhdxHeader parse(ByteBuffer raw, String where) throws CorruptImageException {
        ByteBuffer b = raw.slice(raw.position(), SIZE).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != SIGNATURE) throw new CorruptImageException(where + ": signature is not 'head'");
        int crc = Crc.compute(b, 4);
        if (b.getInt(4) != crc)
            throw new CorruptImageException(
                    String.format("%s: checksum is 0x%08x, expected 0x%08x", where, b.getInt(4), crc));
        VhdxHeader h = new VhdxHeader(
                b.getLong(8),
                Guid.read(b, 16),
                Guid.read(b, 32),
                Guid.read(b, 48),
                Short.toUnsignedInt(b.getShort(64)),
                Short.toUnsignedInt(b.getShort(66)),
                Integer.toUnsignedLong(b.getInt(68)),
                b.getLong(72));
        if (h.version != 1) throw new CorruptImageException(where + ": Version is " + h.version + ", expected 1");
        if (h.logVersion != 0 && !h.logGuid.isZero())
            throw new CorruptImageException(where + ": LogVersion is " + h.logVersion + ", expected 0");
        if (h.logLength == 0 || h.logLength % (1 << 20) != 0)
            throw new CorruptImageException(
                    where + ": LogLength " + h.logLength + " is not a non-zero multiple of 1 MiB");
        if (h.logOffset < (1 << 20) || h.logOffset % (1 << 20) != 0)
            throw new CorruptImageException(
                    where + ": LogOffset " + h.logOffset + " is not a multiple of 1 MiB past the header section");
        return h;
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, SIGNATURE).putLong(8, sequence);
        fileWriteGuid.write(b, 16);
        dataWriteGuid.write(b, 32);
        logGuid.write(b, 48);
        b.putShort(64, (short) logVersion)
                .putShort(66, (short) version)
                .putInt(68, (int) logLength)
                .putLong(72, logOffset);
        Crc.seal(b, 4);
        return b;
    }

    public VhdxHeader next(Guid fileWrite, Guid dataWrite, Guid log) {
        return new VhdxHeader(sequence + 1, fileWrite, dataWrite, log, logVersion, version, logLength, logOffset);
    }
}
