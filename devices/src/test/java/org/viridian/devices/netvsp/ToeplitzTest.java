package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Toeplitz hash against Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation"). */
class ToeplitzTest {
    static final byte[] KEY = {
        0x6d,
        0x5a,
        0x56,
        (byte) 0xda,
        0x25,
        0x5b,
        0x0e,
        (byte) 0xc2,
        0x41,
        0x67,
        0x25,
        0x3d,
        0x43,
        (byte) 0xa3,
        (byte) 0x8f,
        (byte) 0xb0,
        (byte) 0xd0,
        (byte) 0xca,
        0x2b,
        (byte) 0xcb,
        (byte) 0xae,
        0x7b,
        0x30,
        (byte) 0xb4,
        0x77,
        (byte) 0xcb,
        0x2d,
        (byte) 0xa3,
        (byte) 0x80,
        0x30,
        (byte) 0xf2,
        0x0c,
        0x6a,
        0x42,
        (byte) 0xb7,
        0x3b,
        (byte) 0xbe,
        (byte) 0xac,
        0x01,
        (byte) 0xfa
    };

    /** The hash input: source address, destination address, then (for TCP) source port, destination port. */
    static byte[] input(String src, String dst, int srcPort, int dstPort, boolean ports) throws Exception {
        byte[] s = InetAddress.getByName(src).getAddress(),
                d = InetAddress.getByName(dst).getAddress();
        ByteBuffer b = ByteBuffer.allocate(s.length + d.length + (ports ? 4 : 0))
                .put(s)
                .put(d);
        if (ports) b.putShort((short) srcPort).putShort((short) dstPort);
        return b.array();
    }

    @ParameterizedTest
    @CsvSource({
        "66.9.149.187, 2794, 161.142.100.80, 1766, 323e8fc2, 51ccc178",
        "199.92.111.2, 14230, 65.69.140.83, 4739, d718262a, c626b0ea",
        "24.19.198.95, 12898, 12.22.207.184, 38024, d2d0a5de, 5c2b394a",
        "38.27.205.30, 48228, 209.142.163.6, 2217, 82989176, afc7327f",
        "153.39.163.191, 44251, 202.188.127.2, 1303, 5d1809c5, 10e828a2",
        "3ffe:2501:200:1fff::7, 2794, 3ffe:2501:200:3::1, 1766, 2cc18cd5, 40207d3d",
        "3ffe:501:8::260:97ff:fe40:efab, 14230, ff02::1, 4739, 0f0c461c, dde51bbf",
        "3ffe:1900:4545:3:200:f8ff:fe21:67cf, 44251, fe80::200:f8ff:fe21:67cf, 38024, 4b61e985, 02d1feef"
    })
    void matchesMicrosoftsVerificationVectors(
            String src, int srcPort, String dst, int dstPort, String addressesOnly, String withPorts) throws Exception {
        assertThat(Toeplitz.hash(KEY, input(src, dst, srcPort, dstPort, false)))
                .isEqualTo(Integer.parseUnsignedInt(addressesOnly, 16));
        byte[] all = input(src, dst, srcPort, dstPort, true);
        assertThat(Toeplitz.hash(KEY, all)).isEqualTo(Integer.parseUnsignedInt(withPorts, 16));
        int addresses = all.length - 4;
        assertThat(Toeplitz.hash(KEY, all, 0, addresses, all, addresses, 4))
                .as("addresses and ports given as two ranges")
                .isEqualTo(Integer.parseUnsignedInt(withPorts, 16));
    }

    @Test
    void anInputTooLongForTheKeyIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Toeplitz.hash(KEY, new byte[37]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
