package org.viridian.vmbus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;

/** Channel management as Linux's hv_vmbus drives it, answered into real SynIC message slots in guest memory. */
class VmbusServerTest {
    private static final long SIMP0 = 0x10000, SIMP1 = 0x20000;
    private GuestMemory memory;
    private List<Synic> synics;
    private final MessageCalls calls = new MessageCalls();
    private VmbusServer server;
    private HypercallDispatcher dispatcher;

    @BeforeEach
    void setUp() {
        memory = GuestMemory.allocate(1 << 20);
        synics = List.of(new Synic(0, memory, (vp, v) -> {}), new Synic(1, memory, (vp, v) -> {}));
        long[] simp = {SIMP0, SIMP1};
        for (int i = 0; i < 2; i++) {
            synics.get(i).writeMsr(HvMsr.SIMP, simp[i] | 1);
            synics.get(i).writeMsr(HvMsr.SINT0 + 2, 0xF3);
            synics.get(i).writeMsr(HvMsr.SCONTROL, 1);
        }
        dispatcher = new HypercallDispatcher(memory, false);
        calls.registerWith(dispatcher);
        server = VmbusServer.attach(new SynicHost() {
            public int vpCount() { return 2; }
            public MessageCalls messageCalls() { return calls; }
            public boolean postMessage(int vp, int sint, HvMessage m) { return synics.get(vp).post(sint, m); }
            public boolean signalEvent(int vp, int sint, int flag) { return synics.get(vp).signalEvent(sint, flag); }
        });
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static byte[] contact(int version, int targetVp, int sint) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, ChannelMessage.INITIATE_CONTACT).putInt(8, version).putInt(12, targetVp).put(16, (byte) sint);
        return b.array();
    }

    /** HvPostMessage through the real dispatcher, with the input block in guest memory, from VP 0. */
    private void guestPosts(int connection, byte[] payload) {
        long in = 0x30000;
        memory.writeInt(in, connection);
        memory.writeInt(in + 4, 0);
        memory.writeInt(in + 8, ChannelMessage.SYNIC_MESSAGE_TYPE);
        memory.writeInt(in + 12, payload.length);
        memory.write(in + 16, payload);
        assertThat(dispatcher.dispatch(0, MessageCalls.POST_MESSAGE, in, 0) & 0xFFFF).isZero();
    }

    /** The message in a VP's SINT 2 slot: its channel message type and body; the slot is then freed, as the guest does. */
    private ByteBuffer take(long simp) {
        long slot = simp + 2 * 256;
        assertThat(memory.readInt(slot)).as("a message in the slot").isEqualTo(ChannelMessage.SYNIC_MESSAGE_TYPE);
        ByteBuffer b = ByteBuffer.wrap(memory.read(slot + 16, 240)).order(ByteOrder.LITTLE_ENDIAN);
        memory.writeInt(slot, 0);
        return b;
    }

    @Test
    void negotiatesTheNewestVersionOnConnection4AndAnswersOnTheChosenVp() {
        guestPosts(ChannelMessage.CONNECTION_ID_4, contact(0x50003, 1, 2));
        ByteBuffer r = take(SIMP1);
        assertThat(r.getInt(0)).isEqualTo(ChannelMessage.VERSION_RESPONSE);
        assertThat(r.get(8)).as("version supported").isEqualTo((byte) 1);
        assertThat(r.getInt(12)).as("message connection id for what follows").isEqualTo(ChannelMessage.CONNECTION_ID);
        assertThat(server.version()).isEqualTo(0x50003);
        guestPosts(ChannelMessage.CONNECTION_ID, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ChannelMessage.REQUEST_OFFERS).array());
        assertThat(take(SIMP1).getInt(0)).isEqualTo(ChannelMessage.ALL_OFFERS_DELIVERED);
    }

    @Test
    void refusesUnknownVersionsSoTheGuestFallsBackAndAcceptsOldOnes() {
        guestPosts(ChannelMessage.CONNECTION_ID_4, contact(0x60000, 0, 2));
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 0);
        assertThat(server.version()).isZero();
        guestPosts(ChannelMessage.CONNECTION_ID, contact(0x0000D, 0, 0)); // WS2008: no msg_sint field, SINT 2
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 1);
        assertThat(server.version()).isEqualTo(0x0000D);
    }

    @Test
    void malformedMessagesAreDroppedAndNothingIsAnswered() {
        guestPosts(ChannelMessage.CONNECTION_ID_4, new byte[4]);
        guestPosts(ChannelMessage.CONNECTION_ID_4, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ChannelMessage.INITIATE_CONTACT).array());
        guestPosts(ChannelMessage.CONNECTION_ID, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, ChannelMessage.REQUEST_OFFERS).array());
        guestPosts(ChannelMessage.CONNECTION_ID_4, contact(0x50003, 7, 2)); // no VP 7: refused, answered on the sender's VP
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 0);
        assertThat(memory.readInt(SIMP0 + 512)).isZero();
        assertThat(server.version()).isZero();
    }
}
