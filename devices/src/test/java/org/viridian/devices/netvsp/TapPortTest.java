package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
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
 * TapPort on a real TAP interface: an ARP request written by the guest's side must reach the host's stack, which
 * answers it with an ARP reply that the port reads back. Both directions, checked by the host kernel itself. Needs
 * /dev/net/tun and root (CAP_NET_ADMIN); skipped with the reason otherwise.
 */
class TapPortTest {
    /** The adapter's MAC: its packet filter passes only frames to it (and broadcasts). */
    private static final byte[] GUEST_MAC = NetvscPlayer.MAC;

    private String name;
    private byte[] hostIp, guestIp;
    private TapPort tap;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creating a TAP device needs root");
        ExternalTool.require("ip", "iproute2");
        int n = new Random().nextInt(1, 250);
        name = "vrdn" + HexFormat.of().toHexDigits((short) new Random().nextInt());
        hostIp = new byte[] {10, (byte) 213, (byte) n, 1};
        guestIp = new byte[] {10, (byte) 213, (byte) n, 2};
        tap = TapPort.open(name);
        assertThat(tap.name()).isEqualTo(name);
        ExternalTool.Result r = ExternalTool.sh("ip link set dev " + name + " up && ip addr add 10.213." + n
                + ".1/24 dev " + name + " && ip link set dev " + name + " arp on");
        assertThat(r.exit()).as(r.output()).isZero();
    }

    @AfterEach
    void tearDown() {
        if (tap != null) tap.close(); // a non-persistent TAP interface goes away with its last descriptor
    }

    /** An ARP request from the guest for the host's address (padded to the 60-byte minimum). */
    private byte[] arpRequest() {
        ByteBuffer f = ByteBuffer.allocate(60);
        f.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(GUEST_MAC).putShort((short) 0x0806);
        f.putShort((short) 1)
                .putShort((short) 0x0800)
                .put((byte) 6)
                .put((byte) 4)
                .putShort((short) 1);
        f.put(GUEST_MAC).put(guestIp).put(new byte[6]).put(hostIp);
        return f.array();
    }

    /** Whether {@code f} is the host's ARP reply to the guest. */
    private boolean isArpReply(byte[] f) {
        if (f.length < 42) return false;
        ByteBuffer b = ByteBuffer.wrap(f);
        return Arrays.equals(f, 0, 6, GUEST_MAC, 0, 6)
                && b.getShort(12) == 0x0806
                && b.getShort(20) == 2
                && Arrays.equals(f, 28, 32, hostIp, 0, 4)
                && Arrays.equals(f, 38, 42, guestIp, 0, 4);
    }

    private long rxPackets() throws Exception {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net/" + name + "/statistics/rx_packets"))
                .trim());
    }

    @Test
    void anArpRequestWrittenToTheTapIsAnsweredByTheHostAndReadBack() throws Exception {
        BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        tap.attach(frame -> {
            byte[] copy = new byte[frame.remaining()];
            frame.get(copy);
            frames.add(copy);
        });
        long before = rxPackets();
        tap.transmit(ByteBuffer.wrap(arpRequest()));
        assertThat(rxPackets()).as("the host's interface received the frame").isGreaterThan(before);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean answered = false;
        while (!answered && System.nanoTime() < deadline) {
            byte[] f = frames.poll(100, TimeUnit.MILLISECONDS);
            answered = f != null && isArpReply(f);
        }
        assertThat(answered)
                .as("the host's ARP reply came back through the TAP")
                .isTrue();
        assertThat(tap.errors()).isZero();
    }

    @Test
    void aGuestResolvesTheHostThroughNetVspAndTheTap() {
        try (NetvscPlayer guest = new NetvscPlayer(tap, 64, 1500)) {
            guest.up(1500);
            assertThat(guest.sendInSection(0, arpRequest())).isEqualTo(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean answered = false;
            while (!answered && System.nanoTime() < deadline) {
                NetvscPlayer.Received r = guest.receive();
                guest.ack(r);
                answered = r.type() == 1 && isArpReply(NetvscPlayer.frameOf(r));
            }
            assertThat(answered)
                    .as("the host's ARP reply reached the guest's receive buffer")
                    .isTrue();
            assertThat(guest.vsp.counters().txFrames()).isEqualTo(1);
            assertThat(guest.failures).isEmpty();
        }
    }
}
