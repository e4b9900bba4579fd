package org.viridian.vswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.testkit.ExternalTool;

/**
 * Switches built on this host's real kernel: bridges, nftables, tc and dnsmasq, with network namespaces on veth pairs
 * standing in for VM adapters (their host ends are ports exactly as a TAP is). Needs root; skips with the reason
 * otherwise.
 */
class SwitchHostTest {
    @TempDir
    Path runtime;

    private SwitchHost host;
    private final List<String> switches = new ArrayList<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() {
        ExternalTool.require("ip", "iproute2");
        ExternalTool.require("nft", "nftables");
        ExternalTool.require("busybox", "busybox-static");
        SwitchHost.unavailable().ifPresent(why -> Assumptions.abort(why));
        host = new SwitchHost(runtime);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup.reversed()) c.close();
        for (String s : switches) host.remove(s);
    }

    private String ensure(SwitchSpec spec) throws IOException {
        switches.add(spec.name());
        host.ensure(spec);
        return spec.name();
    }

    private Netns vm(String mac) throws IOException {
        Netns n = new Netns(mac);
        cleanup.add(n);
        return n;
    }

    @Test
    void vmsOnAPrivateSwitchReachEachOtherAndTheSpoofingGuardCutsOffAForgedSourceMac() throws Exception {
        String sw = ensure(SwitchSpec.privateSwitch("t-priv"));
        Netns a = vm("00:15:5d:00:00:0a"), b = vm("00:15:5d:00:00:0b");
        a.address("192.168.77.10/24");
        b.address("192.168.77.11/24");
        host.attach(sw, a.port, PortSpec.plain(a.mac).withMacSpoofGuard(true));
        host.attach(sw, b.port, PortSpec.plain(b.mac));
        assertThat(a.pings("192.168.77.11")).as("a -> b on one private switch").isTrue();

        a.in("ip", "link", "set", "eth0", "address", "00:15:5d:00:00:99");
        a.in("ip", "neigh", "flush", "all");
        assertThat(a.pings("192.168.77.11")).as("a with a forged MAC, guard on").isFalse();
        assertThat(host.counters(sw, a.port).dropped("mac-spoof-guard")).isPositive();

        host.attach(sw, a.port, PortSpec.plain(a.mac).withMacSpoofGuard(false));
        assertThat(a.pings("192.168.77.11"))
                .as("a with a forged MAC, guard off")
                .isTrue();
        PortCounters c = host.counters(sw, a.port);
        assertThat(c.sentFrames()).isPositive();
        assertThat(c.receivedFrames()).isPositive();
        assertThat(c.dropped("mac-spoof-guard"))
                .as("counters of a re-attached port start again")
                .isZero();
    }

    @Test
    void theHostReachesVmsOnAnInternalSwitchButNotOnAPrivateOne() throws Exception {
        String internal = ensure(SwitchSpec.internal("t-int", Ipv4Network.parse("192.168.78.1/24")));
        String priv = ensure(SwitchSpec.privateSwitch("t-priv2"));
        Netns a = vm("00:15:5d:00:01:0a"), b = vm("00:15:5d:00:01:0b");
        a.address("192.168.78.10/24");
        b.address("192.168.79.10/24");
        host.attach(internal, a.port, PortSpec.plain(a.mac));
        host.attach(priv, b.port, PortSpec.plain(b.mac));
        assertThat(a.pings("192.168.78.1"))
                .as("VM -> host on an internal switch")
                .isTrue();
        assertThat(Netns.run(10, List.of("ip", "-j", "-4", "addr", "show", "dev", Names.bridge(priv)))
                        .output())
                .as("a private switch has no host address")
                .doesNotContain("\"local\"");
    }

    @Test
    void aNatSwitchGivesAddressesByDhcpAndReachesTheOutsideThroughTheHost() throws Exception {
        ExternalTool.require("dnsmasq", "dnsmasq-base");
        String nat = ensure(SwitchSpec.nat("t-nat", Ipv4Network.parse("10.223.0.1/24")));
        // "The outside": another namespace behind the host, with no route back to the NAT switch's network.
        Netns outside = vm("00:15:5d:00:02:99");
        Netns.sh("ip", "addr", "add", "198.51.100.1/24", "dev", outside.port);
        Netns.sh("ip", "link", "set", outside.port, "up");
        outside.address("198.51.100.2/24");
        Netns guest = vm("00:15:5d:00:02:0a");
        host.attach(nat, guest.port, PortSpec.plain(guest.mac));
        Path script = runtime.resolve("udhcpc.sh");
        Files.writeString(
                script,
                "#!/bin/sh\n[ \"$1\" = bound ] || exit 0\nip addr add $ip/$mask dev $interface\n"
                        + "ip route add default via $router\n");
        script.toFile().setExecutable(true);
        Netns.Result dhcp =
                guest.exec(30, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-t", "5", "-s", script.toString());
        assertThat(dhcp.exit()).as("udhcpc: " + dhcp.output()).isZero();
        assertThat(guest.exec(5, "ip", "-4", "addr", "show", "eth0").output()).contains("inet 10.223.0.1");
        assertThat(host.leases(nat)).contains(guest.mac);
        assertThat(guest.pings("198.51.100.2"))
                .as("guest -> outside, masqueraded")
                .isTrue();
    }

    @Test
    void reconcileRemovesWhatACrashedServiceLeftAndKeepsWhatIsWanted() throws Exception {
        ExternalTool.require("dnsmasq", "dnsmasq-base");
        ensure(SwitchSpec.nat("t-orphan", Ipv4Network.parse("10.224.0.1/24")));
        String kept = ensure(SwitchSpec.privateSwitch("t-kept"));
        // A new service (a new SwitchHost on the same runtime directory) wants only t-kept.
        SwitchHost restarted = new SwitchHost(runtime);
        // Only this test's switches count as its own: other switches on the host (a user's, another test's) stay.
        restarted.reconcile(List.of(SwitchSpec.privateSwitch(kept)), n -> n.equals("t-orphan") || n.equals(kept));
        assertThat(restarted.present()).containsKey(kept).doesNotContainKey("t-orphan");
        assertThat(SwitchHost.exists(Names.bridge("t-orphan"))).isFalse();
        assertThat(HostTool.run("nft", "list", "tables")).doesNotContain("viridian-t-orphan");
        assertThat(Files.exists(runtime.resolve("t-orphan")))
                .as("dnsmasq's files")
                .isFalse();
    }

    @Test
    void vlansSeparateVmsOnOneSwitch() throws Exception {
        String sw = ensure(SwitchSpec.privateSwitch("t-vlan"));
        Assumptions.assumeTrue(
                SwitchHost.hasVlanFiltering(sw),
                "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); the nested test covers it");
        Netns a = vm("00:15:5d:00:03:0a"), b = vm("00:15:5d:00:03:0b"), c = vm("00:15:5d:00:03:0c");
        a.address("192.168.80.10/24");
        b.address("192.168.80.11/24");
        c.address("192.168.80.12/24");
        host.attach(sw, a.port, PortSpec.plain(a.mac).withVlan(PortSpec.Vlan.access(10)));
        host.attach(sw, b.port, PortSpec.plain(b.mac).withVlan(PortSpec.Vlan.access(10)));
        host.attach(sw, c.port, PortSpec.plain(c.mac).withVlan(PortSpec.Vlan.access(20)));
        assertThat(a.pings("192.168.80.11")).as("same VLAN").isTrue();
        assertThat(a.pings("192.168.80.12")).as("different VLANs").isFalse();
    }

    @Test
    void aVlanOnAKernelWithoutVlanFilteringIsRefusedWithTheReason() throws Exception {
        String sw = ensure(SwitchSpec.privateSwitch("t-novlan"));
        Assumptions.assumeFalse(SwitchHost.hasVlanFiltering(sw), "this kernel has VLAN filtering");
        Netns a = vm("00:15:5d:00:04:0a");
        assertThatThrownBy(() -> host.attach(sw, a.port, PortSpec.plain(a.mac).withVlan(PortSpec.Vlan.access(10))))
                .isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("CONFIG_BRIDGE_VLAN_FILTERING");
    }

    @Test
    void portsAndSwitchesThatDoNotExistAreNamedInTheError() throws Exception {
        Netns a = vm("00:15:5d:00:05:0a");
        assertThatThrownBy(() -> host.attach("t-none", a.port, PortSpec.plain(a.mac)))
                .hasMessageContaining("virtual switch t-none does not exist");
        String sw = ensure(SwitchSpec.privateSwitch("t-ports"));
        assertThatThrownBy(() -> host.attach(sw, "vtapnothere", PortSpec.plain(a.mac)))
                .hasMessageContaining("port device vtapnothere does not exist");
    }
}
