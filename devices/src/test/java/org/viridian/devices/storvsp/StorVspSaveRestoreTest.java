package org.viridian.devices.storvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.protocol.VmscsiRequest;
import org.viridian.devices.storvsp.protocol.VstorOperation;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.vmbus.protocol.OfferChannel;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.VmbusState;
import org.viridian.vmbus.testing.GuestBus;

/**
 * A multi-queue StorVSP (a primary and two sub-channels on two VPs) saved with the real VMBus server in the middle of
 * a run and restored into a fresh server and a fresh StorVSP on the same guest memory, as a VM restored from its state
 * file: requests in flight on the sub-channels are drained into the guest's rings by the save, a request the guest
 * wrote but had not signalled is served after the restore, and every queue carries on under the relid, index and VP
 * the guest's storvsc holds.
 */
class StorVspSaveRestoreTest {
    private static final UUID INSTANCE = UUID.fromString("5a0d1f9e-7e57-4c3b-9d1a-000000000002");
    private static final long DATA = 0x200000, BACK = 0x400000;

    @TempDir
    Path dir;

    private Path vhdx;
    private final GuestMemory memory = GuestMemory.allocate(64L << 20);
    private final GuestBus bus = new GuestBus(memory, 2);
    private StorVsp vsp;
    private long transaction;

