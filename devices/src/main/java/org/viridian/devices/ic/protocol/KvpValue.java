package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One key and value (struct hv_kvp_exchg_msg_value, 2572 bytes): value type, key size, value size (bytes, the UTF-16
 * terminator included), a 512-byte key and a 2048-byte value. Strings are UTF-16LE; numbers (REG_U32, REG_U64) are
 * read as their decimal text. A null value has size 0 (what a GET request carries); "" has its terminator.
 */
public record KvpValue(int type, String key, String value) {
    public static final int MAX_KEY = 512, MAX_VALUE = 2048, SIZE = 12 + MAX_KEY + MAX_VALUE;
    public static final int REG_SZ = 1, REG_U32 = 4, REG_U64 = 8;

    /**
     * A string key and value the host sends: IllegalArgumentException when one is null (the key), holds a NUL or
     * would not fit as UTF-16 with its terminator, so the caller learns at once, not from the guest.
     */
    public static KvpValue string(String key, String value) {
        utf16z(key, MAX_KEY, "key");
        if (value != null) utf16z(value, MAX_VALUE, "value");
        return new KvpValue(REG_SZ, key, value);
    }

    /** A value as the guest wrote it; its sizes and type are checked before any string is read. */
    public static KvpValue parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "KVP value");
        int type = m.getInt(0), keySize = m.getInt(4), valueSize = m.getInt(8);
        String key = string(m, 12, keySize, MAX_KEY, "key");
        String value =
                switch (type) {
                    case REG_SZ -> valueSize == 0 ? null : string(m, 12 + MAX_KEY, valueSize, MAX_VALUE, "value");
                    case REG_U32 -> Integer.toUnsignedString(m.getInt(12 + MAX_KEY));
                    case REG_U64 -> Long.toUnsignedString(m.getLong(12 + MAX_KEY));
                    default -> throw new ProtocolException("KVP value type " + type + " is not a string or number");
                };
        return new KvpValue(type, key, value);
    }

    /** Writes the 2572 bytes at {@code b}'s position (absolute, indexed from it); does not move it. */
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        byte[] k = utf16z(key, MAX_KEY, "key");
        b.putInt(at, type).putInt(at + 4, k.length).put(at + 12, k);
        int v = at + 12 + MAX_KEY;
        switch (type) {
            case REG_U32 -> b.putInt(at + 8, 4).putInt(v, Integer.parseUnsignedInt(value));
            case REG_U64 -> b.putInt(at + 8, 8).putLong(v, Long.parseUnsignedLong(value));
            default -> {
                byte[] z = value == null ? new byte[0] : utf16z(value, MAX_VALUE, "value");
                b.putInt(at + 8, z.length).put(v, z);
            }
        }
    }

    /** {@code s} as UTF-16LE with its terminator; IllegalArgumentException when it does not fit in {@code max}. */
    static byte[] utf16z(String s, int max, String what) {
        if (s == null) throw new IllegalArgumentException("KVP " + what + " is null");
        if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("KVP " + what + " contains a NUL character");
        byte[] text = s.getBytes(StandardCharsets.UTF_16LE);
        if (text.length + 2 > max) {
            throw new IllegalArgumentException(
                    "KVP " + what + " of " + s.length() + " characters exceeds " + max + " bytes as UTF-16");
        }
        byte[] z = new byte[text.length + 2];
        System.arraycopy(text, 0, z, 0, text.length);
        return z;
    }

    /** A UTF-16LE string of {@code size} bytes, cut at its first NUL (Linux counts the terminator in the size). */
    static String string(ByteBuffer m, int at, int size, int max, String what) throws ProtocolException {
        if (size < 0 || size > max || size % 2 != 0) {
            throw new ProtocolException(
                    "KVP " + what + " size " + Integer.toUnsignedString(size) + " is not an even count up to " + max);
        }
        byte[] raw = new byte[size];
        m.get(at, raw);
        String s = new String(raw, StandardCharsets.UTF_16LE);
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }
}
