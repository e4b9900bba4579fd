package org.viridian.vmbus.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

/**
 * The host side of a ring against a guest side written here from the ring layout (as Linux's ring_buffer.c behaves),
 * over real guest memory whose pages are deliberately scattered and out of order, as a GPADL's may be.
 */
class RingBufferTest {
    private final GuestMemory memory = GuestMemory.allocate(4 << 20);
    /** Control page + 3 data pages, in reverse physical order. */
    private final long[] pfns = {0x1F3, 0x1F2, 0x1A0, 0x105};

    private final GpaPages pages = new GpaPages(memory, pfns);
    private final RingBuffer ring = new RingBuffer(pages);
    private final int size = 3 * 4096;

    @AfterEach
    void close() {
        memory.close();
    }

    // ---- guest side, from the layout.
    private int ctl(int off) {
        return memory.readInt((pfns[0] << 12) + off);
    }

    private void setCtl(int off, int v) {
        memory.writeInt((pfns[0] << 12) + off, v);
    }

    private void guestWriteBytes(int at, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            int o = (at + i) % size;
            memory.write((pfns[1 + o / 4096] << 12) + o % 4096, new byte[] {b[i]});
        }
    }

    private byte[] guestReadBytes(int at, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            int o = (at + i) % size;
            out[i] = memory.read((pfns[1 + o / 4096] << 12) + o % 4096, 1)[0];
        }
        return out;
    }

    private void guestSend(int type, long tid, byte[] data) {
        int len = (16 + data.length + 7) & ~7;
        ByteBuffer p = ByteBuffer.allocate(len + 8).order(ByteOrder.LITTLE_ENDIAN);
        p.putShort((short) type)
                .putShort((short) 2)
                .putShort((short) (len / 8))
                .putShort((short) 1)
                .putLong(tid)
                .put(data);
        int w = ctl(RingBuffer.WRITE_INDEX);
        p.putLong(len, (long) w << 32);
        guestWriteBytes(w, p.array());
        setCtl(RingBuffer.WRITE_INDEX, (w + len + 8) % size);
    }

    private byte[] guestReceive() {
        int r = ctl(RingBuffer.READ_INDEX);
        if (r == ctl(RingBuffer.WRITE_INDEX)) return null;
        ByteBuffer d = ByteBuffer.wrap(guestReadBytes(r, 16)).order(ByteOrder.LITTLE_ENDIAN);
        int off = d.getShort(2) * 8, len = d.getShort(4) * 8;
        byte[] pkt = guestReadBytes(r, len);
        setCtl(RingBuffer.READ_INDEX, (r + len + 8) % size);
        return Arrays.copyOfRange(pkt, off, len);
    }

    @Test
    void guestPacketsAreReadInOrderAcrossTheWrap() {
        byte[] payload = new byte[1000];
        for (int round = 0; round < 40; round++) { // 40 KiB through a 12 KiB ring: wraps several times
            Arrays.fill(payload, (byte) round);
            guestSend(Packet.DATA_INBAND, round, payload);
            Packet p = ring.read().orElseThrow();
            assertThat(p.type()).isEqualTo(Packet.DATA_INBAND);
            assertThat(p.transactionId()).isEqualTo(round);
            assertThat(p.completionRequested()).isTrue();
            assertThat(Arrays.copyOf(p.data(), 1000)).containsOnly((byte) round);
        }
        assertThat(ring.read()).isEmpty();
    }

    @Test
    void hostPacketsReachTheGuestAndSignalOnlyWhenItHadDrainedTheRing() {
        assertThat(ring.write(Packet.DATA_INBAND, 0, 7, new byte[0], "first".getBytes()))
                .isEqualTo(RingBuffer.WriteResult.WRITTEN_SIGNAL);
        assertThat(ring.write(Packet.DATA_INBAND, 0, 8, new byte[0], "second".getBytes()))
                .isEqualTo(RingBuffer.WriteResult.WRITTEN); // guest has not read the first yet
        assertThat(new String(guestReceive()).trim()).startsWith("first");
        assertThat(new String(guestReceive()).trim()).startsWith("second");
        setCtl(RingBuffer.INTERRUPT_MASK, 1); // guest polling: no interrupts wanted
        assertThat(ring.write(Packet.DATA_INBAND, 0, 9, new byte[0], new byte[8]))
                .isEqualTo(RingBuffer.WriteResult.WRITTEN);
    }

    @Test
    void aFullRingRefusesWithoutChangingAnything() {
        byte[] big = new byte[4072]; // 16 + 4072 + 8 = 4096 bytes a packet
        int written = 0;
        while (ring.write(Packet.DATA_INBAND, 0, written, new byte[0], big) != RingBuffer.WriteResult.FULL) written++;
        assertThat(written).isEqualTo(2); // a third would fill the 12 KiB exactly, which is never allowed
        int w = ctl(RingBuffer.WRITE_INDEX);
        assertThat(ring.write(Packet.DATA_INBAND, 0, 99, new byte[0], big)).isEqualTo(RingBuffer.WriteResult.FULL);
        assertThat(ctl(RingBuffer.WRITE_INDEX)).isEqualTo(w);
        guestReceive();
        assertThat(ring.write(Packet.DATA_INBAND, 0, 3, new byte[0], big)).isNotEqualTo(RingBuffer.WriteResult.FULL);
    }

    @Test
    void aWaitingWriterIsToldWhenRoomAppears() {
        setCtl(RingBuffer.FEATURE_BITS, 1);
        byte[] big = new byte[3000];
        guestSend(Packet.DATA_INBAND, 1, big);
        guestSend(Packet.DATA_INBAND, 2, big);
        guestSend(Packet.DATA_INBAND, 3, big);
        setCtl(RingBuffer.PENDING_SEND_SIZE, 3300); // the guest wants to send 3300 bytes and waits
        int before = ring.writerFreeSpace();
        assertThat(before).isLessThan(3300);
        ring.read();
        assertThat(ring.guestWaitsAndHasRoom(before)).isTrue();
        assertThat(ring.guestWaitsAndHasRoom(ring.writerFreeSpace())).isFalse(); // already had room: no second signal
    }

    @Test
    void hostileIndicesAndLengthsAreRefused() {
        setCtl(RingBuffer.WRITE_INDEX, size + 8);
        assertThatThrownBy(ring::read).isInstanceOf(RingCorruptException.class).hasMessageContaining("write index");
        setCtl(RingBuffer.WRITE_INDEX, 12);
        assertThatThrownBy(ring::read).isInstanceOf(RingCorruptException.class);
        setCtl(RingBuffer.WRITE_INDEX, 0);
        // A descriptor claiming more bytes than the ring holds.
        guestSend(Packet.DATA_INBAND, 1, new byte[16]);
        guestWriteBytes(4, new byte[] {(byte) 0xFF, (byte) 0x7F});
        assertThatThrownBy(ring::read).isInstanceOf(RingCorruptException.class).hasMessageContaining("bad packet");
        // A data offset beyond the packet's end.
        setCtl(RingBuffer.READ_INDEX, 0);
        setCtl(RingBuffer.WRITE_INDEX, 0);
        guestSend(Packet.DATA_INBAND, 1, new byte[16]);
        guestWriteBytes(2, new byte[] {(byte) 0x40, 0});
        assertThatThrownBy(ring::read).isInstanceOf(RingCorruptException.class);
    }

    @Test
    void gpadlPagesOutsideRamAreRefused() {
        assertThatThrownBy(() -> new GpaPages(memory, new long[] {0x10, 0x7FFFF}))
                .isInstanceOf(RingCorruptException.class)
                .hasMessageContaining("page 1");
        assertThatThrownBy(() -> new GpaPages(memory, new long[] {-1})).isInstanceOf(RingCorruptException.class);
        assertThatThrownBy(() -> new RingBuffer(new GpaPages(memory, new long[] {0x10})))
                .isInstanceOf(RingCorruptException.class);
        assertThat(Optional.of(pages.range(1, 2).size())).contains(8192L);
    }

    @Test
    void anOutboxHoldsWhatDoesNotFitAsksForRoomAndSendsItInOrderLater() {
        Outbox outbox = new Outbox(ring);
        RingBuffer guest = new RingBuffer(pages); // the guest reads the same ring
        byte[] big = new byte[5000];
        assertThat(outbox.send(6, 0, 1, big))
                .as("first write into an empty ring signals")
                .isTrue();
        outbox.send(6, 0, 2, big);
        outbox.send(6, 0, 3, big); // does not fit: waits
        assertThat(outbox.waiting()).isEqualTo(1);
        assertThat(ctl(RingBuffer.PENDING_SEND_SIZE)).as("asks for room").isGreaterThan(5000);
        assertThat(guest.read().orElseThrow().transactionId()).isEqualTo(1);
        outbox.flush();
        assertThat(outbox.waiting()).isZero();
        assertThat(ctl(RingBuffer.PENDING_SEND_SIZE)).as("request withdrawn").isZero();
        assertThat(guest.read().orElseThrow().transactionId()).isEqualTo(2);
        assertThat(guest.read().orElseThrow().transactionId()).isEqualTo(3);
    }
}
