package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.netvsp.NetVspCounters.Drop;
import org.viridian.vmbus.ring.Packet;

/** NetVSP driven the way hv_netvsc drives it, over real rings and real guest memory. */
class NetVspTest {
    private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    private final CapturePort port = new CapturePort();
    private NetvscPlayer guest;

    private NetvscPlayer guest(int recvPages, int mtu) {
        guest = new NetvscPlayer(port, recvPages, mtu);
        return guest;
    }

    @AfterEach
    void tearDown() {
        if (guest != null) guest.close();
    }

    /** An Ethernet frame to {@code dst} of {@code length} bytes with a recognisable pattern. */
    static byte[] frame(byte[] dst, int length, int seed) {
        byte[] f = new byte[length];
        new Random(seed).nextBytes(f);
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(new byte[] {0x02, 0, 0, 0, 0, 9}, 0, f, 6, 6);
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xB5; // local experimental ethertype
        return f;
    }

    @Test
    void theHandshakeAgreesOnTheNewestVersionAndAnswersWhatLinuxQueries() {
        NetvscPlayer g = guest(64, 1500);
        ByteBuffer tooNew = g.call(NetvscPlayer.nvsp(1).putInt(4, 0x70000).putInt(8, 0x70000));
        assertThat(tooNew.getInt(12)).as("an unknown version is refused").isNotEqualTo(1);
        g.connect(1500, NetvscPlayer.VERSIONS);
        assertThat(g.version).isEqualTo(0x60001);
        assertThat(g.recvSectionSize).isGreaterThanOrEqualTo(44 + 1518);
        assertThat(g.recvSectionCount).isEqualTo((int) (g.recvBuffer.size() / g.recvSectionSize));
        assertThat(g.sendSectionSize).isEqualTo(6144);

        ByteBuffer init = g.rndisInit();
        assertThat(init.getInt(12)).as("status").isZero();
        assertThat(init.getInt(16)).as("major").isEqualTo(1);
        assertThat(init.getInt(32)).as("max packets per message").isEqualTo(8);
        assertThat(init.getInt(40)).as("alignment factor").isEqualTo(3);

        assertThat(g.query(0x00010106, new byte[0]).u32())
                .as("maximum frame size")
                .isEqualTo(1500);
        assertThat(g.query(0x01010101, new byte[0]).info())
                .as("permanent address")
                .isEqualTo(NetvscPlayer.MAC);
        assertThat(g.query(0x01010102, new byte[0]).info())
                .as("current address")
                .isEqualTo(NetvscPlayer.MAC);
        assertThat(g.query(0x00010107, new byte[0]).u32() / 10000)
                .as("link speed, Mbit/s")
                .isEqualTo(10000);
        assertThat(g.query(0x00010114, new byte[0]).u32()).as("media connected").isZero();
        NetvscPlayer.Query hw = g.query(0xFC01020D, new byte[0]);
        assertThat(hw.status()).isZero();
        assertThat(hw.info()).hasSize(156);
        assertThat(hw.info()[0] & 0xFF).as("NDIS_OBJECT_TYPE_OFFLOAD").isEqualTo(0xA7);
        assertThat(hw.info()[1]).as("revision 3 from NVSP 5").isEqualTo((byte) 3);
        assertThat(ByteBuffer.wrap(hw.info()).order(ByteOrder.LITTLE_ENDIAN).getShort(2))
                .isEqualTo((short) 156);
        NetvscPlayer.Query rss = g.query(0x00010203, new byte[0]);
        assertThat(rss.info()).hasSize(18);
        assertThat(ByteBuffer.wrap(rss.info()).order(ByteOrder.LITTLE_ENDIAN).getInt(12))
                .as("receive queues")
                .isEqualTo(1);
        assertThat(g.query(0x00020216, new byte[0]).status())
                .as("friendly name")
                .isEqualTo(0xC00000BB);
        assertThat(g.query(0x12345678, new byte[0]).status())
                .as("an unknown OID")
                .isEqualTo(0xC00000BB);
        assertThat(g.set(0xFC01020C, new byte[28])).as("offload parameters").isZero();
        assertThat(g.set(0x01010103, new byte[12]))
                .as("two multicast addresses")
                .isZero();
        assertThat(g.set(0x01010103, new byte[7]))
                .as("a multicast list of 7 bytes")
                .isEqualTo(0xC0010014);
        assertThat(g.set(0x0001010E, NetvscPlayer.u32(0xD))).as("packet filter").isZero();
        assertThat(g.set(0x0001021B, new byte[40])).as("config parameter").isEqualTo(0xC00000BB);
        assertThat(g.failures).isEmpty();
        assertThat(g.vsp.counters().totalDrops())
                .as("the unknown version is the only thing refused")
                .isZero();
    }

