package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.testkit.ExternalTool;

/**
 * Segmentation offload on real TAP devices: a 64 KiB TCP frame written with a vnet header (as NetVSP hands over a
 * guest's LSOv2 send) to one TAP on a Linux bridge comes out of a second TAP on that bridge, opened without offloads,
 * cut by the host kernel into MTU-sized segments whose IP and TCP checksums verify and whose payloads add up to the
 * original. Needs /dev/net/tun and root; skipped with the reason otherwise.
 */
class TapOffloadTest {
    private String bridge;
    private TapPort guestSide, peer;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creating a TAP device needs root");
        ExternalTool.require("ip", "iproute2");
        String id = HexFormat.of().toHexDigits((short) new Random().nextInt());
        bridge = "vrdb" + id;
        guestSide = TapPort.open("vrdg" + id, true);
        peer = TapPort.open("vrdp" + id, false);
        ExternalTool.Result r = ExternalTool.sh("ip link add " + bridge + " type bridge && ip link set " + bridge
                + " up && for t in " + guestSide.name() + " " + peer.name() + "; do ip link set $t master " + bridge
                + " && ip link set $t up; done");
        Assumptions.assumeTrue(r.exit() == 0, "no bridge here: " + r.output());
        // A frame sent before both bridge ports forward is lost; wait for that (state 3, BR_STATE_FORWARDING).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(forwarding(guestSide.name()) && forwarding(peer.name())) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(forwarding(guestSide.name()) && forwarding(peer.name()))
                .as("bridge ports forwarding")
                .isTrue();
    }

    private static boolean forwarding(String port) throws java.io.IOException {
        Path state = Path.of("/sys/class/net", port, "brport/state");
        return Files.exists(state) && Files.readString(state).trim().equals("3");
    }

    @AfterEach
    void tearDown() {
        if (guestSide != null) guestSide.close();
        if (peer != null) peer.close();
        if (bridge != null) ExternalTool.sh("ip link del " + bridge);
    }

    @Test
    void aLargeTcpSendWithAVnetHeaderIsSegmentedByTheHostKernel() throws Exception {
        assertThat(guestSide.offloads()).isTrue();
        assertThat(peer.offloads()).isFalse();
        BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        peer.attach(frame -> {
            byte[] copy = new byte[frame.remaining()];
            frame.get(copy);
            frames.add(copy);
        });
        int payload = 65000 - 54, mss = 1448;
        byte[] f = TestFrames.frame("10.214.0.1", 40000, "10.214.0.2", 5001, 6, payload);
        byte[] data = java.util.Arrays.copyOfRange(f, 54, f.length);
        f[16] = f[17] = 0; // as netvsc_xmit sends it: no IPv4 total length
        long offload = TransmitOffloads.prepare(f, 0, f.length, -1, TransmitOffloadsTest.lso(false, mss, 34));
        guestSide.transmit(ByteBuffer.wrap(f), offload);

        List<byte[]> segments = new ArrayList<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.size() < payload && System.nanoTime() < deadline) {
            byte[] s = frames.poll(100, TimeUnit.MILLISECONDS);
            if (s == null || s.length < 54 || s[12] != 0x08 || s[13] != 0x00 || s[23] != 6) continue; // not ours
            segments.add(s);
            received.write(s, 54, s.length - 54);
        }
        assertThat(received.toByteArray()).as("the payload, in order").isEqualTo(data);
        assertThat(segments).hasSize((payload + mss - 1) / mss);
        long seq = 1_000_000;
        for (byte[] s : segments) {
            assertThat(s.length).isLessThanOrEqualTo(14 + 20 + 20 + mss);
            assertThat(TestFrames.ipv4HeaderValid(s, 14)).isTrue();
            assertThat(TestFrames.transportChecksumValid(s, 14))
                    .as("TCP checksum")
                    .isTrue();
            assertThat(ByteBuffer.wrap(s).getInt(38) & 0xFFFFFFFFL)
                    .as("sequence number")
                    .isEqualTo(seq);
            seq += s.length - 54;
        }
        assertThat(guestSide.errors()).isZero();
    }

    @Test
    void aChecksumLeftToTheKernelArrivesFilledIn() throws Exception {
        BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        peer.attach(frame -> {
            byte[] copy = new byte[frame.remaining()];
            frame.get(copy);
            frames.add(copy);
        });
        byte[] f = TestFrames.frame("10.214.0.1", 40000, "10.214.0.2", 5001, 17, 700);
        // The IP header checksum too: this host's bridge netfilter drops IPv4 with a bad one, as the guest never sends.
        long offload = TransmitOffloads.prepare(f, 0, f.length, TransmitOffloadsTest.csum(1 | 8 | 16, 34), -1);
        guestSide.transmit(ByteBuffer.wrap(f), offload);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        byte[] s = null;
        while (s == null && System.nanoTime() < deadline) {
            byte[] c = frames.poll(100, TimeUnit.MILLISECONDS);
            if (c != null && c.length == f.length && c[23] == 17) s = c;
        }
        assertThat(s).as("the datagram came through").isNotNull();
        assertThat(TestFrames.transportChecksumValid(s, 14)).isTrue();
        assertThat(TestFrames.ipv4HeaderValid(s, 14)).isTrue();
    }
}
