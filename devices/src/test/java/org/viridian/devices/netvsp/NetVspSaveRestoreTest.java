package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;

/**
 * An open adapter saved after the guest brought it up (NVSP, NDIS, both buffers, RNDIS with its filter, vRSS with
 * sub-channels) and restored into a fresh adapter on another port, as a VM restored from its state file whose recipe
 * attached the adapter to its TAP again: the guest's driver carries on without resetting anything — it completes the
 * receive section it held across the save, frames flow both ways on the new port, its filter and RSS table still hold.
 */
class NetVspSaveRestoreTest {
    private static final byte[] OTHER = {0x02, 1, 2, 3, 4, 5};
    private final CapturePort before = new CapturePort(true), after = new CapturePort(true);
    private NetvscPlayer guest;

    @AfterEach
    void close() {
        if (guest != null) guest.close();
    }

    @Test
    void anAdapterSavedAfterNegotiationCarriesOnInAFreshOneOnItsNewPort() {
        NetvscPlayer g = guest = new NetvscPlayer(before, 64, 1500);
        g.up(1500);
        byte[] first = NetVspTest.frame(NetvscPlayer.MAC, 100, 1);
        before.inject(first);
        NetvscPlayer.Received held = g.receive(); // not completed: the guest holds this section across the save

        byte[] saved = g.vsp.save();
        before.inject(NetVspTest.frame(NetvscPlayer.MAC, 100, 2));
        assertThat(g.vsp.counters().drops(Drop.RX_NOT_READY))
                .as("a saved adapter holds still: the frame is dropped, as a paused NIC's")
                .isEqualTo(1);
        assertThat(g.poll()).isEmpty();

        g.restoreOnto(after, saved);
        assertThat(g.vsp.version()).isNotNull();
        byte[] next = NetVspTest.frame(NetvscPlayer.MAC, 200, 3);
        after.inject(next);
        NetvscPlayer.Received r = g.receive();
        assertThat(NetvscPlayer.frameOf(r)).isEqualTo(next);
        assertThat(r.transactionId())
                .as("the section the guest holds is not handed out again before its completion")
                .isNotEqualTo(held.transactionId());
        assertThat(NetvscPlayer.frameOf(held)).isEqualTo(first);
        g.ack(held);
        g.ack(r);
        after.inject(NetVspTest.frame(OTHER, 100, 4));
        assertThat(g.vsp.counters().drops(Drop.RX_FILTERED))
                .as("the guest's packet filter")
                .isEqualTo(1);
        assertThat(g.vsp.counters().drops(Drop.BAD_COMPLETION))
                .as("the completion of the section held across the save")
                .isZero();

        byte[] out = NetVspTest.frame(OTHER, 300, 5);
        assertThat(g.sendInSection(3, out)).isEqualTo(1);
        assertThat(after.transmitted).containsExactly(out);
        assertThat(before.transmitted).isEmpty();
        // RNDIS is still initialized: the media state query is answered (connected).
        NetvscPlayer.Query media = g.query(0x00010114, new byte[0]);
        assertThat(media.status()).isZero();
        assertThat(ByteBuffer.wrap(media.info()).order(ByteOrder.LITTLE_ENDIAN).getInt(0))
                .isZero();
        assertThat(g.failures).isEmpty();
    }

    @Test
    void aSaveTheVmRunsOnFromLetsFramesFlowAgainAndARestoredAdapterReportsItsLink() {
        NetvscPlayer g = guest = new NetvscPlayer(before, 64, 1500);
        g.up(1500);
        byte[] saved = g.vsp.save();
        g.vsp.resumed();
        byte[] frame = NetVspTest.frame(NetvscPlayer.MAC, 100, 6);
        before.inject(frame);
        NetvscPlayer.Received r = g.receive();
        assertThat(NetvscPlayer.frameOf(r)).isEqualTo(frame);
        g.ack(r);

        // Restored (RNDIS initialized as saved), a link change on the new port reaches the guest.
        g.restoreOnto(after, saved);
        after.link(false);
        NetvscPlayer.Received indication = g.receive();
        assertThat(indication.type()).as("REMOTE_NDIS_INDICATE_STATUS_MSG").isEqualTo(7);
        assertThat(indication.message().getInt(8))
                .as("RNDIS_STATUS_MEDIA_DISCONNECT")
                .isEqualTo(0x4001000C);
        g.ack(indication);
    }

