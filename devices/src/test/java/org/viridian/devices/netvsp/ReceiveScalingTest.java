package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.viridian.devices.netvsp.protocol.ReceiveScaleParameters;
import org.viridian.vmbus.protocol.ProtocolException;

/** Receive queue choice: the Toeplitz hash of a frame's tuple through the guest's indirection table. */
class ReceiveScalingTest {
    static final int LINUX_HASH_INFO = 0x1 | 0x100 | 0x200 | 0x400 | 0x1000;

    /** struct ndis_recv_scale_param as rndis_set_rss_param_msg lays it out: table (u32 each), then the key. */
    static byte[] parameters(int flags, int hashInfo, int[] table, byte[] key) {
        ByteBuffer b = ByteBuffer.allocate(40 + 4 * table.length + key.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x89).put(1, (byte) 2).putShort(2, (short) 40);
        b.putShort(4, (short) flags).putInt(8, hashInfo);
        b.putShort(12, (short) (4 * table.length)).putInt(16, 40);
        b.putShort(20, (short) key.length).putInt(24, 40 + 4 * table.length);
        for (int i = 0; i < table.length; i++) b.putInt(40 + 4 * i, table[i]);
        b.put(40 + 4 * table.length, key);
        return b.array();
    }

    static int[] table(int entries, int queues) {
        int[] t = new int[entries];
        for (int i = 0; i < entries; i++) t[i] = i % queues;
        return t;
    }

    static ReceiveScaling scaling(int hashInfo) throws ProtocolException {
        return ReceiveScaling.OFF.with(
                ReceiveScaleParameters.parse(parameters(0, hashInfo, table(128, 4), ToeplitzTest.KEY)));
    }

    @Test
    void tcpFramesGoWhereTheirFourTupleHashPointsAndOthersWhereTheirAddressesDo() throws Exception {
        ReceiveScaling rss = scaling(LINUX_HASH_INFO);
        // Microsoft's vector 5: 153.39.163.191:44251 -> 202.188.127.2:1303, TCP hash 0x10e828a2 (entry 0x22 = 34),
        // addresses only 0x5d1809c5 (entry 0x45 = 69); table entry i is queue i % 4.
        byte[] tcp = TestFrames.frame("153.39.163.191", 44251, "202.188.127.2", 1303, 6, 100);
        assertThat(rss.queue(tcp, 0, tcp.length, 4)).isEqualTo(34 % 4);
        byte[] udp = TestFrames.frame("153.39.163.191", 44251, "202.188.127.2", 1303, 17, 100);
        assertThat(rss.queue(udp, 0, udp.length, 4))
                .as("UDP is not hashed with ports unless asked: the addresses decide")
                .isEqualTo(69 % 4);
        byte[] fragment = tcp.clone();
        fragment[20] = 0x20; // more fragments
        assertThat(rss.queue(fragment, 0, fragment.length, 4)).isEqualTo(69 % 4);
        byte[] arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertThat(rss.queue(arp, 0, arp.length, 4)).as("no tuple: the primary").isZero();
        // IPv6 vector 1: 3ffe:2501:200:1fff::7:2794 -> 3ffe:2501:200:3::1:1766, TCP 0x40207d3d (entry 0x3d = 61).
        byte[] tcp6 = TestFrames.frame("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 6, 10);
        assertThat(rss.queue(tcp6, 0, tcp6.length, 4)).isEqualTo(61 % 4);
        assertThat(rss.queue(tcp, 0, tcp.length, 1)).as("one queue").isZero();
        assertThat(ReceiveScaling.OFF.queue(tcp, 0, tcp.length, 4))
                .as("RSS off")
                .isZero();
    }

    @Test
    void udpPortsCountWhenTheHashTypeSaysSoAndEntriesBeyondTheQueuesWrap() throws Exception {
        ReceiveScaling rss = scaling(LINUX_HASH_INFO | ReceiveScaleParameters.HASH_UDP_IPV4);
        byte[] udp = TestFrames.frame("153.39.163.191", 44251, "202.188.127.2", 1303, 17, 100);
        assertThat(rss.queue(udp, 0, udp.length, 4)).isEqualTo(34 % 4);
        assertThat(rss.queue(udp, 0, udp.length, 3)).as("entry 2 of 3 queues").isEqualTo(2);
        assertThat(rss.queue(udp, 0, udp.length, 2))
                .as("entry 2 wraps onto 2 queues")
                .isZero();
    }

    @Test
    void theGuestsSettingsAreValidatedAndKeptWhereItSaysUnchanged() throws Exception {
        byte[] good = parameters(0, LINUX_HASH_INFO, table(128, 2), ToeplitzTest.KEY);
        ReceiveScaleParameters p = ReceiveScaleParameters.parse(good);
        assertThat(p.table()).hasSize(128);
        assertThat(p.key()).isEqualTo(ToeplitzTest.KEY);
        ReceiveScaling on = ReceiveScaling.OFF.with(p);
        ReceiveScaling keep = on.with(ReceiveScaleParameters.parse(
                parameters(ReceiveScaleParameters.FLAG_TABLE_UNCHANGED, LINUX_HASH_INFO, new int[0], new byte[40])));
        assertThat(keep.table()).isEqualTo(on.table());
        assertThat(on.with(ReceiveScaleParameters.parse(
                        parameters(ReceiveScaleParameters.FLAG_DISABLE, 0, table(128, 2), ToeplitzTest.KEY))))
                .isSameAs(ReceiveScaling.OFF);

        bad(java.util.Arrays.copyOf(good, 20), "shorter than the struct");
        byte[] type = good.clone();
        type[0] = (byte) 0x88;
        bad(type, "another object type");
        bad(parameters(0, 0x2 | 0x100, table(128, 2), ToeplitzTest.KEY), "not Toeplitz");
        bad(parameters(0, LINUX_HASH_INFO, table(129, 2), ToeplitzTest.KEY), "too many entries");
        bad(parameters(0, LINUX_HASH_INFO, table(128, 2), new byte[41]), "a key too long");
        byte[] past = good.clone();
        ByteBuffer.wrap(past).order(ByteOrder.LITTLE_ENDIAN).putInt(24, past.length - 10);
        bad(past, "the key past the end");
        byte[] odd = good.clone();
        ByteBuffer.wrap(odd).order(ByteOrder.LITTLE_ENDIAN).putShort(12, (short) 510);
        bad(odd, "a table size not a multiple of 4");
    }

    private static void bad(byte[] v, String why) {
        assertThatThrownBy(() -> ReceiveScaleParameters.parse(v)).as(why).isInstanceOf(ProtocolException.class);
    }
}
