package org.viridian.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.testkit.ExternalTool;
import org.viridian.vmbus.server.VmbusServer;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.PortSpec;
import org.viridian.vswitch.SwitchHost;
import org.viridian.vswitch.SwitchSpec;

/**
 * Adapters plugged into, moved between and unplugged from this host's real switches (bridges, TAP devices, tc) while
 * their VM "runs": a VMBus server no guest has connected to yet, so offers wait and removals complete at once (the
 * guest's side of hot add/remove is {@code NicHotplugAcceptanceIT}'s). Needs root; skips with the reason otherwise.
 */
class NetworkAdaptersTest {
    @TempDir
    Path runtime;

    private final String suffix = UUID.randomUUID().toString().substring(0, 5);
    private final String lan = "t-lan" + suffix, dmz = "t-dmz" + suffix;
    private SwitchHost host;
    private GuestMemory memory;
    private NetworkAdapters adapters;

    @BeforeEach
    void setUp() throws IOException {
        ExternalTool.require("ip", "iproute2");
        ExternalTool.require("nft", "nftables");
        ExternalTool.require("tc", "iproute2");
        SwitchHost.unavailable().ifPresent(Assumptions::abort);
        host = new SwitchHost(runtime);
        host.ensure(SwitchSpec.privateSwitch(lan));
        host.ensure(SwitchSpec.privateSwitch(dmz));
        memory = GuestMemory.allocate(1 << 20);
        MessageCalls calls = new MessageCalls();
        VmbusServer vmbus = VmbusServer.attach(
                new SynicHost() {
                    public int vpCount() {
                        return 1;
                    }

                    public MessageCalls messageCalls() {
                        return calls;
                    }

                    public boolean postMessage(int vp, int sint, HvMessage m) {
                        return true;
                    }

                    public boolean signalEvent(int vp, int sint, int flag) {
                        return true;
                    }
                },
                memory);
        adapters = new NetworkAdapters("hot-" + suffix, memory, vmbus, 1, host);
    }

    @AfterEach
    void tearDown() {
        if (adapters != null) adapters.close();
        if (host != null) {
            host.remove(lan);
            host.remove(dmz);
        }
        if (memory != null) memory.close();
    }

    private static String master(String tap) throws IOException {
        return Files.readSymbolicLink(Path.of("/sys/class/net", tap, "master"))
                .getFileName()
                .toString();
    }

    private static String rules(String switchName) throws Exception {
        Process p = new ProcessBuilder("nft", "list", "table", "bridge", "viridian-" + switchName)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    @Test
    void adaptersArePluggedInMovedGuardedAndUnpluggedAndAMacChangeIsRefused() throws Exception {
        var a = adapters.add(new VmSpec.NetworkAdapter(lan, PortSpec.plain("00:15:5d:00:00:01")));
        var b = adapters.add(new VmSpec.NetworkAdapter(lan, PortSpec.plain("00:15:5d:00:00:02")));
        assertThat(master(a.tap())).isEqualTo(Names.bridge(lan));
        assertThat(master(b.tap())).isEqualTo(Names.bridge(lan));
        assertThat(b.slot()).isEqualTo(a.slot() + 1);
        assertThat(b.relid()).isNotEqualTo(a.relid());
        assertThat(b.netVsp().instanceId()).isNotEqualTo(a.netVsp().instanceId());

        // Another switch and a DHCP guard: the same TAP moves and gets its port's rules; the guest sees nothing.
        PortSpec limited = b.spec().port().withDhcpGuard(true);
        var moved = adapters.update(b, new VmSpec.NetworkAdapter(dmz, limited));
        assertThat(moved.tap()).isEqualTo(b.tap());
        assertThat(moved.netVsp()).isSameAs(b.netVsp());
        assertThat(master(b.tap())).isEqualTo(Names.bridge(dmz));
        assertThat(rules(dmz)).contains("from-vm-" + b.tap()).contains("dhcp-guard");
        assertThat(rules(lan)).doesNotContain(b.tap());
        assertThatThrownBy(() ->
                        adapters.update(moved, new VmSpec.NetworkAdapter(dmz, limited.withMac("00:15:5d:00:00:09"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MAC address");
        assertThat(adapters.list()).containsExactly(a, moved);

        // Unplugged: no guest holds the channel, so it is released at once, and the TAP is gone from the host.
        assertThat(adapters.remove(a)).isDone();
        assertThat(Files.exists(Path.of("/sys/class/net", a.tap()))).isFalse();
        assertThat(adapters.list()).containsExactly(moved);
        assertThatThrownBy(() -> adapters.remove(a)).isInstanceOf(IllegalArgumentException.class);

        // The freed slot (TAP name, VMBus instance) and relid are used again.
        var c = adapters.add(new VmSpec.NetworkAdapter(lan, PortSpec.plain("00:15:5d:00:00:03")));
        assertThat(c.slot()).isEqualTo(a.slot());
        assertThat(c.tap()).isEqualTo(a.tap());
        assertThat(c.relid()).isEqualTo(a.relid());
        assertThat(master(c.tap())).isEqualTo(Names.bridge(lan));
    }

    @Test
    void anAdapterOnASwitchThatDoesNotExistLeavesNoTapBehind() {
        assertThatThrownBy(() ->
                        adapters.add(new VmSpec.NetworkAdapter("t-none" + suffix, PortSpec.plain("00:15:5d:00:00:04"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("does not exist");
        assertThat(adapters.list()).isEmpty();
        assertThat(Files.exists(Path.of(
                        "/sys/class/net",
                        Names.tap(
                                "hot-" + suffix + "/" + ProcessHandle.current().pid(), 0))))
                .isFalse();
    }
}
