package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * The data exchange service's body (struct hv_kvp_msg): struct hv_kvp_hdr (operation u8, pool u8, pad u16), then the
 * operation's body: struct hv_kvp_msg_get / _set (a {@link KvpValue}), hv_kvp_msg_delete (key size, 512-byte key) or
 * hv_kvp_msg_enumerate (index, then a value). The guest answers in the request's own buffer, so a request is always
 * written at the size of the largest body, {@link #SIZE}.
 */
public record KvpMessage(KvpPool pool, Body body) implements IcBody {
    public static final int HEADER = 4, SIZE = HEADER + 4 + KvpValue.SIZE;

    /** One operation's body; the operation follows from it. */
    public sealed interface Body permits Get, Set, Delete, Enumerate {
        KvpOperation operation();
    }

    /** hv_kvp_msg_get: the key asked for; the answer carries its value. */
    public record Get(KvpValue value) implements Body {
        public KvpOperation operation() {
            return KvpOperation.GET;
        }
    }

    /** hv_kvp_msg_set. */
    public record Set(KvpValue value) implements Body {
        public KvpOperation operation() {
            return KvpOperation.SET;
        }
    }

    /** hv_kvp_msg_delete: u32 key size (bytes, terminator included), then the key. */
    public record Delete(String key) implements Body {
        public KvpOperation operation() {
            return KvpOperation.DELETE;
        }
    }

    /** hv_kvp_msg_enumerate: the entry's index; the answer carries that entry. */
    public record Enumerate(int index, KvpValue value) implements Body {
        public KvpOperation operation() {
            return KvpOperation.ENUMERATE;
        }
    }

    public KvpOperation operation() {
        return body.operation();
    }

    /** A guest's answer: operation and pool are those the host sent; the body is checked for its operation. */
    public static KvpMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "KVP message");
        KvpOperation op = KvpOperation.of(m.get(0) & 0xFF);
        KvpPool pool = KvpPool.of(m.get(1) & 0xFF);
        ByteBuffer rest = m.slice(HEADER, size - HEADER).order(ByteOrder.LITTLE_ENDIAN);
        int left = size - HEADER;
        Body body =
                switch (op) {
                    case GET -> new Get(KvpValue.parse(rest, left));
                    case SET -> new Set(KvpValue.parse(rest, left));
                    case DELETE -> new Delete(deletedKey(rest, left));
                    case ENUMERATE ->
                        new Enumerate(
                                Wire.view(rest, left, 4, "KVP enumeration").getInt(0),
                                KvpValue.parse(rest.slice(4, left - 4).order(ByteOrder.LITTLE_ENDIAN), left - 4));
                };
        return new KvpMessage(pool, body);
    }

    private static String deletedKey(ByteBuffer rest, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(rest, size, 4 + KvpValue.MAX_KEY, "KVP delete");
        return KvpValue.string(m, 4, m.getInt(0), KvpValue.MAX_KEY, "key");
    }

    @Override
    public byte[] toBytes() {
        ByteBuffer b = Wire.allocate(SIZE).put(0, (byte) operation().code()).put(1, (byte) pool.code());
        switch (body) {
            case Get g -> g.value().writeTo(b.position(HEADER));
            case Set s -> s.value().writeTo(b.position(HEADER));
            case Delete d -> {
                byte[] k = KvpValue.utf16z(d.key(), KvpValue.MAX_KEY, "key");
                b.putInt(HEADER, k.length).put(HEADER + 4, k);
            }
            case Enumerate e -> {
                b.putInt(HEADER, e.index());
                if (e.value() != null) e.value().writeTo(b.position(HEADER + 4));
            }
        }
        return b.array();
    }
}
