package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * hv_kvp_exchg_msg_value on the wire: value type, key size, value size (bytes, UTF-16 terminator included), a 512-byte
 * key and a 2048-byte value. Sizes from the guest are bounds-checked before any string is read.
 */
final class KvpValue {
    record Entry(String key, String value) {}

    private KvpValue() {}

    /** {@code s} as UTF-16LE with its terminator; IllegalArgumentException when it would not fit in {@code max} bytes. */
    static byte[] utf16z(String s, int max, String what) {
        if (s == null) throw new IllegalArgumentException("KVP " + what + " is null");
        if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("KVP " + what + " contains a NUL character");
        byte[] text = s.getBytes(StandardCharsets.UTF_16LE);
        if (text.length + 2 > max) {
            throw new IllegalArgumentException("KVP " + what + " of " + s.length() + " characters exceeds " + max + " bytes as UTF-16");
        }
        byte[] z = new byte[text.length + 2];
        System.arraycopy(text, 0, z, 0, text.length);
        return z;
    }

    static void encode(ByteBuffer b, int at, byte[] key, byte[] value) {
        b.putInt(at, Kvp.REG_SZ).putInt(at + 4, key.length).putInt(at + 8, value == null ? 0 : value.length);
        b.put(at + 12, key);
        if (value != null) b.put(at + 12 + Kvp.MAX_KEY, value);
    }

    /** The entry at {@code at} in a guest's answer. */
    static Entry decode(ByteBuffer b, int at) {
        if (b.limit() < at + 12 + Kvp.MAX_KEY + Kvp.MAX_VALUE) {
            throw new IllegalArgumentException("KVP answer of " + b.limit() + " bytes is too short for a key and value");
        }
        int type = b.getInt(at), keySize = b.getInt(at + 4), valueSize = b.getInt(at + 8);
        String key = string(b, at + 12, keySize, Kvp.MAX_KEY, "key");
        String value = switch (type) {
            case Kvp.REG_SZ -> string(b, at + 12 + Kvp.MAX_KEY, valueSize, Kvp.MAX_VALUE, "value");
            case Kvp.REG_U32 -> Integer.toUnsignedString(b.getInt(at + 12 + Kvp.MAX_KEY));
            case Kvp.REG_U64 -> Long.toUnsignedString(b.getLong(at + 12 + Kvp.MAX_KEY));
            default -> throw new IllegalArgumentException("KVP value type " + type + " is not a string or number");
        };
        return new Entry(key, value);
    }

    /** A UTF-16LE string of {@code size} bytes, cut at its first NUL (Linux counts the terminator in the size). */
    private static String string(ByteBuffer b, int at, int size, int max, String what) {
        if (size < 0 || size > max || size % 2 != 0) {
            throw new IllegalArgumentException("KVP " + what + " size " + Integer.toUnsignedString(size) + " is not an even count up to " + max);
        }
        byte[] raw = new byte[size];
        b.get(at, raw);
        String s = new String(raw, StandardCharsets.UTF_16LE);
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }
}
