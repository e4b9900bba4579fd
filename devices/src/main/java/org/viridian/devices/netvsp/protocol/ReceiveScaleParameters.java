package org.viridian.devices.netvsp.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * OID_GEN_RECEIVE_SCALE_PARAMETERS' value (Linux hyperv_net.h struct ndis_recv_scale_param, naturally aligned, 40
 * bytes; NDIS revision 1 ends after the key's offset, at 28): the hash function and types, the indirection table
 * (u32 entries; hv_netvsc puts queue numbers there) and the secret key, each at an offset from the struct's start.
 * {@code table} and {@code key} are null when the flags say they are unchanged.
 */
public record ReceiveScaleParameters(int flags, int hashInfo, int[] table, byte[] key) {
    public static final int TYPE = 0x89;
    public static final int MIN_SIZE = 28;
    public static final int FLAG_HASH_INFO_UNCHANGED = 0x2,
            FLAG_TABLE_UNCHANGED = 0x4,
            FLAG_KEY_UNCHANGED = 0x8,
            FLAG_DISABLE = 0x10;
    /** NDIS_HASH_*: the function (low byte) and the packet types hashed. */
    public static final int HASH_TOEPLITZ = 0x1,
            HASH_IPV4 = 0x100,
            HASH_TCP_IPV4 = 0x200,
            HASH_IPV6 = 0x400,
            HASH_TCP_IPV6 = 0x1000,
            HASH_UDP_IPV4 = 0x4000,
            HASH_UDP_IPV6 = 0x8000;
    /** The most table entries (NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_2 / 4) and key bytes NDIS allows. */
    public static final int MAX_ENTRIES = 128, MAX_KEY = 40;

    public ReceiveScaleParameters {
        table = table == null ? null : table.clone();
        key = key == null ? null : key.clone();
    }

    public boolean disabled() {
        return (flags & FLAG_DISABLE) != 0;
    }

    public static ReceiveScaleParameters parse(byte[] value) throws ProtocolException {
        if (value.length < MIN_SIZE) {
            throw new ProtocolException("RSS parameters of " + value.length + " bytes, at least " + MIN_SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if ((b.get(0) & 0xFF) != TYPE) {
            throw new ProtocolException("RSS parameters of NDIS object type 0x" + Integer.toHexString(b.get(0) & 0xFF));
        }
        int flags = Short.toUnsignedInt(b.getShort(4)), hashInfo = b.getInt(8);
        boolean disable = (flags & FLAG_DISABLE) != 0;
        if (!disable && (flags & FLAG_HASH_INFO_UNCHANGED) == 0 && (hashInfo & 0xFF) != HASH_TOEPLITZ) {
            throw new ProtocolException("RSS hash function 0x" + Integer.toHexString(hashInfo & 0xFF));
        }
        int[] table = null;
        if ((flags & FLAG_TABLE_UNCHANGED) == 0) {
            int size = Short.toUnsignedInt(b.getShort(12)), offset = b.getInt(16);
            if (size % 4 != 0 || size / 4 > MAX_ENTRIES || (!disable && size == 0)) {
                throw new ProtocolException("an RSS indirection table of " + size + " bytes");
            }
            check(offset, size, value.length, "indirection table");
            table = new int[size / 4];
            for (int i = 0; i < table.length; i++) table[i] = b.getInt(offset + 4 * i);
        }
        byte[] key = null;
        if ((flags & FLAG_KEY_UNCHANGED) == 0) {
            int size = Short.toUnsignedInt(b.getShort(20)), offset = b.getInt(24);
            if (size > MAX_KEY || (!disable && size == 0))
                throw new ProtocolException("an RSS key of " + size + " bytes");
            check(offset, size, value.length, "key");
            key = new byte[size];
            if (size > 0) b.get(offset, key); // an empty key's offset means nothing and is not checked
        }
        return new ReceiveScaleParameters(flags, hashInfo, table, key);
    }

    private static void check(int offset, int size, int length, String what) throws ProtocolException {
        if (size == 0) return;
        if (offset < MIN_SIZE || offset > length || size > length - offset) {
            throw new ProtocolException("RSS " + what + " of " + size + " bytes at " + Integer.toUnsignedString(offset)
                    + " in " + length + " bytes");
        }
    }
}
