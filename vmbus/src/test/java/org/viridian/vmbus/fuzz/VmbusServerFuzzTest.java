package org.viridian.vmbus.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.diag.EchoDevice;
import org.viridian.vmbus.protocol.MessageType;
import org.viridian.vmbus.protocol.Vmbus;
import org.viridian.vmbus.server.VmbusServer;

/**
 * VMBus channel management as a hostile guest drives it: a sequence of HvPostMessage hypercalls on connections 1
 * and 4 with fuzzed channel messages (INITIATE_CONTACT, GPADL_HEADER/BODY assembly, OPEN/CLOSE, teardown, UNLOAD…),
 * through the public entry points only (the dispatcher and VmbusServer), so the target survives changes inside.
 * Rule: every post returns a hypercall status and nothing escapes; answers land in the SynIC message page.
 */
class VmbusServerFuzzTest {
    /**
     * The server logs every message it refuses; a fuzzer sends little else, and the lines (hundreds of MB a run) slow
     * it down. Held so java.util.logging keeps the level.
     */
    private static final java.util.logging.Logger QUIET = quiet();

    private static final GuestMemory MEMORY = GuestMemory.allocate(1 << 20);

    private static java.util.logging.Logger quiet() {
        java.util.logging.Logger l = java.util.logging.Logger.getLogger("org.viridian");
        l.setLevel(java.util.logging.Level.SEVERE);
        return l;
    }

    private static final long SIMP0 = 0x10000, SIMP1 = 0x20000, INPUT = 0x30000;
    private static final int[] TYPES = java.util.stream.Stream.of(
                    MessageType.INITIATE_CONTACT,
                    MessageType.REQUEST_OFFERS,
                    MessageType.GPADL_HEADER,
                    MessageType.GPADL_BODY,
                    MessageType.OPEN_CHANNEL,
                    MessageType.CLOSE_CHANNEL,
                    MessageType.GPADL_TEARDOWN,
                    MessageType.RELID_RELEASED,
                    MessageType.UNLOAD)
            .mapToInt(MessageType::code)
            .toArray();

    @FuzzTest
    void guestMessages(FuzzedDataProvider data) {
        List<Synic> synics = List.of(new Synic(0, MEMORY, (vp, v) -> {}), new Synic(1, MEMORY, (vp, v) -> {}));
        long[] simp = {SIMP0, SIMP1};
        for (int i = 0; i < 2; i++) {
            synics.get(i).writeMsr(HvMsr.SIMP, simp[i] | 1);
            synics.get(i).writeMsr(HvMsr.SINT0 + 2, 0xF3);
            synics.get(i).writeMsr(HvMsr.SCONTROL, 1);
        }
        HypercallDispatcher dispatcher = new HypercallDispatcher(MEMORY, false);
        MessageCalls calls = new MessageCalls();
        calls.registerWith(dispatcher);
        VmbusServer server = VmbusServer.attach(
                new SynicHost() {
                    public int vpCount() {
                        return 2;
                    }

                    public MessageCalls messageCalls() {
                        return calls;
                    }

                    public boolean postMessage(int vp, int sint, HvMessage m) {
                        return synics.get(vp).post(sint, m);
                    }

                    public boolean signalEvent(int vp, int sint, int flag) {
                        return synics.get(vp).signalEvent(sint, flag);
                    }
                },
                MEMORY);
        server.addDevice(new EchoDevice());
        int messages = data.consumeInt(1, 24);
        for (int i = 0; i < messages && data.remainingBytes() > 0; i++) {
            byte[] body = data.consumeBytes(data.consumeInt(0, 240));
            byte[] payload = java.util.Arrays.copyOf(body, Math.max(body.length, 8));
            int type = data.consumeBoolean() ? TYPES[data.consumeInt(0, TYPES.length - 1)] : data.consumeInt();
            java.nio.ByteBuffer.wrap(payload)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putInt(0, type);
            MEMORY.writeInt(INPUT, data.consumeBoolean() ? Vmbus.CONNECTION_ID : Vmbus.CONNECTION_ID_4);
            MEMORY.writeInt(INPUT + 4, 0);
            MEMORY.writeInt(INPUT + 8, Vmbus.SYNIC_MESSAGE_TYPE);
            MEMORY.writeInt(INPUT + 12, payload.length);
            MEMORY.write(INPUT + 16, payload);
            long status = dispatcher.dispatch(data.consumeInt(0, 1), MessageCalls.POST_MESSAGE, INPUT, 0);
            assertThat(status & ~0xFFFFL).isZero();
            // The guest frees its message slots, as hv_vmbus does after reading them.
            if (data.consumeBoolean()) {
                MEMORY.writeInt(SIMP0 + 2 * 256, 0);
                MEMORY.writeInt(SIMP1 + 2 * 256, 0);
            }
        }
        MEMORY.write(0, new byte[0x40000]);
    }
}