    @BeforeEach
    void setUp() throws Exception {
        vhdx = dir.resolve("disk.vhdx");
        Images.create(vhdx, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 64L << 20, 0, null));
        vsp = controller();
    }

    @AfterEach
    void tearDown() throws Exception {
        vsp.close();
        memory.close();
    }

    private StorVsp controller() throws Exception {
        StorVsp c = new StorVsp(memory, INSTANCE, 2);
        c.addDisk(0, Images.open(vhdx, false), false, TokenBucket.unlimited());
        bus.server().addDevice(c);
        return c;
    }

    @Test
    void aControllerWithSubChannelsSavedMidRunCarriesOnOnEveryQueueAfterRestore() throws Exception {
        int relid = bus.connect(0).getFirst().childRelid();
        GuestBus.Rings primary = bus.open(relid, 1, 0x100, 16, 0);
        handshake(primary);
        ByteBuffer create = StorvscPlayer.packet(VstorOperation.CREATE_SUB_CHANNELS.code());
        create.putShort(12, (short) 2);
        assertThat(call(primary, create, new byte[0]).getInt(8)).isZero();
        OfferChannel first = bus.awaitOffer(), second = bus.awaitOffer();
        assertThat(List.of(first.subChannelIndex(), second.subChannelIndex())).containsExactlyInAnyOrder(1, 2);
        GuestBus.Rings sub1 = bus.open(first.childRelid(), 2, 0x200, 16, 1);
        GuestBus.Rings sub2 = bus.open(second.childRelid(), 3, 0x300, 16, 0);

        // Mid-run: a write in flight on each sub-channel, and on the primary a read of the first written but not
        // yet signalled (the VP stopped between the two).
        long w1 = write(sub1, 10, "written on sub-channel 1"), w2 = write(sub2, 11, "written on sub-channel 2");
        long unsignalled = submit(primary, 10, true, BACK, false);
        VmbusState saved = bus.server().save();
        assertThat(saved.channels()).hasSize(3);
        assertThat(saved.channels().stream().filter(VmbusState.Channel::subChannel))
                .extracting(c -> c.open().targetVp())
                .containsExactlyInAnyOrder(0, 1);
        // Drained by the save: both completions are already in the guest's rings, nothing waits for the disk.
        assertThat(completion(sub1.in(), w1, false)).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(completion(sub2.in(), w2, false)).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(primary.in().read())
                .as("the unsignalled request was not read")
                .isEmpty();

        // The host process goes; a fresh server and controller on the same guest memory take the saved state.
        vsp.close();
        bus.restart();
        vsp = controller();
        bus.server().restore(saved);
        assertThat(vsp.subChannels()).isEqualTo(2);
        assertThat(bus.server().save()).usingRecursiveComparison().isEqualTo(saved);

        assertThat(completion(primary.in(), unsignalled, true)).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(new String(memory.read(BACK, 24))).isEqualTo("written on sub-channel 1");
        // Every queue takes new requests, each reading what another queue wrote before the save.
        List<GuestBus.Rings> queues = List.of(primary, sub1, sub2);
        for (int i = 0; i < queues.size(); i++) {
            GuestBus.Rings q = queues.get(i);
            long lba = 10 + (i % 2);
            long id = submit(q, lba, true, BACK + 4096L * (i + 1), true);
            assertThat(completion(q.in(), id, true)).as("queue %d", i).isEqualTo(VmscsiRequest.SRB_SUCCESS);
            assertThat(new String(memory.read(BACK + 4096L * (i + 1), 24)))
                    .isEqualTo("written on sub-channel " + (1 + i % 2));
            long w = write(q, 20 + i, "after the restore " + i);
            assertThat(completion(q.in(), w, true)).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        }
        long check = submit(sub2, 20, true, BACK, true);
        assertThat(completion(sub2.in(), check, true)).isEqualTo(VmscsiRequest.SRB_SUCCESS);
        assertThat(new String(memory.read(BACK, 19))).isEqualTo("after the restore 0");
    }

    @Test
    void aStateNamingMoreSubChannelsThanTheControllerOffersIsRefused() throws Exception {
        StorVsp small = new StorVsp(memory, INSTANCE, 1);
        GuestBus.Rings r = bus.open(bus.connect(0).getFirst().childRelid(), 1, 0x100, 16, 0);
        byte[] state = SavedState.of(org.viridian.devices.storvsp.protocol.VstorVersion.WIN10, true, 2)
                .toBytes();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> small.restore(
                        new org.viridian.vmbus.server.OpenChannel(r.relid(), r.in(), r.out(), () -> {}), state))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sub-channels");
        small.close();
    }

    private void handshake(GuestBus.Rings q) {
        assertThat(control(q, VstorOperation.BEGIN_INITIALIZATION)).isZero();
        ByteBuffer v = StorvscPlayer.packet(VstorOperation.QUERY_PROTOCOL_VERSION.code());
        v.putShort(12, (short) 0x0602);
        assertThat(call(q, v, new byte[0]).getInt(8)).isZero();
        assertThat(control(q, VstorOperation.QUERY_PROPERTIES)).isZero();
        assertThat(control(q, VstorOperation.END_INITIALIZATION)).isZero();
    }

    private int control(GuestBus.Rings q, VstorOperation op) {
        return call(q, StorvscPlayer.packet(op.code()), new byte[0]).getInt(8);
    }

    /** One vstor packet and its completion's data. */
    private ByteBuffer call(GuestBus.Rings q, ByteBuffer vstor, byte[] headers) {
        long id = post(q, vstor, headers, true);
        Packet p = await(q.in());
        assertThat(p.transactionId()).isEqualTo(id);
        return ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long post(GuestBus.Rings q, ByteBuffer vstor, byte[] headers, boolean signal) {
        long id = ++transaction;
        int type = headers.length == 0 ? Packet.DATA_INBAND : Packet.DATA_USING_GPA_DIRECT;
        assertThat(q.out().write(type, Packet.FLAG_COMPLETION_REQUESTED, id, headers, vstor.array()))
                .isNotEqualTo(RingBuffer.WriteResult.FULL);
        if (signal) bus.signal(q.relid(), 0);
        return id;
    }

    /** Writes {@code text} (padded to a block) at {@code lba}; returns the request's transaction id. */
    private long write(GuestBus.Rings q, long lba, String text) {
        long at = DATA + 4096 * lba;
        memory.write(at, java.util.Arrays.copyOf(text.getBytes(), 512));
        return submit(q, lba, false, at, true);
    }

    /** A one-block READ(10)/WRITE(10) with its data at {@code gpa} (page-aligned). */
    private long submit(GuestBus.Rings q, long lba, boolean read, long gpa, boolean signal) {
        ByteBuffer v = StorvscPlayer.srbPacket(0, StorvscPlayer.rw10(!read, lba, 1), read, 512);
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(4, 1).putInt(8, 512).putInt(12, 0).putLong(16, gpa >>> 12);
        return post(q, v, h.array(), signal);
    }

    /** The SRB status of request {@code id}'s completion, waited for or required to be there already. */
    private int completion(RingBuffer in, long id, boolean wait) {
        Packet p = wait ? await(in) : in.read().orElseThrow(() -> new AssertionError("no completion in the ring"));
        assertThat(p.type()).isEqualTo(Packet.COMPLETION);
        assertThat(p.transactionId()).isEqualTo(id);
        return StorvscPlayer.srb(ByteBuffer.wrap(p.data()).order(ByteOrder.LITTLE_ENDIAN))
                .srbStatus();
    }

    private static Packet await(RingBuffer in) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Packet> p = in.read();
            if (p.isPresent()) return p.get();
            Thread.onSpinWait();
        }
        throw new AssertionError("no packet from the VSP within 10 s");
    }
}
