package org.viridian.devices.netvsp;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Random;

/** Ethernet frames with IPv4/IPv6 and TCP/UDP headers laid out by hand, and an independent checksum for checking. */
final class TestFrames {
    private TestFrames() {}

    static final byte[] DST = NetvscPlayer.MAC, SRC = {0x02, 0, 0, 0, 0, 9};

    /**
     * A frame from {@code src}:{@code srcPort} to {@code dst}:{@code dstPort} with {@code payload} random bytes;
     * {@code proto} 6 (TCP, 20-byte header) or 17 (UDP). Length fields filled in, checksums left 0.
     */
    static byte[] frame(String src, int srcPort, String dst, int dstPort, int proto, int payload) {
        try {
            byte[] s = InetAddress.getByName(src).getAddress(),
                    d = InetAddress.getByName(dst).getAddress();
            boolean v4 = s.length == 4;
            int ip = v4 ? 20 : 40, l4 = proto == 6 ? 20 : 8, total = 14 + ip + l4 + payload;
            ByteBuffer b = ByteBuffer.allocate(total);
            b.put(DST).put(SRC).putShort((short) (v4 ? 0x0800 : 0x86DD));
            if (v4) {
                b.put((byte) 0x45)
                        .put((byte) 0)
                        .putShort((short) (ip + l4 + payload))
                        .putShort((short) 1234);
                b.putShort((short) 0x4000)
                        .put((byte) 64)
                        .put((byte) proto)
                        .putShort((short) 0)
                        .put(s)
                        .put(d);
            } else {
                b.putInt(0x60000000)
                        .putShort((short) (l4 + payload))
                        .put((byte) proto)
                        .put((byte) 64)
                        .put(s)
                        .put(d);
            }
            b.putShort((short) srcPort).putShort((short) dstPort);
            if (proto == 6) {
                b.putInt(1_000_000).putInt(0).put((byte) 0x50).put((byte) 0x18).putShort((short) 65535);
                b.putShort((short) 0).putShort((short) 0);
            } else {
                b.putShort((short) (l4 + payload)).putShort((short) 0);
            }
            byte[] data = new byte[payload];
            new Random(payload).nextBytes(data);
            b.put(data);
            return b.array();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Whether the TCP/UDP checksum of the IP packet at {@code l3} (IPv4 or IPv6, no options) verifies. */
    static boolean transportChecksumValid(byte[] f, int l3) {
        boolean v4 = (f[l3] & 0xF0) == 0x40;
        int ipHeader = v4 ? (f[l3] & 15) * 4 : 40;
        int length = v4 ? u16(f, l3 + 2) - ipHeader : u16(f, l3 + 4);
        int proto = v4 ? f[l3 + 9] & 0xFF : f[l3 + 6] & 0xFF;
        long sum = v4 ? words(f, l3 + 12, 8) : words(f, l3 + 8, 32);
        sum += proto + length + words(f, l3 + ipHeader, length);
        return fold(sum) == 0xFFFF;
    }

    static boolean ipv4HeaderValid(byte[] f, int l3) {
        return fold(words(f, l3, (f[l3] & 15) * 4)) == 0xFFFF;
    }

    /** What a NIC does with a checksum request: the complemented sum from start to the end, stored at start+offset. */
    static void completeChecksum(byte[] f, int start, int offset) {
        int c = ~fold(words(f, start, f.length - start)) & 0xFFFF;
        f[start + offset] = (byte) (c >>> 8);
        f[start + offset + 1] = (byte) c;
    }

    static int u16(byte[] f, int at) {
        return (f[at] & 0xFF) << 8 | f[at + 1] & 0xFF;
    }

    private static long words(byte[] f, int at, int length) {
        long s = 0;
        for (int i = 0; i < length; i += 2) s += (f[at + i] & 0xFF) << 8 | (i + 1 < length ? f[at + i + 1] & 0xFF : 0);
        return s;
    }

    private static int fold(long s) {
        while (s >>> 16 != 0) s = (s & 0xFFFF) + (s >>> 16);
        return (int) s;
    }
}
