package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.vmbus.ring.Packet;

/** vRSS as hv_netvsc sets it up (rndis_filter_device_add, rndis_set_subchannel), through the player. */
class NetVspSubChannelTest {
    private final CapturePort port = new CapturePort(true);
    private NetvscPlayer guest;

    @AfterEach
    void tearDown() {
        if (guest != null) guest.close();
    }

    /** RSS capabilities, the sub-channel request, the offers opened; returns the sub-channel completion's count. */
    private int negotiate(NetvscPlayer g, int ask) {
        ByteBuffer cap =
                ByteBuffer.wrap(g.query(0x00010203, new byte[0]).info()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(cap.get(0) & 0xFF).as("NDIS_OBJECT_TYPE_RSS_CAPABILITIES").isEqualTo(0x88);
        assertThat(cap.getInt(12)).as("num_recv_que").isEqualTo(4);
        assertThat(Short.toUnsignedInt(cap.getShort(16)))
                .as("num_indirect_tabent")
                .isEqualTo(128);
        ByteBuffer c = g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, ask));
        assertThat(c.getInt(0)).isEqualTo(133);
        assertThat(c.getInt(4)).as("status").isEqualTo(1);
        return c.getInt(8);
    }

    @Test
    void theGuestGetsItsSubChannelsASendTableAndFramesSpreadByItsIndirectionTable() {
        NetvscPlayer g = guest = new NetvscPlayer(port, 256, 1500, 4);
        g.up(1500);
        int count = negotiate(g, 3);
        assertThat(count).isEqualTo(3);
        // NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE: 16 entries at the offset Linux reads, spread over the 4 channels.
        Packet table = g.awaitPacket(p -> p.type() == Packet.DATA_INBAND);
        ByteBuffer t = ByteBuffer.wrap(table.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(t.getInt(0)).isEqualTo(134);
        assertThat(t.getInt(4)).as("VRSS_SEND_TAB_SIZE").isEqualTo(16);
        for (int i = 0; i < 16; i++) assertThat(t.getInt(t.getInt(8) + 4 * i)).isEqualTo(i % 4);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (g.offered.size() < 3 && System.nanoTime() < deadline) Thread.onSpinWait();
        assertThat(g.offered).hasSize(3);
        // Opened in an order other than offered; relids say which is which.
        NetvscPlayer.Sub s3 = g.openSubChannel(3, 23), s1 = g.openSubChannel(1, 21), s2 = g.openSubChannel(2, 22);
        assertThat(g.vsp.queuesInUse()).isEqualTo(4);

        // rndis_filter_set_rss_param: disabled first, then the table (entry i: queue i % 4) and the key.
        int[] table4 = ReceiveScalingTest.table(128, 4);
        assertThat(g.set(0x00010204, ReceiveScalingTest.parameters(0x10, 0, table4, ToeplitzTest.KEY)))
                .isZero();
        assertThat(g.set(
                        0x00010204,
                        ReceiveScalingTest.parameters(0, ReceiveScalingTest.LINUX_HASH_INFO, table4, ToeplitzTest.KEY)))
                .isZero();
        assertThat(g.set(0x00010204, new byte[12])).as("too short").isEqualTo(0xC0010014);

        // Microsoft's vector 5 hashes (TCP) to entry 34: queue 2. Vector 2 (0xc626b0ea) to entry 106: queue 2 also;
        // vector 1 (0x51ccc178) to entry 120: queue 0; IPv6 vector 1 (0x40207d3d) to 61: queue 1.
        byte[] toQueue2 = TestFrames.frame("153.39.163.191", 44251, "202.188.127.2", 1303, 6, 200);
        byte[] toQueue0 = TestFrames.frame("66.9.149.187", 2794, "161.142.100.80", 1766, 6, 200);
        byte[] toQueue1 = TestFrames.frame("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 6, 200);
        port.inject(toQueue2);
        NetvscPlayer.Received r2 = g.read(s2.await());
        assertThat(NetvscPlayer.frameOf(r2)).isEqualTo(toQueue2);
        port.inject(toQueue1);
        NetvscPlayer.Received r1 = g.read(s1.await());
        assertThat(NetvscPlayer.frameOf(r1)).isEqualTo(toQueue1);
        port.inject(toQueue0);
        NetvscPlayer.Received r0 = g.receive();
        assertThat(NetvscPlayer.frameOf(r0)).isEqualTo(toQueue0);
        assertThat(s3.poll()).as("nothing hashed to queue 3").isEmpty();
        // Completions come back on the channel each frame came on.
        s2.ack(r2);
        s1.ack(r1);
        g.ack(r0);

        // Transmit works on any channel, from the one send buffer.
        byte[] out = NetVspTest.frame(new byte[] {-1, -1, -1, -1, -1, -1}, 300, 7);
        assertThat(s3.sendInSection(2, NetvscPlayer.packetMessage(out))).isEqualTo(1);
        assertThat(port.transmitted).containsExactly(out);
        // Control belongs to the primary: an NVSP control message on a sub-channel is refused and counted.
        long id = s1.write(
                Packet.DATA_INBAND,
                Packet.FLAG_COMPLETION_REQUESTED,
                new byte[0],
                NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 1).array());
        Packet refused = s1.await();
        assertThat(refused.transactionId()).isEqualTo(id);
        assertThat(ByteBuffer.wrap(refused.data())
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt(4))
                .isEqualTo(2);
        NetVspCounters n = g.vsp.counters();
        assertThat(n.drops(Drop.UNEXPECTED_NVSP)).isEqualTo(1);
        assertThat(n.totalDrops()).isEqualTo(1);
        assertThat(n.rxFrames()).isEqualTo(3);
        assertThat(g.failures).isEmpty();

        // A closed sub-channel leaves the receive queues.
        s2.device.closed();
        assertThat(g.vsp.queuesInUse()).isEqualTo(3);
        port.inject(toQueue0);
        g.ack(g.receive());
    }

    @Test
    void moreSubChannelsThanQueuesGetsFewerAndAnOlderProtocolNone() {
        NetvscPlayer g = guest = new NetvscPlayer(port, 64, 1500, 4);
        g.up(1500);
        assertThat(negotiate(g, 15))
                .as("Linux asks for up to 15; it gets what there is")
                .isEqualTo(3);
        ByteBuffer again = g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 1));
        assertThat(again.getInt(4)).as("none left").isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.UNEXPECTED_NVSP)).isEqualTo(1);

        g.connect(1500, 0x40000);
        ByteBuffer v4 = g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 1));
        assertThat(v4.getInt(4)).as("sub-channels need NVSP 5").isEqualTo(2);
    }

    @Test
    void oneQueueOffersNoScaling() {
        NetvscPlayer g = guest = new NetvscPlayer(port, 64, 1500, 1);
        g.up(1500);
        ByteBuffer cap =
                ByteBuffer.wrap(g.query(0x00010203, new byte[0]).info()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(cap.getInt(12)).isEqualTo(1);
        assertThat(g.set(0x00010204, ReceiveScalingTest.parameters(0, 0x1, new int[] {0}, ToeplitzTest.KEY)))
                .isEqualTo(0xC00000BB);
        assertThat(g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 1)).getInt(4))
                .isEqualTo(2);
    }
}
