package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.vmbus.ring.Packet;

/**
 * Two queues under load from three sides at once, as a two-VP guest and the TAP's reader make it: the port's thread
 * delivering frames to both channels, one guest VP completing and transmitting on the sub-channel, another on the
 * primary completing frames and sending control requests. Nothing may deadlock and nothing may be lost uncounted.
 */
class NetVspConcurrencyTest {
    private final CapturePort port = new CapturePort(true);
    private NetvscPlayer guest;

    @AfterEach
    void tearDown() {
        if (guest != null) guest.close();
    }

    @Test
    void theChannelsAndThePortRunConcurrentlyWithoutDeadlock() throws Exception {
        NetvscPlayer g = guest = new NetvscPlayer(port, 256, 1500, 2);
        g.up(1500);
        assertThat(g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 1)).getInt(4))
                .isEqualTo(1);
        g.awaitPacket(p -> p.type() == Packet.DATA_INBAND); // the send table
        NetvscPlayer.Sub sub = g.openSubChannel(1, 21);
        int[] table = ReceiveScalingTest.table(128, 2);
        assertThat(g.set(
                        0x00010204,
                        ReceiveScalingTest.parameters(0, ReceiveScalingTest.LINUX_HASH_INFO, table, ToeplitzTest.KEY)))
                .isZero();
        // Microsoft's vectors 1 (entry 120: queue 0) and IPv6 1 (entry 61: queue 1).
        byte[] toPrimary = TestFrames.frame("66.9.149.187", 2794, "161.142.100.80", 1766, 6, 1000);
        byte[] toSub = TestFrames.frame("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 6, 1000);
        byte[] out = NetvscPlayer.packetMessage(
                TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 6, 1200), 0, 1 | 4 | 34 << 16);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong primaryFrames = new AtomicLong(), subFrames = new AtomicLong(), sent = new AtomicLong();
        Thread portThread = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                port.inject(toPrimary);
                port.inject(toSub);
            }
        });
        Thread subVp = Thread.ofPlatform().start(() -> {
            int section = 3;
            while (!stop.get()) {
                Optional<Packet> p = sub.poll();
                if (p.isPresent() && p.get().type() == Packet.DATA_USING_XFER_PAGES) {
                    sub.ack(g.read(p.get()));
                    subFrames.incrementAndGet();
                }
                // Transmit on the sub-channel from a section of its own (the primary's VP uses others).
                g.sendBuffer.write((long) section * g.sendSectionSize, out, 0, out.length);
                sub.write(
                        Packet.DATA_INBAND,
                        0,
                        new byte[0],
                        NetvscPlayer.nvsp(107)
                                .putInt(4, 0)
                                .putInt(8, section)
                                .putInt(12, out.length)
                                .array());
                sent.incrementAndGet();
            }
        });
        long deadline = System.nanoTime() + 3_000_000_000L;
        int queries = 0;
        while (System.nanoTime() < deadline) {
            Optional<Packet> p = g.poll();
            if (p.isPresent() && p.get().type() == Packet.DATA_USING_XFER_PAGES) {
                NetvscPlayer.Received r = g.read(p.get());
                g.ack(r);
                if (r.type() == 1) primaryFrames.incrementAndGet();
            }
            if (++queries % 200 == 0) {
                // A control request now and then (the answer comes in a section like the frames).
                g.post(NetvscPlayer.nvsp(100).putInt(4, 6).putInt(8, 30));
            }
        }
        stop.set(true);
        portThread.join(5000);
        subVp.join(5000);
        assertThat(portThread.isAlive())
                .as("the port's thread finished (no deadlock)")
                .isFalse();
        assertThat(subVp.isAlive())
                .as("the sub-channel's VP finished (no deadlock)")
                .isFalse();
        assertThat(primaryFrames.get()).isPositive();
        assertThat(subFrames.get()).isPositive();
        assertThat(port.transmitted.size()).isPositive();
        assertThat(g.failures).isEmpty();
        NetVspCounters c = g.vsp.counters();
        assertThat(c.drops().keySet())
                .as("only drops for want of room")
                .isSubsetOf(NetVspCounters.Drop.RX_NO_SECTION, NetVspCounters.Drop.RX_RING_FULL);
    }
}
