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
import org.viridian.vmbus.protocol.MessageType;
import org.viridian.vmbus.protocol.Vmbus;

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
        server = attach(calls, dispatcher);
    }

    /** A server on this test's SynICs whose guest messages and signals arrive through the given dispatcher. */
    private VmbusServer attach(MessageCalls messageCalls, HypercallDispatcher d) {
        messageCalls.registerWith(d);
        return VmbusServer.attach(
                new SynicHost() {
                    public int vpCount() {
                        return 2;
                    }

                    public MessageCalls messageCalls() {
                        return messageCalls;
                    }

                    public boolean postMessage(int vp, int sint, HvMessage m) {
                        return synics.get(vp).post(sint, m);
                    }

                    public boolean signalEvent(int vp, int sint, int flag) {
                        return synics.get(vp).signalEvent(sint, flag);
                    }
                },
                memory);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static byte[] contact(int version, int targetVp, int sint) {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, MessageType.INITIATE_CONTACT.code())
                .putInt(8, version)
                .putInt(12, targetVp)
                .put(16, (byte) sint);
        return b.array();
    }

    /** HvPostMessage through the real dispatcher, with the input block in guest memory, from VP 0. */
    private void guestPosts(int connection, byte[] payload) {
        guestPosts(dispatcher, connection, payload);
    }

    /** HvPostMessage through {@code d} (another server's, after a restore). */
    private void guestPosts(HypercallDispatcher d, int connection, byte[] payload) {
        long in = 0x30000;
        memory.writeInt(in, connection);
        memory.writeInt(in + 4, 0);
        memory.writeInt(in + 8, Vmbus.SYNIC_MESSAGE_TYPE);
        memory.writeInt(in + 12, payload.length);
        memory.write(in + 16, payload);
        assertThat(d.dispatch(0, MessageCalls.POST_MESSAGE, in, 0) & 0xFFFF).isZero();
    }

    /**
     * The message in a VP's SINT 2 slot: its channel message type and body; the slot is then freed, as the guest does.
     */
    private ByteBuffer take(long simp) {
        long slot = simp + 2 * 256;
        assertThat(memory.readInt(slot)).as("a message in the slot").isEqualTo(Vmbus.SYNIC_MESSAGE_TYPE);
        ByteBuffer b = ByteBuffer.wrap(memory.read(slot + 16, 240)).order(ByteOrder.LITTLE_ENDIAN);
        memory.writeInt(slot, 0);
        return b;
    }

    @Test
    void negotiatesTheNewestVersionOnConnection4AndAnswersOnTheChosenVp() {
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 1, 2));
        ByteBuffer r = take(SIMP1);
        assertThat(r.getInt(0)).isEqualTo(MessageType.VERSION_RESPONSE.code());
        assertThat(r.get(8)).as("version supported").isEqualTo((byte) 1);
        assertThat(r.getInt(12)).as("message connection id for what follows").isEqualTo(Vmbus.CONNECTION_ID);
        assertThat(server.version()).isEqualTo(0x50003);
        guestPosts(
                Vmbus.CONNECTION_ID,
                ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(0, MessageType.REQUEST_OFFERS.code())
                        .array());
        assertThat(take(SIMP1).getInt(0)).isEqualTo(MessageType.ALL_OFFERS_DELIVERED.code());
    }

    @Test
    void refusesUnknownVersionsSoTheGuestFallsBackAndAcceptsOldOnes() {
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x60000, 0, 2));
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 0);
        assertThat(server.version()).isZero();
        guestPosts(Vmbus.CONNECTION_ID, contact(0x0000D, 0, 0)); // WS2008: no msg_sint field, SINT 2
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 1);
        assertThat(server.version()).isEqualTo(0x0000D);
    }

    @Test
    void malformedMessagesAreDroppedAndNothingIsAnswered() {
        guestPosts(Vmbus.CONNECTION_ID_4, new byte[4]);
        guestPosts(
                Vmbus.CONNECTION_ID_4,
                ByteBuffer.allocate(20)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(0, MessageType.INITIATE_CONTACT.code())
                        .array());
        guestPosts(
                Vmbus.CONNECTION_ID,
                ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(0, MessageType.REQUEST_OFFERS.code())
                        .array());
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 7, 2)); // no VP 7: refused, answered on the sender's VP
        assertThat(take(SIMP0).get(8)).isEqualTo((byte) 0);
        assertThat(memory.readInt(SIMP0 + 512)).isZero();
        assertThat(server.version()).isZero();
    }

    private static ByteBuffer msg(int size, int type) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    /** A GPADL over the given pages, in a header (up to 26 pfns) and body messages, as Linux sends it. */
    private void gpadl(int relid, int handle, long[] pfns) {
        int inHeader = Math.min(pfns.length, 26);
        ByteBuffer h = msg(28 + 8 * inHeader, MessageType.GPADL_HEADER.code())
                .putInt(8, relid)
                .putInt(12, handle)
                .putShort(16, (short) (8 + 8 * pfns.length))
                .putShort(18, (short) 1)
                .putInt(20, pfns.length * 4096)
                .putInt(24, 0);
        for (int i = 0; i < inHeader; i++) h.putLong(28 + 8 * i, pfns[i]);
        guestPosts(Vmbus.CONNECTION_ID, h.array());
        for (int done = inHeader, n = 1; done < pfns.length; n++) {
            int here = Math.min(pfns.length - done, 28);
            ByteBuffer b = msg(16 + 8 * here, MessageType.GPADL_BODY.code())
                    .putInt(8, n)
                    .putInt(12, handle);
            for (int i = 0; i < here; i++) b.putLong(16 + 8 * i, pfns[done + i]);
            guestPosts(Vmbus.CONNECTION_ID, b.array());
            done += here;
        }
    }

    @Test
    void offersGpadlsAndOpeningAChannelAsHvUtilsDoes() {
        java.util.concurrent.atomic.AtomicReference<OpenChannel> opened =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.UUID cls = java.util.UUID.fromString("57164f39-9115-4e78-ab55-382f3bd5422d");
        int relid = server.addDevice(new VmbusDevice() {
            public java.util.UUID classId() {
                return cls;
            }

            public java.util.UUID instanceId() {
                return new java.util.UUID(1, 2);
            }

            public void opened(OpenChannel c) {
                opened.set(c);
            }

            public void closed() {
                opened.set(null);
            }
        });
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        guestPosts(
                Vmbus.CONNECTION_ID, msg(8, MessageType.REQUEST_OFFERS.code()).array());
        ByteBuffer offer = take(SIMP0);
        assertThat(offer.getInt(0)).isEqualTo(MessageType.OFFER_CHANNEL.code());
        // Windows GUID byte order: 57164f39 little-endian first.
        assertThat(offer.getInt(8)).isEqualTo(0x57164f39);
        assertThat(offer.getShort(12)).isEqualTo((short) 0x9115);
        assertThat(offer.get(16)).isEqualTo((byte) 0xab);
        assertThat(offer.getInt(184)).isEqualTo(relid);
        memory.writeInt(SIMP0 + 512, 0);
        synics.getFirst().writeMsr(HvMsr.EOM, 0);
        assertThat(take(SIMP0).getInt(0)).isEqualTo(MessageType.ALL_OFFERS_DELIVERED.code());

        // 40 pages: a header and a body message; 20 pages each way.
        long[] pfns = new long[40];
        for (int i = 0; i < 40; i++) pfns[i] = 0x40 + i;
        gpadl(relid, 0xE1E10, pfns);
        ByteBuffer created = take(SIMP0);
        assertThat(created.getInt(0)).isEqualTo(MessageType.GPADL_CREATED.code());
        assertThat(created.getInt(12)).isEqualTo(0xE1E10);
        assertThat(created.getInt(16)).as("status").isZero();

        ByteBuffer open = msg(148, MessageType.OPEN_CHANNEL.code())
                .putInt(8, relid)
                .putInt(12, 7)
                .putInt(16, 0xE1E10)
                .putInt(20, 1)
                .putInt(24, 20);
        guestPosts(Vmbus.CONNECTION_ID, open.array());
        ByteBuffer result = take(SIMP0);
        assertThat(result.getInt(0)).isEqualTo(MessageType.OPEN_CHANNEL_RESULT.code());
        assertThat(result.getInt(12)).isEqualTo(7);
        assertThat(result.getInt(16)).isZero();
        assertThat(opened.get()).isNotNull();
        assertThat(opened.get().fromGuest().dataSize()).isEqualTo(19 * 4096);

        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.CLOSE_CHANNEL.code()).putInt(8, relid).array());
        assertThat(opened.get()).isNull();
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(16, MessageType.GPADL_TEARDOWN.code())
                        .putInt(8, relid)
                        .putInt(12, 0xE1E10)
                        .array());
        assertThat(take(SIMP0).getInt(0)).isEqualTo(MessageType.GPADL_TORNDOWN.code());
    }

    @Test
    void hostileGpadlsAndOpensAreRefusedToThatGuestOnly() {
        int relid = server.addDevice(new VmbusDevice() {
            public java.util.UUID classId() {
                return new java.util.UUID(3, 4);
            }

            public java.util.UUID instanceId() {
                return new java.util.UUID(5, 6);
            }

            public void opened(OpenChannel c) {
                throw new AssertionError("must not open");
            }

            public void closed() {}
        });
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        gpadl(relid, 1, new long[] {0x40, 1L << 40}); // second page far outside the guest's RAM
        assertThat(take(SIMP0).getInt(16)).as("GPADL outside RAM refused").isNotZero();
        gpadl(99, 2, new long[] {0x40, 0x41});
        assertThat(take(SIMP0).getInt(16)).as("GPADL for an unknown channel").isNotZero();
        gpadl(relid, 3, new long[] {0x40, 0x41, 0x42, 0x43});
        assertThat(take(SIMP0).getInt(16)).isZero();
        gpadl(relid, 3, new long[] {0x44, 0x45});
        assertThat(take(SIMP0).getInt(16)).as("a handle already in use").isNotZero();
        for (int h = 100; h < 100 + VmbusServer.MAX_GPADLS_PER_CHANNEL; h++) {
            gpadl(relid, h, new long[] {0x50});
            take(SIMP0);
        }
        gpadl(relid, 999, new long[] {0x50});
        assertThat(take(SIMP0).getInt(16)).as("GPADLs per channel are capped").isNotZero();
        ByteBuffer badSplit = msg(148, MessageType.OPEN_CHANNEL.code())
                .putInt(8, relid)
                .putInt(12, 1)
                .putInt(16, 3)
                .putInt(20, 0)
                .putInt(24, 3);
        guestPosts(Vmbus.CONNECTION_ID, badSplit.array());
        assertThat(take(SIMP0).getInt(16)).as("a ring split leaving one page").isNotZero();
        ByteBuffer badGpadl = msg(148, MessageType.OPEN_CHANNEL.code())
                .putInt(8, relid)
                .putInt(12, 1)
                .putInt(16, 77)
                .putInt(20, 0)
                .putInt(24, 2);
        guestPosts(Vmbus.CONNECTION_ID, badGpadl.array());
        assertThat(take(SIMP0).getInt(16)).isNotZero();
    }

    /** Opens a channel on 8 pages at pfn (4 each way) and returns the guest's view: {its out ring, its in ring}. */
    private org.viridian.vmbus.ring.RingBuffer[] openEight(int relid, int handle, long pfn) {
        return openEightOn(SIMP0, relid, handle, pfn);
    }

    private org.viridian.vmbus.ring.RingBuffer[] openEightOn(long simp, int relid, int handle, long pfn) {
        long[] pfns = new long[8];
        for (int i = 0; i < 8; i++) pfns[i] = pfn + i;
        gpadl(relid, handle, pfns);
        assertThat(take(simp).getInt(16)).isZero();
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(148, MessageType.OPEN_CHANNEL.code())
                        .putInt(8, relid)
                        .putInt(12, 1)
                        .putInt(16, handle)
                        .putInt(20, 0)
                        .putInt(24, 4)
                        .array());
        assertThat(take(simp).getInt(16)).as("open status").isZero();
        var pages = new org.viridian.vmbus.ring.GpaPages(memory, pfns);
        return new org.viridian.vmbus.ring.RingBuffer[] {
            new org.viridian.vmbus.ring.RingBuffer(pages.range(0, 4)),
            new org.viridian.vmbus.ring.RingBuffer(pages.range(4, 4))
        };
    }

    private void guestSignals(int relid) {
        guestSignals(dispatcher, relid);
    }

    private static void guestSignals(HypercallDispatcher dispatcher, int relid) {
        assertThat(dispatcher.dispatch(
                                0, MessageCalls.SIGNAL_EVENT | (1L << 16), VmbusServer.CONNECTION_BASE + relid, 0)
                        & 0xFFFF)
                .isZero();
    }

    @Test
    void aChannelTheGuestDamagesIsRescindedAndTheOthersCarryOn() throws Exception {
        var good = new org.viridian.vmbus.diag.EchoDevice();
        var bad = new org.viridian.vmbus.diag.EchoDevice();
        int goodId = server.addDevice(good), badId = server.addDevice(bad);
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        var goodRings = openEight(goodId, 10, 0x40);
        var badRings = openEight(badId, 11, 0x50);

        // The guest writes a packet claiming 512 KiB into a 12 KiB ring, and signals.
        memory.writeInt(0x50 * 4096L + 4096, 6 | 2 << 16);
        memory.writeInt(0x50 * 4096L + 4096 + 4, 0xFFFF);
        memory.writeInt(0x50 * 4096L, 24); // write index
        guestSignals(badId);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (memory.readInt(SIMP0 + 512) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        ByteBuffer rescind = take(SIMP0);
        assertThat(rescind.getInt(0)).isEqualTo(MessageType.RESCIND_CHANNEL_OFFER.code());
        assertThat(rescind.getInt(8)).isEqualTo(badId);
        assertThat(server.rescinded(badId)).isTrue();
        assertThat(badRings[1].writerFreeSpace())
                .as("nothing was echoed on the damaged channel")
                .isEqualTo(12 * 1024);

        // The other channel still echoes, and a new offer round leaves the rescinded channel out.
        assertThat(goodRings[0].write(6, 0, 42, new byte[0], "still here".getBytes()))
                .isNotEqualTo(org.viridian.vmbus.ring.RingBuffer.WriteResult.FULL);
        guestSignals(goodId);
        var echoed = goodRings[1].read().orElseThrow();
        assertThat(echoed.transactionId()).isEqualTo(42);
        assertThat(new String(echoed.data()).trim()).startsWith("still here");
        guestPosts(
                Vmbus.CONNECTION_ID, msg(8, MessageType.REQUEST_OFFERS.code()).array());
        assertThat(take(SIMP0).getInt(184)).isEqualTo(goodId);
        synics.getFirst().writeMsr(HvMsr.EOM, 0);
        assertThat(take(SIMP0).getInt(0))
                .as("no offer for the rescinded channel")
                .isEqualTo(MessageType.ALL_OFFERS_DELIVERED.code());
        // Re-opening the rescinded channel is refused.
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(148, MessageType.OPEN_CHANNEL.code())
                        .putInt(8, badId)
                        .putInt(12, 2)
                        .putInt(16, 11)
                        .putInt(20, 0)
                        .putInt(24, 4)
                        .array());
        assertThat(take(SIMP0).getInt(16)).isNotZero();
    }

    @Test
    void aDeviceAddedToAConnectedGuestIsOfferedAtOnceAndOneRemovedIsRescindedUntilTheGuestReleasesIt()
            throws Exception {
        int first = server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        guestPosts(
                Vmbus.CONNECTION_ID, msg(8, MessageType.REQUEST_OFFERS.code()).array());
        assertThat(take(SIMP0).getInt(184)).isEqualTo(first);
        synics.getFirst().writeMsr(HvMsr.EOM, 0);
        assertThat(take(SIMP0).getInt(0)).isEqualTo(MessageType.ALL_OFFERS_DELIVERED.code());

        // Hot add: the offer goes out without another offer round, and the channel works.
        var hot = new org.viridian.vmbus.diag.EchoDevice();
        int hotId = server.addDevice(hot);
        ByteBuffer offer = take(SIMP0);
        assertThat(offer.getInt(0)).isEqualTo(MessageType.OFFER_CHANNEL.code());
        assertThat(offer.getInt(184)).isEqualTo(hotId).isNotEqualTo(first);
        var rings = openEight(hotId, 12, 0x60);
        rings[0].write(6, 0, 1, new byte[0], "before".getBytes());
        guestSignals(hotId);
        assertThat(rings[1].read()).as("echoed while offered").isPresent();

        // Hot remove: rescinded, the device lets go of the rings at once, the relid stays taken until released.
        var released = server.removeDevice(hotId);
        ByteBuffer rescind = take(SIMP0);
        assertThat(rescind.getInt(0)).isEqualTo(MessageType.RESCIND_CHANNEL_OFFER.code());
        assertThat(rescind.getInt(8)).isEqualTo(hotId);
        rings[0].write(6, 0, 2, new byte[0], "after".getBytes());
        guestSignals(hotId);
        Thread.sleep(50);
        assertThat(rings[1].read()).as("nothing echoed once rescinded").isEmpty();
        assertThat(released).isNotDone();
        int meanwhile = server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        assertThat(meanwhile)
                .as("a relid the guest still holds is not offered again")
                .isNotEqualTo(hotId);
        take(SIMP0);

        // Linux's driver closes the channel, tears its GPADL down and releases the relid, as hv_vmbus does.
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.CLOSE_CHANNEL.code()).putInt(8, hotId).array());
        assertThat(memory.readInt(SIMP0 + 512)).as("nothing answers a close").isZero();
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(16, MessageType.GPADL_TEARDOWN.code())
                        .putInt(8, hotId)
                        .putInt(12, 12)
                        .array());
        assertThat(take(SIMP0).getInt(0)).isEqualTo(MessageType.GPADL_TORNDOWN.code());
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.RELID_RELEASED.code()).putInt(8, hotId).array());
        assertThat(released).isDone();
        assertThat(server.addDevice(new org.viridian.vmbus.diag.EchoDevice()))
                .as("a released relid is offered again")
                .isEqualTo(hotId);
        assertThat(take(SIMP0).getInt(184)).isEqualTo(hotId);
    }

    @Test
    void aDeviceRemovedBeforeTheGuestConnectsIsNeverOffered() {
        int keep = server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        int gone = server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        assertThat(server.removeDevice(gone)).isDone();
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        guestPosts(
                Vmbus.CONNECTION_ID, msg(8, MessageType.REQUEST_OFFERS.code()).array());
        assertThat(take(SIMP0).getInt(184)).isEqualTo(keep);
        synics.getFirst().writeMsr(HvMsr.EOM, 0);
        assertThat(take(SIMP0).getInt(0)).isEqualTo(MessageType.ALL_OFFERS_DELIVERED.code());
        // A release the guest invents for a live channel is refused; the channel stays.
        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.RELID_RELEASED.code()).putInt(8, keep).array());
        assertThat(server.addDevice(new org.viridian.vmbus.diag.EchoDevice())).isNotEqualTo(keep);
    }

    @Test
    void aSavedServerRestoresIntoAFreshOneWhoseChannelsCarryOn() {
        server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        int relid = server.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 1, 2));
        take(SIMP1);
        var rings = openEightOn(SIMP1, relid, 20, 0x40);
        rings[0].write(6, 0, 1, new byte[0], "before".getBytes());
        guestSignals(relid);
        assertThat(rings[1].read().orElseThrow().transactionId()).isEqualTo(1);
        VmbusState saved = server.save();
        assertThat(saved.channels().get(1).open()).isNotNull();

        // A new server (as in the VM restored elsewhere) with the same devices in the same order.
        HypercallDispatcher d2 = new HypercallDispatcher(memory, false);
        VmbusServer restored = attach(new MessageCalls(), d2);
        restored.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        restored.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        restored.restore(saved);
        assertThat(restored.version()).isEqualTo(0x50003);
        rings[0].write(6, 0, 2, new byte[0], "after".getBytes());
        guestSignals(d2, relid);
        var echoed = rings[1].read().orElseThrow();
        assertThat(echoed.transactionId()).isEqualTo(2);
        assertThat(new String(echoed.data())).startsWith("after");
        // Host-to-guest signals still go to the VP and SINT the guest chose (VP 1's event page would be set).
        assertThat(restored.save()).usingRecursiveComparison().isEqualTo(saved);

        VmbusServer other = attach(new MessageCalls(), new HypercallDispatcher(memory, false));
        other.addDevice(new VmbusDevice() {
            public java.util.UUID classId() {
                return new java.util.UUID(7, 7);
            }

            public java.util.UUID instanceId() {
                return new java.util.UUID(8, 8);
            }

            public void opened(OpenChannel c) {}

            public void closed() {}
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> other.restore(saved))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no matching device");
    }

    @Test
    void aDeviceOffersSubChannelsWhichGoWhenThePrimaryCloses() throws Exception {
        var primary = new java.util.concurrent.atomic.AtomicReference<OpenChannel>();
        java.util.UUID cls = new java.util.UUID(11, 12), inst = new java.util.UUID(13, 14);
        int relid = server.addDevice(new VmbusDevice() {
            public java.util.UUID classId() {
                return cls;
            }

            public java.util.UUID instanceId() {
                return inst;
            }

            public void opened(OpenChannel c) {
                primary.set(c);
            }

            public void closed() {}
        });
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        openEight(relid, 30, 0x40);
        var subOpened = new java.util.concurrent.atomic.AtomicBoolean();
        primary.get().offerSubChannel(new VmbusDevice() {
            public java.util.UUID classId() {
                return cls;
            }

            public java.util.UUID instanceId() {
                return inst;
            }

            public void opened(OpenChannel c) {
                subOpened.set(true);
            }

            public void closed() {
                subOpened.set(false);
            }
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (memory.readInt(SIMP0 + 512) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        ByteBuffer offer = take(SIMP0);
        assertThat(offer.getInt(0)).isEqualTo(MessageType.OFFER_CHANNEL.code());
        assertThat(offer.getShort(180)).as("sub-channel index").isEqualTo((short) 1);
        assertThat(offer.getLong(24))
                .as("the primary's instance")
                .isEqualTo(ByteBuffer.wrap(primaryOffer(relid), 24, 8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong());
        int sub = offer.getInt(184);
        assertThat(sub).isNotEqualTo(relid);
        openEight(sub, 31, 0x50);
        assertThat(subOpened).isTrue();

        guestPosts(
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.CLOSE_CHANNEL.code()).putInt(8, relid).array());
        ByteBuffer rescind = take(SIMP0);
        assertThat(rescind.getInt(0)).isEqualTo(MessageType.RESCIND_CHANNEL_OFFER.code());
        assertThat(rescind.getInt(8)).isEqualTo(sub);
        assertThat(subOpened).isFalse();
    }

    /** A device with one sub-channel device, as a multi-queue VSP is; it counts what the server asks of each. */
    private static final class TwoQueues implements VmbusDevice {
        final java.util.UUID cls = new java.util.UUID(21, 22), inst = new java.util.UUID(23, 24);
        final java.util.concurrent.atomic.AtomicInteger subSignals = new java.util.concurrent.atomic.AtomicInteger();
        volatile OpenChannel primary, sub;
        final VmbusDevice queue = new VmbusDevice() {
            public java.util.UUID classId() {
                return cls;
            }

            public java.util.UUID instanceId() {
                return inst;
            }

            public void opened(OpenChannel c) {
                sub = c;
            }

            public void closed() {
                sub = null;
            }

            public void guestSignalled() {
                subSignals.incrementAndGet();
            }
        };

        public java.util.UUID classId() {
            return cls;
        }

        public java.util.UUID instanceId() {
            return inst;
        }

        public void opened(OpenChannel c) {
            primary = c;
        }

        public void closed() {
            primary = null;
        }

        @Override
        public VmbusDevice restoredSubChannel(int index) {
            if (index != 1) throw new IllegalArgumentException("no sub-channel " + index);
            return queue;
        }
    }

    @Test
    void anOpenSubChannelIsSavedAndRecreatedUnderItsRelidIndexAndRings() throws Exception {
        TwoQueues before = new TwoQueues();
        int relid = server.addDevice(before);
        guestPosts(Vmbus.CONNECTION_ID_4, contact(0x50003, 0, 2));
        take(SIMP0);
        openEight(relid, 40, 0x40);
        before.primary.offerSubChannel(before.queue);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (memory.readInt(SIMP0 + 512) == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        int sub = take(SIMP0).getInt(184);
        openEight(sub, 41, 0x50);
        VmbusState saved = server.save();
        VmbusState.Channel s = saved.channels().stream()
                .filter(VmbusState.Channel::subChannel)
                .findFirst()
                .orElseThrow();
        assertThat(List.of(s.relid(), s.primary(), s.subIndex())).containsExactly(sub, relid, 1);
        assertThat(s.gpadls()).containsKey(41);

        // Restored into a fresh server: the sub-channel's device has its rings again and its connection signals it.
        HypercallDispatcher d2 = new HypercallDispatcher(memory, false);
        VmbusServer restored = attach(new MessageCalls(), d2);
        TwoQueues after = new TwoQueues();
        restored.addDevice(after);
        restored.restore(saved);
        assertThat(after.sub).isNotNull();
        assertThat(after.sub.relid()).isEqualTo(sub);
        int signalled = after.subSignals.get(); // the pump after the restore
        guestSignals(d2, sub);
        assertThat(after.subSignals.get()).isEqualTo(signalled + 1);
        assertThat(restored.save()).usingRecursiveComparison().isEqualTo(saved);
        // Closing the primary takes the restored sub-channel with it (rescinded to the guest).
        guestPosts(
                d2,
                Vmbus.CONNECTION_ID,
                msg(12, MessageType.CLOSE_CHANNEL.code()).putInt(8, relid).array());
        ByteBuffer rescind = take(SIMP0);
        assertThat(rescind.getInt(0)).isEqualTo(MessageType.RESCIND_CHANNEL_OFFER.code());
        assertThat(rescind.getInt(8)).isEqualTo(sub);
        assertThat(after.sub).isNull();

        // A server where another device holds the sub-channel's relid cannot take the state.
        VmbusServer crowded = attach(new MessageCalls(), new HypercallDispatcher(memory, false));
        crowded.addDevice(new TwoQueues());
        crowded.addDevice(new org.viridian.vmbus.diag.EchoDevice());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> crowded.restore(saved))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("relid is taken");
    }

    /** The offer message the server sends for a relid (what REQUEST_OFFERS would deliver). */
    private byte[] primaryOffer(int relid) {
        guestPosts(
                Vmbus.CONNECTION_ID, msg(8, MessageType.REQUEST_OFFERS.code()).array());
        ByteBuffer o = take(SIMP0);
        byte[] copy = o.array().clone();
        synics.getFirst().writeMsr(HvMsr.EOM, 0);
        while (memory.readInt(SIMP0 + 512) != 0) {
            take(SIMP0);
            synics.getFirst().writeMsr(HvMsr.EOM, 0);
        }
        return copy;
    }
}
