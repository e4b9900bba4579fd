package org.viridian.storage.vhdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.UUID;
import org.viridian.storage.io.RandomBytes;

/** A GUID as VHDX stores it: Data1 (u32), Data2, Data3 (u16) little-endian, then 8 raw bytes. */
public record Guid(byte[] bytes) {
    public static final Guid ZERO = new Guid(new byte[16]);

    public Guid {
        if (bytes.length != 16) throw new IllegalArgumentException("a GUID has 16 bytes");
        bytes = bytes.clone();
    }

    public static Guid parse(String text) {
        UUID u = UUID.fromString(text.replace("{", "").replace("}", "").strip());
        ByteBuffer be =
                ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        byte[] b = be.array();
        byte[] ms = {
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        };
        return new Guid(ms);
    }

    public static Guid random() {
        byte[] b = RandomBytes.of(16);
        b[7] = (byte) ((b[7] & 0x0F) | 0x40);
        b[8] = (byte) ((b[8] & 0x3F) | 0x80);
        return new Guid(b);
    }

    public static Guid read(ByteBuffer b, int at) {
        byte[] g = new byte[16];
        b.get(at, g);
        return new Guid(g);
    }

    public void write(ByteBuffer b, int at) {
        b.put(at, bytes);
    }

    public boolean isZero() {
        return equals(ZERO);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Guid g && Arrays.equals(bytes, g.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; by hand, as java.util.Formatter's set-up slowed every VHDX open. */
    @Override
    public String toString() {
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder b = new StringBuilder(36);
        hex(b, Integer.toUnsignedLong(le.getInt(0)), 8).append('-');
        hex(b, Short.toUnsignedInt(le.getShort(4)), 4).append('-');
        hex(b, Short.toUnsignedInt(le.getShort(6)), 4).append('-');
        for (int i = 8; i < 16; i++) {
            if (i == 10) b.append('-');
            hex(b, Byte.toUnsignedInt(bytes[i]), 2);
        }
        return b.toString();
    }

    private static StringBuilder hex(StringBuilder b, long v, int digits) {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
            b.append(Character.forDigit((int) (v >>> shift) & 0xF, 16));
        return b;
    }

    /** "{xxxxxxxx-...}" as the parent locator stores it. */
    public String braced() {
        return "{" + this + "}";
    }
}
