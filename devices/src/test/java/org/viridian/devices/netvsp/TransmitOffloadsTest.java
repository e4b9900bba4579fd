package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.devices.netvsp.TransmitOffloads.CSUM_IPV4;
import static org.viridian.devices.netvsp.TransmitOffloads.CSUM_IPV6;
import static org.viridian.devices.netvsp.TransmitOffloads.CSUM_IP_HEADER;
import static org.viridian.devices.netvsp.TransmitOffloads.CSUM_TCP;
import static org.viridian.devices.netvsp.TransmitOffloads.CSUM_UDP;
import static org.viridian.devices.netvsp.TransmitOffloads.LSO_IPV6;
import static org.viridian.devices.netvsp.TransmitOffloads.LSO_V2;

import org.junit.jupiter.api.Test;
import org.viridian.vmbus.protocol.ProtocolException;

/** hv_netvsc's per-packet offload requests turned into virtio_net_hdr terms, and the frames fixed up for the kernel. */
class TransmitOffloadsTest {
    static long csum(int flags, int transportOffset) {
        return Integer.toUnsignedLong(flags | transportOffset << 16);
    }

    static long lso(boolean v6, int mss, int transportOffset) {
        return Integer.toUnsignedLong(LSO_V2 | (v6 ? LSO_IPV6 : 0) | transportOffset << 20 | mss);
    }

