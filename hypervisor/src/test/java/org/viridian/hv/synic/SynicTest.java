package org.viridian.hv.synic;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.hv.msr.HvMsr;
import org.viridian.partition.memory.GuestMemory;

/** The SynIC's message-slot and event-flag protocols on real (memfd) guest memory, as a guest driver sees them. */
class SynicTest {
    private static final long SIMP = 0x10000, SIEFP = 0x11000;
    private GuestMemory memory;
    private final List<int[]> raised = new ArrayList<>();
    private Synic synic;

    @BeforeEach
    void setUp() {
        memory = GuestMemory.allocate(1 << 20);
        synic = new Synic(3, memory, (vp, vector) -> raised.add(new int[] {vp, vector}));
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private void enable(int sint, int vector) {
        assertThat(synic.writeMsr(HvMsr.SIMP, SIMP | 1)).isTrue();
        assertThat(synic.writeMsr(HvMsr.SIEFP, SIEFP | 1)).isTrue();
        assertThat(synic.writeMsr(HvMsr.SINT0 + sint, vector)).isTrue();
        assertThat(synic.writeMsr(HvMsr.SCONTROL, 1)).isTrue();
    }

    private int slotType(int sint) {
        return memory.readInt(SIMP + sint * 256L);
    }

    private int slotFlags(int sint) {
        return memory.slice(SIMP + sint * 256L + 5, 1).get(ValueLayout.JAVA_BYTE, 0);
    }

    private static HvMessage msg(int type, String text) {
        return new HvMessage(type, 0x2A, text.getBytes());
    }

    @Test
    void resetStateIsDisabledAndMasked() {
        assertThat(synic.readMsr(HvMsr.SVERSION)).hasValue(1);
        assertThat(synic.readMsr(HvMsr.SCONTROL)).hasValue(0);
        assertThat(synic.readMsr(HvMsr.SINT0 + 7)).hasValue(1L << 16);
        assertThat(synic.readMsr(HvMsr.SINT15 + 1)).isEmpty();
    }

    @Test
    void sintsGoToTheAutoEoiEmulationFromTheFirstAutoEoiOnAndStopWhereNothingCanEmulateIt() {
        List<long[]> told = new ArrayList<>();
        boolean[] canEmulate = {true};
        Synic s = new Synic(0, memory, (vp, v) -> {}, null, (sint, value) -> {
            told.add(new long[] {sint, value});
            return canEmulate[0];
        });
        long autoEoi = 1L << 17, polling = 1L << 18;
        assertThat(s.writeMsr(HvMsr.SINT0 + 1, 0x40)).isTrue();
        assertThat(told).as("no AutoEOI yet: KVM's SynIC stays off").isEmpty();
        assertThat(s.writeMsr(HvMsr.SINT0 + 2, 0x41 | autoEoi | polling)).isTrue();
        assertThat(s.writeMsr(HvMsr.SINT0 + 1, 0x42)).isTrue();
        assertThat(told).containsExactly(new long[] {2, 0x41 | autoEoi}, new long[] {1, 0x42});
        assertThat(s.readMsr(HvMsr.SINT0 + 2))
                .as("the guest reads back what it wrote")
                .hasValue(0x41 | autoEoi | polling);

        Synic restored = new Synic(0, memory, (vp, v) -> {}, null, (sint, value) -> {
            told.add(new long[] {sint, value});
            return canEmulate[0];
        });
        told.clear();
        restored.restore(s.state());
        assertThat(told).as("a restored AutoEOI SINT is emulated again").contains(new long[] {2, 0x41 | autoEoi});

        canEmulate[0] = false;
        Synic unable = new Synic(0, memory, (vp, v) -> {}, null, (sint, value) -> {
            told.add(new long[] {sint, value});
            return canEmulate[0];
        });
        told.clear();
        assertThat(unable.writeMsr(HvMsr.SINT0 + 3, 0x43 | autoEoi)).isTrue();
        assertThat(unable.writeMsr(HvMsr.SINT0 + 4, 0x44)).isTrue();
        assertThat(told).as("asked once, then left alone").hasSize(1);
    }

    @Test
    void aMessageLandsInItsSlotAndInterruptsOnce() {
        enable(2, 0x50);
        assertThat(synic.post(2, msg(7, "hello"))).isTrue();
        assertThat(slotType(2)).isEqualTo(7);
        assertThat(memory.read(SIMP + 2 * 256 + 16, 5)).isEqualTo("hello".getBytes());
        assertThat(memory.readLong(SIMP + 2 * 256 + 8)).isEqualTo(0x2A);
        assertThat(raised).hasSize(1);
        assertThat(raised.getFirst()).containsExactly(3, 0x50);
    }

    @Test
    void aBusySlotMarksPendingAndEomDeliversTheNext() {
        enable(1, 0x51);
        synic.post(1, msg(1, "first"));
        synic.post(1, msg(2, "second"));
        assertThat(slotType(1)).isEqualTo(1);
        assertThat(slotFlags(1) & 1).as("MessagePending").isEqualTo(1);
        assertThat(raised).hasSize(1);
        // The guest consumes the slot (type := none) and, seeing MessagePending, writes EOM.
        memory.writeInt(SIMP + 256, 0);
        assertThat(synic.writeMsr(HvMsr.EOM, 0)).isTrue();
        assertThat(slotType(1)).isEqualTo(2);
        assertThat(slotFlags(1) & 1).isZero();
        assertThat(raised).hasSize(2);
        assertThat(synic.queued(1)).isZero();
    }

    @Test
    void aCoalescedExpiryDeliversIntoASlotTheGuestFreedWithoutEom() {
        enable(1, 0x51);
        synic.post(1, msg(9, "other"));
        assertThat(synic.postCoalescing(1, msg(0x80000010, "expiry 1"), m -> m.type() == 0x80000010))
                .isTrue();
        assertThat(slotFlags(1) & 1).as("MessagePending").isEqualTo(1);
        // A guest on another processor freed the slot but read MessagePending before the host set it: no EOM comes.
        memory.writeInt(SIMP + 256, 0);
        assertThat(synic.postCoalescing(1, msg(0x80000010, "expiry 2"), m -> m.type() == 0x80000010))
                .isTrue();
        assertThat(slotType(1)).as("the next expiry fills the free slot").isEqualTo(0x80000010);
        assertThat(memory.read(SIMP + 256 + 16, 8)).isEqualTo("expiry 2".getBytes());
        assertThat(synic.queued(1)).isZero();
        assertThat(raised).hasSize(2);
    }

    @Test
    void messagesWaitUntilTheGuestEnablesTheSynicAndQueuesAreBounded() {
        assertThat(synic.post(4, msg(9, "early"))).isTrue();
        assertThat(slotType(4)).isZero();
        for (int i = 1; i < Synic.QUEUE_LIMIT; i++)
            assertThat(synic.post(4, msg(9, "x"))).isTrue();
        assertThat(synic.post(4, msg(9, "one too many"))).as("flow control").isFalse();
        enable(4, 0x52);
        assertThat(slotType(4)).isEqualTo(9);
        assertThat(memory.read(SIMP + 4 * 256 + 16, 5)).isEqualTo("early".getBytes());
    }

    @Test
    void maskedAndPolledSintsGetMessagesWithoutInterrupts() {
        enable(5, 0x53);
        synic.writeMsr(HvMsr.SINT0 + 5, 0x53 | (1 << 16));
        synic.post(5, msg(3, "quiet"));
        assertThat(slotType(5)).isEqualTo(3);
        assertThat(raised).isEmpty();
    }

    @Test
    void eventFlagsInterruptOnlyWhenNewlySet() {
        enable(2, 0x60);
        assertThat(synic.signalEvent(2, 100)).isTrue();
        assertThat(synic.signalEvent(2, 100)).isTrue();
        assertThat(memory.readLong(SIEFP + 2 * 256 + 8)).isEqualTo(1L << (100 - 64));
        assertThat(raised).hasSize(1);
        synic.signalEvent(2, 2047);
        assertThat(memory.readLong(SIEFP + 2 * 256 + 248)).isEqualTo(1L << 63);
        assertThat(raised).hasSize(2);
    }

    @Test
    void badWritesAreRefused() {
        assertThat(synic.writeMsr(HvMsr.SINT0, 0x05))
                .as("unmasked vector below 16")
                .isFalse();
        assertThat(synic.writeMsr(HvMsr.SINT0, 0x05 | (1 << 16)))
                .as("masked: any vector")
                .isTrue();
        assertThat(synic.writeMsr(HvMsr.SINT0, 0x50 | (1L << 40)))
                .as("reserved bits")
                .isFalse();
        assertThat(synic.writeMsr(HvMsr.SIMP, (1L << 40) | 1))
                .as("page outside the partition")
                .isFalse();
        assertThat(synic.writeMsr(HvMsr.SIMP, SIMP | 0x10)).as("reserved bits").isFalse();
        assertThat(synic.writeMsr(HvMsr.SVERSION, 2)).as("read-only").isFalse();
        assertThat(synic.writeMsr(HvMsr.SCONTROL, 2)).isFalse();
    }
}
