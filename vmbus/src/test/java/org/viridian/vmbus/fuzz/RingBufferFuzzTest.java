package org.viridian.vmbus.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Optional;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.GpaRange;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.ring.RingCorruptException;

/**
 * A ring buffer the guest wrote: its page list (a GPADL's pfns, mostly inside a small memfd-backed RAM, sometimes
 * anywhere), its control page (indices, mask, pending-send size, features) and its data, all fuzzed. The host reads
 * packets, parses GPA-direct range lists and writes an answer. Rule: RingCorruptException or a correct result;
 * nothing read or written outside the ring's pages (GpaPages is the only way in, and it checks every access).
 */
class RingBufferFuzzTest {
    private static final int RAM_PAGES = 256;
    private static final GuestMemory MEMORY = GuestMemory.allocate(RAM_PAGES * GuestMemory.PAGE_SIZE);

    @FuzzTest
    void guestRing(FuzzedDataProvider data) {
        int n = data.consumeInt(2, 8);
        long[] pfns = new long[n];
        for (int i = 0; i < n; i++)
            pfns[i] = data.consumeBoolean() ? data.consumeLong() : data.consumeInt(0, RAM_PAGES - 1);
        int ctl = data.consumeInt(0, RAM_PAGES - 1);
        // The control page's first words and then packet bytes: what the guest left in its ring.
        long page0 = ((long) ctl) << 12;
        MEMORY.writeInt(page0, data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 64) * 8);
        MEMORY.writeInt(page0 + 4, data.consumeBoolean() ? data.consumeInt() : data.consumeInt(0, 64) * 8);
        MEMORY.writeInt(page0 + 8, data.consumeInt());
        MEMORY.writeInt(page0 + 12, data.consumeInt());
        MEMORY.writeInt(page0 + 64, data.consumeInt());
        pfns[0] = data.consumeBoolean() ? ctl : pfns[0];
        long dataPfn = Math.floorMod(n > 1 ? pfns[1] : 0, RAM_PAGES);
        byte[] bytes = data.consumeBytes(4096);
        MEMORY.write(dataPfn << 12, bytes);
        try {
            RingBuffer ring = new RingBuffer(new GpaPages(MEMORY, pfns));
            for (int i = 0; i < 16; i++) {
                int free = ring.writerFreeSpace();
                Optional<Packet> p = ring.read();
                if (p.isEmpty()) break;
                Packet packet = p.get();
                assertThat(packet.bytes().length).isLessThanOrEqualTo(ring.dataSize());
                packet.data();
                if (packet.type() == Packet.DATA_USING_GPA_DIRECT) {
                    for (GpaRange r : GpaRange.parse(packet)) {
                        if (r.byteCount() > 0) new GpaPages(MEMORY, r.pfns());
                    }
                }
                ring.guestWaitsAndHasRoom(free);
            }
            ring.write(Packet.COMPLETION, 0, 1, new byte[0], data.consumeBytes(data.consumeInt(0, 9000)));
        } catch (RingCorruptException declared) {
            // The guest damaged its ring: the channel is closed, nothing else happens.
        }
    }
}
