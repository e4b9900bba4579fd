package org.viridian.vmbus.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;

class ChannelDeviceTest {
    private final GuestMemory memory = GuestMemory.allocate(1 << 20);
    private final long[] fromGuestPfns = {0x10, 0x11, 0x12}, toGuestPfns = {0x20, 0x21};
    /** The guest's views of the two rings. */
    private final RingBuffer guestOut = ring(fromGuestPfns), guestIn = ring(toGuestPfns);

    private final AtomicInteger interrupts = new AtomicInteger();
    private final List<String> failures = new ArrayList<>();
    private final OpenChannel channel =
            new OpenChannel(3, ring(fromGuestPfns), ring(toGuestPfns), interrupts::incrementAndGet, failures::add);

    private RingBuffer ring(long[] pfns) {
        return new RingBuffer(new GpaPages(memory, pfns));
    }

    /** Answers each packet with its own bytes; records its lifecycle. */
    /** A device of no particular class: the tests need only the channel plumbing. */
    abstract static class TestDevice extends ChannelDevice {
        TestDevice(String name, int backlog, boolean ownThread) {
            super(name, backlog, ownThread);
        }

        @Override
        public UUID classId() {
            return UUID.randomUUID();
        }

        @Override
        public UUID instanceId() {
            return UUID.randomUUID();
        }
    }

    static final class Echo extends TestDevice {
        final List<String> events = new ArrayList<>();

        Echo(int backlog) {
            super("echo-test", backlog, false);
        }

        @Override
        protected void onPacket(Packet p) {
            send(Packet.DATA_INBAND, 0, p.transactionId(), p.data());
        }

        @Override
        protected void onOpen() {
            events.add("open");
        }

        @Override
        protected void onRestore(byte[] state) {
            events.add("restore " + state.length);
        }

        @Override
        protected void onClosed() {
            events.add("closed");
        }

        @Override
        protected byte[] saveState() {
            return new byte[] {1, 2};
        }
    }

    @Test
    void packetsAreAnsweredAndTheGuestSignalledOncePerPump() {
        Echo d = new Echo(1);
        d.opened(channel);
        for (int i = 0; i < 3; i++) guestOut.write(Packet.DATA_INBAND, 0, i, new byte[0], new byte[] {(byte) i});
        d.guestSignalled();
        for (int i = 0; i < 3; i++)
            assertThat(guestIn.read().orElseThrow().transactionId()).isEqualTo(i);
        assertThat(interrupts).hasValue(1);
    }

    @Test
    void aFullGuestRingStopsReadingUntilTheGuestMakesRoom() {
        Echo d = new Echo(1);
        d.opened(channel);
        for (int i = 0; i < 3; i++) guestOut.write(Packet.DATA_INBAND, 0, i, new byte[0], new byte[1500]);
        d.guestSignalled();
        assertThat(guestIn.read()).isPresent();
        assertThat(guestIn.read()).isPresent();
        assertThat(guestIn.read()).as("the third waits in the backlog").isEmpty();
        d.guestSignalled();
        assertThat(guestIn.read()).isPresent();
        assertThat(failures).isEmpty();
    }

    @Test
    void ringDamageFailsTheChannelOnce() {
        Echo d = new Echo(1);
        d.opened(channel);
        memory.writeInt(fromGuestPfns[0] << 12, 3); // a write index no ring has
        d.guestSignalled();
        d.guestSignalled();
        assertThat(failures).hasSize(1).first().asString().startsWith("echo-test: ");
        assertThat(d.events).containsExactly("open", "closed");
        assertThat(d.isOpen()).isFalse();
    }

    @Test
    void saveAndRestoreGoThroughTheHooks() {
        Echo d = new Echo(1);
        d.restore(channel, d.save());
        d.closed();
        assertThat(d.events).containsExactly("restore 2", "closed");
    }

    /** Counts the guest's packets on its own pump thread; the first one waits for {@link #release}. */
    static final class Counter extends TestDevice {
        final AtomicInteger packets = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        volatile Thread pumpedOn;

        Counter() {
            super("counter-test", 1, true);
        }

        @Override
        protected void onPacket(Packet p) {
            pumpedOn = Thread.currentThread();
            try {
                // Bounded, so a device that pumps on the signalling thread fails the test instead of hanging it.
                release.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            packets.incrementAndGet();
        }
    }

    @Test
    void onItsOwnThreadTheDeviceDoesNotHoldUpTheSignallingVp() throws Exception {
        Counter d = new Counter();
        d.opened(channel);
        guestOut.write(Packet.DATA_INBAND, 0, 1, new byte[0], new byte[8]);
        d.guestSignalled(); // returns although the device is still busy with the packet
        assertThat(d.packets).hasValue(0);
        d.release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (d.packets.get() < 1 && System.nanoTime() < deadline) Thread.sleep(1);
        assertThat(d.packets).hasValue(1);
        assertThat(d.pumpedOn).isNotSameAs(Thread.currentThread());
        d.closed();
    }

    @Test
    void aGuestThatSignalsOnlyAnEmptyRingLosesNoWakeUpToThePumpThread() throws Exception {
        Counter d = new Counter();
        d.release.countDown();
        d.opened(channel);
        int n = 200_000;
        // The guest's rule (Linux hv_signal_on_write): signal only when the host had read everything before this
        // write. Each signal that the pump thread misses would leave packets in the ring for good.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
            RingBuffer.WriteResult w;
            while ((w = guestOut.write(Packet.DATA_INBAND, 0, i, new byte[0], new byte[8]))
                            == RingBuffer.WriteResult.FULL
                    && System.nanoTime() < deadline) Thread.onSpinWait();
            if (w == RingBuffer.WriteResult.WRITTEN_SIGNAL) d.guestSignalled();
        }
        while (d.packets.get() < n && System.nanoTime() < deadline) Thread.sleep(1);
        assertThat(d.packets).hasValue(n);
        d.closed();
    }

    @Test
    void whileThePumpDrainsTheGuestsWritesAreNotSignalledAndNoneIsLost() throws Exception {
        Counter d = new Counter();
        d.opened(channel);
        assertThat(guestOut.write(Packet.DATA_INBAND, 0, 0, new byte[0], new byte[8]))
                .isEqualTo(RingBuffer.WriteResult.WRITTEN_SIGNAL);
        d.guestSignalled();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (d.pumpedOn == null && System.nanoTime() < deadline) Thread.sleep(1);
        // The pump holds the first packet: the guest's next writes find the mask up (Linux's rule: no signal).
        for (int i = 1; i <= 5; i++)
            assertThat(guestOut.write(Packet.DATA_INBAND, 0, i, new byte[0], new byte[8]))
                    .isEqualTo(RingBuffer.WriteResult.WRITTEN);
        d.release.countDown();
        while (d.packets.get() < 6 && System.nanoTime() < deadline) Thread.sleep(1);
        assertThat(d.packets).hasValue(6);
        // Drained and idle: the mask is down, so the next write to the empty ring signals again.
        Thread.sleep(50);
        assertThat(guestOut.write(Packet.DATA_INBAND, 0, 7, new byte[0], new byte[8]))
                .isEqualTo(RingBuffer.WriteResult.WRITTEN_SIGNAL);
        d.closed();
    }
}
