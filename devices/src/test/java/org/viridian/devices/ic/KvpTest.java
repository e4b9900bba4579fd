package org.viridian.devices.ic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.devices.ic.GuestSide.body;
import static org.viridian.devices.ic.GuestSide.type;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.KvpOperation;
import org.viridian.devices.ic.protocol.KvpPool;
import org.viridian.devices.ic.protocol.KvpValue;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The host's KVP exchange against a guest played from Linux's hv_kvp.c and include/uapi/linux/hyperv.h: hv_kvp_msg is
 * {u8 operation, u8 pool, u16 pad} then for ENUMERATE {u32 index, value} and for GET/SET the value, where the value is
 * {u32 value_type, u32 key_size, u32 value_size, u8 key[512], u8 value[2048]}, strings UTF-16LE with sizes in bytes
 * including the terminator; the guest answers in the request's own buffer, and HV_S_CONT ends an enumeration.
 */
class KvpTest {
    private static final int E_FAIL = 0x80004005, S_CONT = 0x80070103;
    /** Offsets in the KVP body (after the ICMSG headers). */
    private static final int OP = 0, POOL = 1, ENUM_INDEX = 4, ENUM_VALUE = 8, SET_VALUE = 4;

    private final Kvp kvp = new Kvp();
    private final GuestSide guest = new GuestSide(kvp, 4);
    private final List<String[]> autoPool = List.of(
            new String[] {"FullyQualifiedDomainName", "guest.example"},
            new String[] {"OSName", "Debian GNU/Linux"},
            new String[] {"NetworkAddressIPv4", "10.0.0.5;192.168.1.7"});

    @AfterEach
    void close() {
        guest.close();
    }

    private static void putString(ByteBuffer b, int sizeAt, int at, String s) {
        byte[] u = (s + "\0").getBytes(StandardCharsets.UTF_16LE);
        b.putInt(sizeAt, u.length).put(at, u);
    }

    private static String getString(ByteBuffer b, int sizeAt, int at) {
        byte[] u = new byte[b.getInt(sizeAt)];
        b.get(at, u);
        String s = new String(u, StandardCharsets.UTF_16LE);
        assertThat(s).endsWith("\0");
        return s.substring(0, s.length() - 1);
    }

    /** As hv_kvp_daemon answers an enumeration of its auto pool: entry {@code index}, or S_CONT past the end. */
    private void answerEnumeration(ByteBuffer m) {
        ByteBuffer b = body(m);
        assertThat(b.get(OP)).isEqualTo((byte) KvpOperation.ENUMERATE.code());
        assertThat(b.get(POOL)).isEqualTo((byte) KvpPool.AUTO.ordinal());
        int i = b.getInt(ENUM_INDEX);
        if (i >= autoPool.size()) {
            guest.answer(m, S_CONT);
            return;
        }
        b.putInt(ENUM_VALUE, KvpValue.REG_SZ);
        putString(b, ENUM_VALUE + 4, ENUM_VALUE + 12, autoPool.get(i)[0]);
        putString(b, ENUM_VALUE + 8, ENUM_VALUE + 12 + 512, autoPool.get(i)[1]);
        guest.answer(m, 0);
    }

    /** Negotiates, then serves the enumeration of the auto pool the host makes at once. */
    private void connect() throws Exception {
        guest.open();
        guest.negotiate(3 << 16, 4 << 16);
        for (int i = 0; i <= autoPool.size(); i++) answerEnumeration(guest.next());
    }

    @Test
    void afterNegotiationTheHostReadsTheGuestsAutoPool() throws Exception {
        connect();
        assertThat(kvp.lastRead(KvpPool.AUTO)).hasValueSatisfying(m -> assertThat(m)
                .containsEntry("OSName", "Debian GNU/Linux")
                .containsEntry("NetworkAddressIPv4", "10.0.0.5;192.168.1.7")
                .hasSize(3));
        CompletableFuture<Map<String, String>> again = kvp.guestPool(KvpPool.AUTO);
        for (int i = 0; i <= autoPool.size(); i++) answerEnumeration(guest.next());
        assertThat(again.get(1, TimeUnit.SECONDS)).containsKeys("FullyQualifiedDomainName", "OSName");
    }

