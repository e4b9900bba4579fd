package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/** What every record's parse and writer share: bounded little-endian views and GUIDs in Windows byte order. */
public final class Wire {
    private Wire() {}

    /**
     * The {@code size} bytes at {@code b}'s position as a little-endian view indexed from 0, once they are there and
     * at least {@code min} long.
     */
    public static ByteBuffer view(ByteBuffer b, int size, int min, String what) throws ProtocolException {
        if (size < min) throw new ProtocolException(what + " of " + size + " bytes, expected at least " + min);
        if (size > b.remaining())
            throw new ProtocolException(what + " of " + size + " bytes runs past its " + b.remaining());
        return b.slice(b.position(), size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A fresh little-endian buffer of {@code size} zero bytes. */
    public static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The bytes a writer produces: {@code size} bytes filled by {@code writer} from position 0. */
    public static byte[] bytes(int size, java.util.function.Consumer<ByteBuffer> writer) {
        ByteBuffer b = allocate(size);
        writer.accept(b);
        return b.array();
    }

    /** GUIDs on the wire: Data1, Data2, Data3 little-endian, then Data4's 8 bytes as they are. */
    public static void putGuid(ByteBuffer b, int at, UUID id) {
        long hi = id.getMostSignificantBits(), lo = id.getLeastSignificantBits();
        b.putInt(at, (int) (hi >>> 32)).putShort(at + 4, (short) (hi >>> 16)).putShort(at + 6, (short) hi);
        for (int i = 0; i < 8; i++) b.put(at + 8 + i, (byte) (lo >>> (56 - 8 * i)));
    }

    public static UUID getGuid(ByteBuffer b, int at) {
        long hi = Integer.toUnsignedLong(b.getInt(at)) << 32
                | (long) Short.toUnsignedInt(b.getShort(at + 4)) << 16
                | Short.toUnsignedInt(b.getShort(at + 6));
        long lo = 0;
        for (int i = 0; i < 8; i++) lo = lo << 8 | (b.get(at + 8 + i) & 0xFF);
        return new UUID(hi, lo);
    }

    /** {@code n} u64 values from {@code at}. */
    public static long[] longs(ByteBuffer b, int at, int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = b.getLong(at + 8 * i);
        return v;
    }
}