    @Test
    void anOlderGuestGetsItsVersion() {
        NetvscPlayer g = guest(64, 1500);
        g.connect(1500, 0x40000);
        assertThat(g.version).isEqualTo(0x40000);
        g.rndisUp();
        NetvscPlayer.Query hw = g.query(0xFC01020D, new byte[0]);
        assertThat(hw.info()).as("NDIS 6.1 offload object for NVSP 4").hasSize(144);
        g.connect(1500, 0x2);
        assertThat(g.version).isEqualTo(0x2);
    }

    @Test
    void guestFramesReachThePortByteExactFromSectionsBatchesAndPages() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] a = frame(BROADCAST, 60, 1), b = frame(BROADCAST, 1514, 2), c = frame(BROADCAST, 333, 3);
        assertThat(g.sendInSection(0, a)).isEqualTo(1);
        assertThat(g.sendInSection(5, b, c))
                .as("two packets batched in one section")
                .isEqualTo(1);
        byte[] d = frame(BROADCAST, 1514, 4);
        assertThat(g.sendAsPages(d)).as("page ranges across a page boundary").isEqualTo(1);
        assertThat(port.transmitted).containsExactly(a, b, c, d);
        NetVspCounters n = g.vsp.counters();
        assertThat(n.txFrames()).isEqualTo(4);
        assertThat(n.txBytes()).isEqualTo(60 + 1514 + 333 + 1514);
        assertThat(n.totalDrops()).isZero();
    }

    @Test
    void aVlanTagGivenAsPerPacketInformationIsPutInTheFrame() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] untagged = frame(BROADCAST, 200, 20);
        byte[] msg = NetvscPlayer.taggedPacketMessage(untagged, 42, 5);
        g.sendBuffer.write(0, msg, 0, msg.length);
        assertThat(g.sendSection(0, msg.length)).isEqualTo(1);
        byte[] tagged = new byte[204];
        System.arraycopy(untagged, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[13] = 0;
        tagged[14] = (byte) (5 << 5); // priority 5, CFI 0, VLAN 42
        tagged[15] = 42;
        System.arraycopy(untagged, 12, tagged, 16, 188);
        assertThat(port.transmitted).containsExactly(tagged);
    }

    @Test
    void portFramesReachTheGuestByteExactWithTheirRndisHeader() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] mine = frame(NetvscPlayer.MAC, 1514, 5), broadcast = frame(BROADCAST, 64, 6);
        port.inject(mine);
        // A frame in the middle of a larger buffer: only position..limit is the frame.
        ByteBuffer wrapped = ByteBuffer.allocate(200);
        wrapped.position(50).put(broadcast).flip().position(50);
        port.inject(wrapped);
        port.inject(ByteBuffer.allocateDirect(64).put(broadcast).flip());
        for (byte[] expected : List.of(mine, broadcast, broadcast)) {
            NetvscPlayer.Received r = g.receive();
            assertThat(r.message().capacity()).isEqualTo(44 + expected.length);
            assertThat(NetvscPlayer.frameOf(r)).isEqualTo(expected);
            assertThat(r.offset() % g.recvSectionSize)
                    .as("at a section's start")
                    .isZero();
            g.ack(r);
        }
        NetVspCounters n = g.vsp.counters();
        assertThat(n.rxFrames()).isEqualTo(3);
        assertThat(n.rxBytes()).isEqualTo(1514 + 64 + 64);
    }

    @Test
    void theGuestChangesItsMacAddressAsLinuxDoesAndFramesToTheNewOneReachIt() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] next = {0x00, 0x15, 0x5d, 0x77, 0x66, 0x55};
        // rndis_filter_set_device_mac: struct rndis_config_parameter_info, then "NetworkAddress" and the hex digits.
        byte[] name = "NetworkAddress".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        byte[] value = "00155d776655".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        ByteBuffer cpi = ByteBuffer.allocate(20 + name.length + value.length).order(ByteOrder.LITTLE_ENDIAN);
        cpi.putInt(20).putInt(name.length).putInt(2).putInt(20 + name.length).putInt(value.length);
        cpi.put(name).put(value);
        assertThat(g.set(0x0001021B, cpi.array())).isZero();
        assertThat(g.query(0x01010102, new byte[0]).info())
                .as("current address")
                .isEqualTo(next);
        assertThat(g.query(0x01010101, new byte[0]).info())
                .as("permanent address")
                .isEqualTo(NetvscPlayer.MAC);
        port.inject(frame(next, 100, 7));
        assertThat(NetvscPlayer.frameOf(g.receive())).isEqualTo(frame(next, 100, 7));
        // Another parameter, or a value that is not a unicast address, is refused and changes nothing.
        cpi.putInt(16, 8);
        assertThat(g.set(0x0001021B, cpi.array())).isNotZero();
        assertThat(g.query(0x01010102, new byte[0]).info()).isEqualTo(next);
    }

    @Test
    void sectionsAreReclaimedSoMoreFramesThanSectionsFlow() {
        NetvscPlayer g = guest(2, 1500); // 8 KiB: 5 sections of 1600 bytes
        g.up(1500);
        int sections = g.recvSectionCount;
        assertThat(sections).isBetween(2, 8);
        // Without completions the guest runs out of sections; the rest is dropped and counted.
        for (int i = 0; i < sections + 3; i++) port.inject(frame(BROADCAST, 1000, 100 + i));
        List<NetvscPlayer.Received> held = new ArrayList<>();
        for (int i = 0; i < sections; i++) held.add(g.receive());
        assertThat(g.vsp.counters().drops(Drop.RX_NO_SECTION)).isEqualTo(3);
        assertThat(g.poll()).isEmpty();
        held.forEach(g::ack);
        // With completions, many more frames than sections flow, each byte-exact.
        for (int i = 0; i < 10 * sections; i++) {
            byte[] f = frame(BROADCAST, 60 + i, 200 + i);
            port.inject(f);
            NetvscPlayer.Received r = g.receive();
            assertThat(NetvscPlayer.frameOf(r)).isEqualTo(f);
            g.ack(r);
        }
        assertThat(g.vsp.counters().rxFrames()).isEqualTo(11L * sections);
        assertThat(g.vsp.counters().drops(Drop.RX_NO_SECTION)).isEqualTo(3);
    }

    @Test
    void malformedMessagesAreCountedAndTheAdapterKeepsWorking() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] ok = frame(BROADCAST, 100, 7);

        assertThat(g.sendSection(99, 200)).as("a section past the send buffer").isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.BAD_SEND_SECTION)).isEqualTo(1);
        assertThat(g.sendSection(1, 7000)).as("a length past the section").isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.BAD_SEND_SECTION)).isEqualTo(2);

        // An RNDIS length past what the section holds.
        byte[] msg = NetvscPlayer.packetMessage(ok);
        ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).putInt(4, msg.length + 64);
        g.sendBuffer.write(2L * g.sendSectionSize, msg, 0, msg.length);
        assertThat(g.sendSection(2, msg.length)).isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.MALFORMED_RNDIS)).isEqualTo(1);
        // A data offset past the message.
        msg = NetvscPlayer.packetMessage(ok);
        ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 5000);
        g.sendBuffer.write(2L * g.sendSectionSize, msg, 0, msg.length);
        assertThat(g.sendSection(2, msg.length)).isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.MALFORMED_RNDIS)).isEqualTo(2);

        // A frame larger than the MTU allows (as page ranges: it does not fit a section).
        assertThat(g.sendAsPages(frame(BROADCAST, 9000, 8))).isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.TX_BAD_SIZE)).isEqualTo(1);

        // An unknown NVSP type, and one too short for its struct: dropped, answered FAIL as the guest waits.
        ByteBuffer unknown = g.call(NetvscPlayer.nvsp(999));
        assertThat(unknown.getInt(4)).isEqualTo(2);
        g.write(Packet.DATA_INBAND, 0, new byte[0], new byte[] {1, 0, 0, 0, 2, 0});
        assertThat(g.vsp.counters().drops(Drop.MALFORMED_NVSP)).isEqualTo(2);

        // A second receive buffer, and a completion of a section the guest does not hold.
        ByteBuffer again =
                g.call(NetvscPlayer.nvsp(101).putInt(4, NetvscPlayer.RECV_GPADL).putShort(8, (short) 1));
        assertThat(again.getInt(4)).isEqualTo(2);
        assertThat(g.vsp.counters().drops(Drop.UNEXPECTED_NVSP)).isEqualTo(1);
        ByteBuffer c = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, 108)
                .putInt(4, 1);
        g.write(Packet.COMPLETION, 0, new byte[0], c.array());
        assertThat(g.vsp.counters().drops(Drop.BAD_COMPLETION)).isEqualTo(1);
        g.write(5, 0, new byte[0], new byte[8]);
        assertThat(g.vsp.counters().drops(Drop.UNEXPECTED_PACKET_TYPE)).isEqualTo(1);

        // Still working both ways, and the channel was never failed.
        assertThat(g.sendInSection(3, ok)).isEqualTo(1);
        assertThat(port.transmitted).containsExactly(ok);
        port.inject(ok);
        assertThat(NetvscPlayer.frameOf(g.receive())).isEqualTo(ok);
        assertThat(g.failures).isEmpty();
    }

    @Test
    void aDamagedRangeListFailsTheChannel() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        byte[] headers = new byte[16];
        ByteBuffer.wrap(headers)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(4, 1)
                .putInt(8, 100_000)
                .putInt(12, 0);
        g.write(
                Packet.DATA_USING_GPA_DIRECT,
                1,
                headers,
                NetvscPlayer.nvsp(107).putInt(8, -1).array());
        assertThat(g.failures).hasSize(1);
        assertThat(g.failures.getFirst()).startsWith("netvsp:");
    }

    @Test
    void framesBeforeTheGuestIsReadyAndOutsideItsFilterAreDropped() {
        NetvscPlayer g = guest(64, 1500);
        port.inject(frame(BROADCAST, 100, 9));
        assertThat(g.vsp.counters().drops(Drop.RX_NOT_READY)).isEqualTo(1);
        g.connect(1500, NetvscPlayer.VERSIONS);
        g.rndisInit();
        assertThat(g.set(0x0001010E, NetvscPlayer.u32(0x1))).isZero(); // directed only
        port.inject(frame(BROADCAST, 100, 10));
        port.inject(frame(new byte[] {0x02, 1, 2, 3, 4, 5}, 100, 11));
        assertThat(g.vsp.counters().drops(Drop.RX_FILTERED)).isEqualTo(2);
        byte[] mine = frame(NetvscPlayer.MAC, 100, 12);
        port.inject(mine);
        assertThat(NetvscPlayer.frameOf(g.receive())).isEqualTo(mine);
        assertThat(g.set(0x0001010E, NetvscPlayer.u32(0x20))).isZero(); // promiscuous
        port.inject(frame(new byte[] {0x02, 1, 2, 3, 4, 5}, 100, 13));
        assertThat(g.receive().type()).isEqualTo(1);
    }

    @Test
    void linkChangesAreIndicatedAndStopFramesWhileDown() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        port.link(false);
        NetvscPlayer.Received down = g.receive();
        assertThat(down.type()).isEqualTo(7);
        assertThat(down.message().getInt(8)).as("RNDIS_STATUS_MEDIA_DISCONNECT").isEqualTo(0x4001000C);
        g.ack(down);
        assertThat(g.query(0x00010114, new byte[0]).u32()).as("disconnected").isEqualTo(1);
        port.inject(frame(BROADCAST, 100, 14));
        assertThat(g.sendInSection(0, frame(BROADCAST, 100, 15))).isEqualTo(1);
        assertThat(g.vsp.counters().drops(Drop.LINK_DOWN)).isEqualTo(2);
        assertThat(port.transmitted).isEmpty();
        g.vsp.setLink(true);
        NetvscPlayer.Received up = g.receive();
        assertThat(up.message().getInt(8)).as("RNDIS_STATUS_MEDIA_CONNECT").isEqualTo(0x4001000B);
        g.ack(up);
        assertThat(g.vsp.linkUp()).isTrue();
    }

    @Test
    void keepAliveIsAnsweredAndHaltStopsTheData() {
        NetvscPlayer g = guest(64, 1500);
        g.up(1500);
        ByteBuffer k = g.request(NetvscPlayer.rndis(8, 12).putInt(8, 77));
        assertThat(k.getInt(0)).isEqualTo(0x80000008);
        assertThat(k.getInt(8)).isEqualTo(77);
        assertThat(k.getInt(12)).isZero();
        // RNDIS_MSG_HALT gets no answer, only the NVSP completion; after it, frames for the guest are dropped.
        g.memory.write(
                NetvscPlayer.CONTROL_PFN << 12,
                NetvscPlayer.rndis(3, 12).putInt(8, 78).array());
        long id = g.sendPages(1, NetvscPlayer.CONTROL_PFN << 12, 12);
        assertThat(g.completion(id).getInt(4)).isEqualTo(1);
        port.inject(frame(BROADCAST, 100, 16));
        assertThat(g.vsp.counters().drops(Drop.RX_NOT_READY)).isEqualTo(1);
    }

    @Test
    void theReceiveSlotsFollowTheMtuAfterTheGuestReconnects() {
        NetvscPlayer g = guest(64, 9000);
        g.up(1500);
        assertThat(g.query(0x00010106, new byte[0]).u32()).isEqualTo(9000);
        byte[] jumbo = frame(BROADCAST, 9014, 17);
        // Linux changes its MTU by tearing the device down and connecting again with the new NDIS configuration.
        g.closeChannel();
        g.open();
        g.up(9000);
        assertThat(g.recvSectionSize).isGreaterThanOrEqualTo(44 + 9018);
        port.inject(jumbo);
        assertThat(NetvscPlayer.frameOf(g.receive())).isEqualTo(jumbo);
        assertThat(g.sendAsPages(jumbo)).isEqualTo(1);
        assertThat(port.transmitted).containsExactly(jumbo);
        port.inject(frame(BROADCAST, 9100, 18));
        assertThat(g.vsp.counters().drops(Drop.RX_TOO_LONG)).isEqualTo(1);
    }

    @Test
    void framesToTheGuestAllocateNothingPerFrame() {
        NetvscPlayer g = guest(512, 1500); // 2 MiB: over a thousand sections
        g.up(1500);
        byte[] f = frame(BROADCAST, 1400, 19);
        ByteBuffer view = ByteBuffer.wrap(f);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (int round = 0; round < 3; round++) {
            // Warm up, then measure frames into free sections; the guest acks after each round.
            for (int i = 0; i < 100; i++) port.inject(view.clear());
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 500; i++) port.inject(view.clear());
            long allocated = threads.getThreadAllocatedBytes(tid) - before;
            if (round == 2)
                assertThat(allocated / 500).as("bytes allocated per frame").isLessThan(64);
            for (int i = 0; i < 600; i++) g.ack(g.receive());
        }
        assertThat(g.vsp.counters().totalDrops()).isZero();
    }
}