    @Test
    void aTcpChecksumOverIpv4BecomesStartAndOffsetAndTheFilledInChecksumVerifies() throws Exception {
        byte[] f = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 1000);
        long o = TransmitOffloads.prepare(f, 0, f.length, csum(CSUM_IPV4 | CSUM_TCP, 34), -1);
        assertThat(TxOffload.csumStart(o)).isEqualTo(34);
        assertThat(TxOffload.csumOffset(o)).isEqualTo(16);
        assertThat(TxOffload.gsoType(o)).isEqualTo(TxOffload.GSO_NONE);
        assertThat(TestFrames.transportChecksumValid(f, 14))
                .as("only the pseudo-header so far")
                .isFalse();
        TestFrames.completeChecksum(f, TxOffload.csumStart(o), TxOffload.csumOffset(o));
        assertThat(TestFrames.transportChecksumValid(f, 14)).isTrue();
    }

    @Test
    void udpOverIpv6AndAnIpv4HeaderChecksumAreDoneToo() throws Exception {
        byte[] f = TestFrames.frame("fd00::1", 5353, "fd00::2", 53, 17, 333);
        long o = TransmitOffloads.prepare(f, 0, f.length, csum(CSUM_IPV6 | CSUM_UDP, 54), -1);
        assertThat(TxOffload.csumStart(o)).isEqualTo(54);
        assertThat(TxOffload.csumOffset(o)).isEqualTo(6);
        TestFrames.completeChecksum(f, 54, 6);
        assertThat(TestFrames.transportChecksumValid(f, 14)).isTrue();

        byte[] g = TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 17, 10);
        assertThat(TransmitOffloads.prepare(g, 0, g.length, csum(CSUM_IPV4 | CSUM_IP_HEADER, 34), -1))
                .as("the IP header checksum is done here, nothing left for the port")
                .isEqualTo(TxOffload.NONE);
        assertThat(TestFrames.ipv4HeaderValid(g, 14)).isTrue();
    }

    @Test
    void anLsoFrameAsLinuxSendsItGetsItsLengthsAndPseudoHeaderAndAsksForSegments() throws Exception {
        byte[] f = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 65000);
        // netvsc_xmit: tot_len and the IP checksum zeroed, the TCP checksum the pseudo-header without the length.
        f[16] = f[17] = 0;
        f[24] = f[25] = 0;
        f[50] = 0x12;
        f[51] = 0x34;
        long o = TransmitOffloads.prepare(f, 0, f.length, -1, lso(false, 1448, 34));
        assertThat(TxOffload.gsoType(o)).isEqualTo(TxOffload.GSO_TCPV4);
        assertThat(TxOffload.gsoSize(o)).isEqualTo(1448);
        assertThat(TxOffload.headerLength(o)).isEqualTo(54);
        assertThat(TxOffload.csumStart(o)).isEqualTo(34);
        assertThat(TxOffload.csumOffset(o)).isEqualTo(16);
        assertThat(TestFrames.u16(f, 16)).as("IPv4 total length").isEqualTo(f.length - 14);
        assertThat(TestFrames.ipv4HeaderValid(f, 14)).isTrue();
        TestFrames.completeChecksum(f, 34, 16);
        assertThat(TestFrames.transportChecksumValid(f, 14))
                .as("the pseudo-header has the length, as the kernel's segmentation expects")
                .isTrue();

        byte[] g = TestFrames.frame("fd00::1", 40000, "fd00::2", 80, 6, 20000);
        g[18] = g[19] = 0; // tcp_v6_gso_csum_prep zeroes payload_len
        long o6 = TransmitOffloads.prepare(g, 0, g.length, -1, lso(true, 1428, 54));
        assertThat(TxOffload.gsoType(o6)).isEqualTo(TxOffload.GSO_TCPV6);
        assertThat(TestFrames.u16(g, 18)).as("IPv6 payload length").isEqualTo(g.length - 54);
    }

    @Test
    void aVlanTagInsertedLaterShiftsTheOffsets() throws Exception {
        byte[] f = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 65000);
        long o = TxOffload.shifted(TransmitOffloads.prepare(f, 0, f.length, -1, lso(false, 1448, 34)), 4);
        assertThat(TxOffload.csumStart(o)).isEqualTo(38);
        assertThat(TxOffload.headerLength(o)).isEqualTo(58);
        assertThat(TxOffload.gsoSize(o)).isEqualTo(1448);
    }

    @Test
    void requestsTheHeadersContradictAreRefused() {
        byte[] tcp4 = TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 6, 100);
        byte[] udp4 = TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 17, 100);
        byte[] tcp6 = TestFrames.frame("fd00::1", 1, "fd00::2", 2, 6, 100);
        byte[] arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        refused(arp, csum(CSUM_IPV4 | CSUM_TCP, 34), -1, "not IP");
        refused(tcp4, csum(CSUM_IPV4 | CSUM_TCP, 40), -1, "TCP header not after the IP header");
        refused(udp4, csum(CSUM_IPV4 | CSUM_TCP, 34), -1, "TCP asked, the frame is UDP");
        refused(tcp4, csum(CSUM_IPV6 | CSUM_TCP, 34), -1, "IPv6 asked, the frame is IPv4");
        refused(tcp4, csum(CSUM_IPV4 | CSUM_TCP | CSUM_UDP, 34), -1, "both");
        refused(tcp4, -1, lso(false, 10, 34), "a tiny MSS");
        refused(tcp4, -1, lso(true, 1448, 34), "LSO for IPv6 on an IPv4 frame");
        refused(tcp6, -1, lso(true, 1448, 34), "TCP offset inside the IPv6 header");
        refused(tcp4, -1, Integer.toUnsignedLong(1448 | 34 << 20), "LSOv1");
        refused(java.util.Arrays.copyOf(tcp4, 40), csum(CSUM_IPV4 | CSUM_TCP, 34), -1, "cut short");
        byte[] longer = tcp4.clone();
        longer[17] = (byte) 200; // IPv4 total length past the frame
        refused(longer, csum(CSUM_IPV4 | CSUM_TCP, 34), -1, "IP length past the frame");
    }

    private static void refused(byte[] f, long csum, long lso, String why) {
        assertThatThrownBy(() -> TransmitOffloads.prepare(f.clone(), 0, f.length, csum, lso))
                .as(why)
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void preparingAFrameAllocatesNothingOnceWarm() throws Exception {
        byte[] f = TestFrames.frame("10.0.0.1", 40000, "10.0.0.2", 80, 6, 1400);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId(), sink = 0, allocated = 0;
        for (int round = 0; round < 20; round++) {
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 20_000; i++) {
                sink += TransmitOffloads.prepare(f, 0, f.length, csum(CSUM_IPV4 | CSUM_TCP, 34), -1);
                sink += TransmitOffloads.prepare(f, 0, f.length, -1, lso(false, 1448, 34));
            }
            allocated = threads.getThreadAllocatedBytes(tid) - before;
        }
        assertThat(sink).isNotZero();
        assertThat(allocated / 40_000).as("bytes allocated per frame, warm").isLessThan(8);
    }

    @Test
    void noRequestMeansACompleteFrame() throws Exception {
        byte[] f = TestFrames.frame("10.0.0.1", 1, "10.0.0.2", 2, 6, 100), before = f.clone();
        assertThat(TransmitOffloads.prepare(f, 0, f.length, -1, -1)).isEqualTo(TxOffload.NONE);
        assertThat(TransmitOffloads.prepare(f, 0, f.length, csum(CSUM_IPV4, 34), 0))
                .isEqualTo(TxOffload.NONE);
        assertThat(f).isEqualTo(before);
    }
}