    @Test
    void aStateFromAnotherAdapterOrDamagedIsRefused() {
        NetvscPlayer g = guest = new NetvscPlayer(before, 64, 1500);
        g.up(1500);
        byte[] saved = g.vsp.save();
        NetVsp other = new NetVsp(g.memory, UUID.randomUUID(), OTHER, after);
        OpenChannel c = new OpenChannel(9, ring(g, 0x500), ring(g, 0x520), () -> {}, why -> {}, d -> {}, g.gpadls::get);
        assertThatThrownBy(() -> other.restore(c, saved))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another MAC address");
        NetVsp same = new NetVsp(g.memory, UUID.randomUUID(), NetvscPlayer.MAC, after);
        byte[] cut = java.util.Arrays.copyOf(saved, saved.length - 3);
        assertThatThrownBy(() -> same.restore(c, cut))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed");
    }

    @Test
    void subChannelsAndTheRssTableComeBackSoFramesLandOnTheSameQueues() {
        NetvscPlayer g = guest = new NetvscPlayer(before, 256, 1500, 4);
        g.up(1500);
        ByteBuffer c = g.call(NetvscPlayer.nvsp(133).putInt(4, 1).putInt(8, 3));
        assertThat(c.getInt(8)).isEqualTo(3);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (g.offered.size() < 3 && System.nanoTime() < deadline) Thread.onSpinWait();
        g.openSubChannel(1, 21);
        g.openSubChannel(2, 22);
        g.openSubChannel(3, 23);
        int[] table4 = ReceiveScalingTest.table(128, 4);
        assertThat(g.set(
                        0x00010204,
                        ReceiveScalingTest.parameters(0, ReceiveScalingTest.LINUX_HASH_INFO, table4, ToeplitzTest.KEY)))
                .isZero();

        byte[] saved = g.vsp.save();
        byte[][] subs = new byte[3][];
        for (int i = 0; i < 3; i++) subs[i] = g.offered.get(i).save();
        g.restoreOnto(after, saved);
        NetvscPlayer.Sub s1 = g.restoreSubChannel(1, 21, subs[0]);
        NetvscPlayer.Sub s2 = g.restoreSubChannel(2, 22, subs[1]);
        NetvscPlayer.Sub s3 = g.restoreSubChannel(3, 23, subs[2]);
        assertThat(g.vsp.queuesInUse()).isEqualTo(4);

        // As before the save (NetVspSubChannelTest): this TCP tuple hashes to queue 2, the IPv6 one to queue 1.
        byte[] toQueue2 = TestFrames.frame("153.39.163.191", 44251, "202.188.127.2", 1303, 6, 200);
        byte[] toQueue1 = TestFrames.frame("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 6, 200);
        after.inject(toQueue2);
        NetvscPlayer.Received r2 = g.read(s2.await());
        assertThat(NetvscPlayer.frameOf(r2)).isEqualTo(toQueue2);
        after.inject(toQueue1);
        NetvscPlayer.Received r1 = g.read(s1.await());
        assertThat(NetvscPlayer.frameOf(r1)).isEqualTo(toQueue1);
        s2.ack(r2);
        s1.ack(r1);
        byte[] out = NetVspTest.frame(new byte[] {-1, -1, -1, -1, -1, -1}, 300, 7);
        assertThat(s3.sendInSection(2, NetvscPlayer.packetMessage(out))).isEqualTo(1);
        assertThat(after.transmitted).containsExactly(out);
        assertThat(g.vsp.counters().totalDrops()).isZero();
        assertThat(g.failures).isEmpty();
    }

    private static RingBuffer ring(NetvscPlayer g, long pfn) {
        long[] pfns = new long[32];
        for (int i = 0; i < 32; i++) pfns[i] = pfn + i;
        return new RingBuffer(new GpaPages(g.memory, pfns));
    }
}
