package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.netvsp.NetVspCounters.Drop;

/** Checksum and segmentation offloads as hv_netvsc negotiates and uses them, through the player. */
class NetVspOffloadTest {
    private final CapturePort port = new CapturePort(true);
    private NetvscPlayer guest;

    @AfterEach
    void tearDown() {
        if (guest != null) guest.close();
    }

    private NetvscPlayer up() {
        guest = new NetvscPlayer(port, 64, 1500);
        guest.up(1500);
        return guest;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theCapabilitiesOfferWhatLinuxTurnsOnAndItsParametersAreAccepted() {
        NetvscPlayer g = up();
        ByteBuffer hw = le(g.query(0xFC01020D, new byte[0]).info());
        assertThat(hw.capacity()).isEqualTo(156);
        // rndis_netdev_set_hwcaps: NDIS_TXCSUM_ALL_TCP4 (TCP4 | TCP4OPT), UDP4, encap 802.3 for LSOv2, ALL_TCP6.
        assertThat(hw.getInt(8) & 0x14).as("IPv4 TCP transmit checksum").isEqualTo(0x14);
        assertThat(hw.getInt(8) & 0x40).as("IPv4 UDP transmit checksum").isEqualTo(0x40);
        assertThat(hw.getInt(24) & 0x15).as("IPv6 TCP transmit checksum").isEqualTo(0x15);
        assertThat(hw.getInt(24) & 0x40).as("IPv6 UDP transmit checksum").isEqualTo(0x40);
        assertThat(hw.getInt(80) & 2).as("LSOv2 IPv4 over 802.3").isEqualTo(2);
        assertThat(hw.getInt(92) & 2).as("LSOv2 IPv6 over 802.3").isEqualTo(2);
        assertThat(hw.getInt(104) & 5).as("NDIS_LSOV2_CAP_IP6").isEqualTo(5);
        assertThat(hw.getInt(84)).as("LSOv2 IPv4 maximum").isGreaterThan(60000);
        assertThat(hw.get(144) | hw.get(145)).as("no RSC").isZero();
        // What Linux then sets: TX_RX_ENABLED (4) for TCP/UDP over both, LSOv2 ENABLED (2), IP checksum disabled (1).
        byte[] params = new byte[28];
        params[0] = (byte) 0x80;
        params[1] = 3;
        params[2] = 28;
        params[4] = 1;
        params[5] = params[6] = params[7] = params[8] = 4;
        params[11] = params[12] = 2;
        assertThat(g.set(0xFC01020C, params)).isZero();
        params[5] = 9;
        assertThat(g.set(0xFC01020C, params)).as("an unknown setting").isEqualTo(0xC0010015);
        assertThat(g.set(0xFC01020C, new byte[8])).as("too short").isEqualTo(0xC0010014);
    }

    @Test
    void withoutAnOffloadingPortNothingIsOffered() {
        guest = new NetvscPlayer(new CapturePort(false), 64, 1500);
        guest.up(1500);
        ByteBuffer hw = le(guest.query(0xFC01020D, new byte[0]).info());
        for (int at = 4; at < 156; at += 4)
            assertThat(hw.getInt(at)).as("offset " + at).isZero();
        byte[] params = new byte[28];
        params[5] = 4;
        assertThat(guest.set(0xFC01020C, params))
                .as("turning on what was not offered")
                .isEqualTo(0xC00000BB);
    }

    @Test
    void aChecksumRequestAndAnLsoSendReachThePortAsTxOffloads() {
        NetvscPlayer g = up();
        byte[] tcp = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 1000);
        int csum = 1 | 4 | 34 << 16; // IPv4, TCP, header at 34
        byte[] msg = NetvscPlayer.packetMessage(tcp, 0, csum, 8, 0x1234);
        g.sendBuffer.write(0, msg, 0, msg.length);
        assertThat(g.sendSection(0, msg.length)).isEqualTo(1);
        assertThat(port.offloadsAsked).hasSize(1);
        long o = port.offloadsAsked.get(0);
        assertThat(TxOffload.csumStart(o)).isEqualTo(34);
        assertThat(TxOffload.csumOffset(o)).isEqualTo(16);
        byte[] sent = port.transmitted.get(0);
        TestFrames.completeChecksum(sent, 34, 16);
        assertThat(TestFrames.transportChecksumValid(sent, 14)).isTrue();

        // A 64 KiB send goes as page ranges (bigger than a section), as netvsc_xmit sends it.
        byte[] big = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 65000 - 54);
        big[16] = big[17] = 0;
        int lso = 1 << 30 | 34 << 20 | 1448;
        byte[] lsoMsg = NetvscPlayer.packetMessage(big, 2, lso);
        long gpa = NetvscPlayer.DATA_GPA + 100;
        g.memory.write(gpa, lsoMsg);
        long id = g.sendPages(0, gpa, lsoMsg.length);
        assertThat(g.completion(id).getInt(4)).isEqualTo(1);
        long l = port.offloadsAsked.get(1);
        assertThat(TxOffload.gsoType(l)).isEqualTo(TxOffload.GSO_TCPV4);
        assertThat(TxOffload.gsoSize(l)).isEqualTo(1448);
        assertThat(port.transmitted.get(1)).hasSize(big.length);
        assertThat(TestFrames.u16(port.transmitted.get(1), 16)).isEqualTo(big.length - 14);
        assertThat(g.vsp.counters().totalDrops()).isZero();
    }

    @Test
    void offloadRequestsThatDoNotFitTheFrameAreDroppedAndCountedAndTheAdapterGoesOn() {
        NetvscPlayer g = up();
        byte[] udp = TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 17, 100);
        byte[][] bad = {
            NetvscPlayer.packetMessage(udp, 0, 1 | 4 | 34 << 16), // TCP checksum on a UDP frame
            NetvscPlayer.packetMessage(udp, 2, 1 << 30 | 34 << 20 | 1448), // LSO on UDP
            NetvscPlayer.packetMessage(
                    NetVspTest.frame(new byte[] {-1, -1, -1, -1, -1, -1}, 60, 1), 0, 1 | 4 | 34 << 16),
        };
        for (byte[] m : bad) {
            g.sendBuffer.write(0, m, 0, m.length);
            assertThat(g.sendSection(0, m.length))
                    .as("completed with a failure")
                    .isEqualTo(2);
        }
        // A per-packet information entry too short for its u32 value is malformed RNDIS.
        byte[] shortPpi = NetvscPlayer.packetMessage(udp, 0, 1 | 8 | 34 << 16);
        le(shortPpi).putInt(44, 12).putInt(52, 12).putInt(32, 12);
        le(shortPpi).putInt(8, 36 + 12);
        g.sendBuffer.write(0, shortPpi, 0, shortPpi.length);
        assertThat(g.sendSection(0, shortPpi.length)).isEqualTo(2);
        assertThat(port.transmitted).isEmpty();
        NetVspCounters c = g.vsp.counters();
        assertThat(c.drops(Drop.BAD_OFFLOAD)).isEqualTo(3);
        assertThat(c.drops(Drop.MALFORMED_RNDIS)).isEqualTo(1);
        byte[] ok = NetvscPlayer.packetMessage(udp, 0, 1 | 8 | 34 << 16);
        g.sendBuffer.write(0, ok, 0, ok.length);
        assertThat(g.sendSection(0, ok.length)).isEqualTo(1);
        assertThat(port.transmitted).hasSize(1);
    }

    @Test
    void framesTheHostVerifiedCarryAReceiveChecksumIndicationOnceTheGuestWantsOne() {
        NetvscPlayer g = up();
        byte[] tcp = TestFrames.frame("10.0.0.2", 80, "10.0.0.1", 40000, 6, 500);
        port.injectVerified(tcp);
        NetvscPlayer.Received r = g.receive();
        g.ack(r);
        assertThat(NetvscPlayer.frameOf(r))
                .as("no indication before the guest turns it on")
                .isEqualTo(tcp);
        byte[] params = new byte[28];
        params[5] = params[6] = 4;
        assertThat(g.set(0xFC01020C, params)).isZero();
        port.injectVerified(tcp);
        r = g.receive();
        g.ack(r);
        ByteBuffer m = r.message();
        assertThat(m.getInt(28)).as("per_pkt_info_offset").isEqualTo(36);
        assertThat(m.getInt(32)).as("per_pkt_info_len").isEqualTo(16);
        assertThat(m.getInt(8 + 36 + 4)).as("TCPIP_CHKSUM_PKTINFO").isZero();
        int info = m.getInt(8 + 36 + m.getInt(8 + 36 + 8));
        assertThat(info & 1 << 3).as("tcp_checksum_succeeded").isNotZero();
        assertThat(info & 1 << 5).as("ip_checksum_succeeded").isNotZero();
        byte[] frame = new byte[m.getInt(12)];
        m.get(8 + m.getInt(8), frame);
        assertThat(frame).isEqualTo(tcp);
        port.inject(tcp);
        r = g.receive();
        g.ack(r);
        assertThat(NetvscPlayer.frameOf(r))
                .as("not verified by the host: no indication")
                .isEqualTo(tcp);
    }
}