    @Test
    void pushedKeysArriveAsUtf16WithTheirByteSizesOneRequestAtATime() throws Exception {
        connect();
        CompletableFuture<Void> first = kvp.push("VmRole", "web-frontend ✓");
        CompletableFuture<Void> second = kvp.push("Owner", "ops");
        ByteBuffer m = guest.next();
        assertThat(type(m)).isEqualTo(IcMessageType.KVP_EXCHANGE.code());
        ByteBuffer b = body(m);
        assertThat(b.limit()).as("room for the guest's answer").isGreaterThanOrEqualTo(4 + 4 + 12 + 512 + 2048);
        assertThat(b.get(OP)).isEqualTo((byte) KvpOperation.SET.code());
        assertThat(b.get(POOL)).isEqualTo((byte) KvpPool.EXTERNAL.ordinal());
        assertThat(b.getInt(SET_VALUE)).isEqualTo(KvpValue.REG_SZ);
        assertThat(b.getInt(SET_VALUE + 4)).isEqualTo(("VmRole".length() + 1) * 2);
        assertThat(getString(b, SET_VALUE + 4, SET_VALUE + 12)).isEqualTo("VmRole");
        assertThat(getString(b, SET_VALUE + 8, SET_VALUE + 12 + 512)).isEqualTo("web-frontend ✓");
        assertThat(guest.inboxEmpty())
                .as("the second waits for the first's answer")
                .isTrue();
        assertThat(first).isNotDone();
        guest.answer(m, 0);
        assertThat(first.get(1, TimeUnit.SECONDS)).isNull();
        ByteBuffer m2 = guest.next();
        assertThat(getString(body(m2), SET_VALUE + 4, SET_VALUE + 12)).isEqualTo("Owner");
        guest.answer(m2, E_FAIL);
        assertThatThrownBy(() -> second.get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(Kvp.KvpException.class)
                .hasMessageContaining("0x80004005");
    }

    @Test
    void malformedAnswersAreDroppedOrFailOnlyTheirRequest() throws Exception {
        connect();
        CompletableFuture<Map<String, String>> pool = kvp.guestPool(KvpPool.AUTO);
        ByteBuffer m = guest.next();
        int dropped = kvp.droppedAnswers();
        // An answer with another transaction id matches nothing: dropped, the request still waits.
        ByteBuffer wrong = ByteBuffer.wrap(m.array().clone()).order(m.order());
        wrong.put(GuestSide.PIPE + 16, (byte) (GuestSide.transaction(m) + 1));
        guest.answer(wrong, 0);
        guest.send(new byte[12]); // shorter than the ICMSG headers
        assertThat(kvp.droppedAnswers()).isEqualTo(dropped + 2);
        assertThat(pool).isNotDone();
        // The real transaction, but a key size past the 512-byte key field: that request fails, the channel lives.
        body(m).putInt(ENUM_VALUE, KvpValue.REG_SZ).putInt(ENUM_VALUE + 4, 4096);
        guest.answer(m, 0);
        assertThatThrownBy(() -> pool.get(1, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ProtocolException.class)
                .hasMessageContaining("key size 4096");
        CompletableFuture<Void> push = kvp.push("k", "v");
        guest.answer(guest.next(), 0);
        assertThat(push.get(1, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void requestsWaitForNegotiationInABoundedQueueAndFailWhenTheChannelCloses() throws Exception {
        assertThatThrownBy(() -> kvp.push("k", "v").get())
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no KVP channel");
        guest.open(); // Linux negotiates only once its daemon runs: until then requests queue
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (int i = 0; i < Kvp.MAX_QUEUED; i++) waiting.add(kvp.push("k" + i, "v"));
        assertThatThrownBy(() -> kvp.push("one", "too many").get())
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already waiting");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        kvp.closed();
        for (CompletableFuture<Void> f : waiting) {
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void keysAndValuesThatDoNotFitAreRefusedBeforeTheyReachTheGuest() {
        assertThatThrownBy(() -> kvp.push("k".repeat(256), "v"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("512 bytes");
        assertThatThrownBy(() -> kvp.push("k", "v".repeat(1024))).isInstanceOf(IllegalArgumentException.class);
        assertThat(kvp.push("k".repeat(255), "v".repeat(1023))).isCompletedExceptionally(); // fits; no channel yet
    }
}
