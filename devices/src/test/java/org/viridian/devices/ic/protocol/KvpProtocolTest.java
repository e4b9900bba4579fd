package org.viridian.devices.ic.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.viridian.vmbus.protocol.ProtocolException;

/** struct hv_kvp_msg as Linux's hv_kvp and hv_kvp_daemon read and answer it (include/uapi/linux/hyperv.h). */
class KvpProtocolTest {
    record Case(KvpMessage message, int min) {}

    static Stream<Case> messages() {
        return Stream.of(
                new Case(
                        new KvpMessage(KvpPool.EXTERNAL, new KvpMessage.Set(KvpValue.string("key", "välue"))),
                        4 + 2572),
                new Case(new KvpMessage(KvpPool.AUTO, new KvpMessage.Get(KvpValue.string("OSName", null))), 4 + 2572),
                new Case(new KvpMessage(KvpPool.EXTERNAL, new KvpMessage.Delete("gone")), 4 + 4 + 512),
                new Case(new KvpMessage(KvpPool.AUTO, new KvpMessage.Enumerate(7, KvpValue.string("k", "v"))), 2580),
                new Case(
                        new KvpMessage(
                                KvpPool.GUEST, new KvpMessage.Get(new KvpValue(KvpValue.REG_U32, "n", "4294967295"))),
                        2576),
                new Case(
                        new KvpMessage(
                                KvpPool.GUEST,
                                new KvpMessage.Get(new KvpValue(KvpValue.REG_U64, "n", "18446744073709551615"))),
                        2576));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void messagesRoundTripAtFullSize(Case c) throws ProtocolException {
        byte[] bytes = c.message().toBytes();
        assertThat(bytes).hasSize(KvpMessage.SIZE).hasSize(2580);
        KvpMessage back = KvpMessage.parse(ByteBuffer.wrap(bytes), bytes.length);
        assertThat(back).isEqualTo(c.message());
        assertThat(back.toBytes()).isEqualTo(bytes);
    }

    @ParameterizedTest
    @MethodSource("messages")
    void everyTruncationIsAProtocolError(Case c) throws ProtocolException {
        byte[] bytes = c.message().toBytes();
        for (int n = 0; n < c.min(); n++) {
            int size = n;
            assertThatThrownBy(() -> KvpMessage.parse(ByteBuffer.wrap(bytes), size))
                    .isInstanceOf(ProtocolException.class);
        }
        assertThat(KvpMessage.parse(ByteBuffer.wrap(bytes), c.min())).isEqualTo(c.message());
    }

    @Test
    void fieldsSitWhereLinuxReadsThem() {
        byte[] bytes = new KvpMessage(KvpPool.AUTO, new KvpMessage.Enumerate(3, KvpValue.string("ab", "c"))).toBytes();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.get(0)).as("operation").isEqualTo((byte) 3);
        assertThat(b.get(1)).as("pool").isEqualTo((byte) 2);
        assertThat(b.getInt(4)).as("index").isEqualTo(3);
        assertThat(b.getInt(8)).as("value type").isEqualTo(KvpValue.REG_SZ);
        assertThat(b.getInt(12)).as("key size, terminator included").isEqualTo(6);
        assertThat(b.getInt(16)).as("value size").isEqualTo(4);
        assertThat(b.get(20)).isEqualTo((byte) 'a');
        assertThat(b.get(20 + 512)).isEqualTo((byte) 'c');
        ByteBuffer d = ByteBuffer.wrap(new KvpMessage(KvpPool.EXTERNAL, new KvpMessage.Delete("x")).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        assertThat(d.getInt(4)).isEqualTo(4);
        assertThat(d.get(8)).isEqualTo((byte) 'x');
    }

    @Test
    void badFieldsFromTheGuestAreProtocolErrors() {
        byte[] good = new KvpMessage(KvpPool.AUTO, new KvpMessage.Enumerate(0, KvpValue.string("k", "v"))).toBytes();
        int[][] bad = {{0, 9}, {1, 9}};
        for (int[] f : bad) {
            byte[] b = good.clone();
            b[f[0]] = (byte) f[1];
            assertThatThrownBy(() -> KvpMessage.parse(ByteBuffer.wrap(b), b.length))
                    .isInstanceOf(ProtocolException.class);
        }
        for (int[] f : new int[][] {{8, 2}, {12, 513}, {12, -2}, {12, 3}, {16, 2049}, {16, 5}}) {
            ByteBuffer b = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(f[0], f[1]);
            assertThatThrownBy(() -> KvpMessage.parse(b, b.capacity()))
                    .as("field at %d", f[0])
                    .isInstanceOf(ProtocolException.class);
        }
        ByteBuffer del = ByteBuffer.wrap(new KvpMessage(KvpPool.EXTERNAL, new KvpMessage.Delete("x")).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        del.putInt(4, 514);
        assertThatThrownBy(() -> KvpMessage.parse(del, del.capacity())).isInstanceOf(ProtocolException.class);
    }

    @Test
    void aKeyWithoutTerminatorIsReadNotRefused() throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(
                        new KvpMessage(KvpPool.AUTO, new KvpMessage.Get(KvpValue.string("k", "v"))).toBytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i += 2) b.putShort(4 + 12 + i, (short) 'x');
        b.putInt(4 + 4, 512);
        KvpMessage m = KvpMessage.parse(b, b.capacity());
        assertThat(((KvpMessage.Get) m.body()).value().key()).hasSize(256);
    }

    @Test
    void keysAndValuesThatDoNotFitAreRefusedOnTheHostSide() {
        assertThatThrownBy(() -> KvpValue.string("k".repeat(256), "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvpValue.string("k", "v".repeat(1024))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvpValue.string("k\0", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvpValue.string(null, "v")).isInstanceOf(IllegalArgumentException.class);
        assertThat(KvpValue.string("k".repeat(255), "v".repeat(1023)).key()).hasSize(255);
    }
}
