package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.viridian.machine.VmSpec;
import org.viridian.management.config.Json;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.SwitchRequest;
import org.viridian.management.config.SwitchStore;
import org.viridian.management.config.VmConfig;
import org.viridian.management.config.VmConfigs;
import org.viridian.management.testing.TestService;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.PortSpec;
import org.viridian.vswitch.SwitchHost;

/** How a VM's stored adapters become the VmSpec's ports, with the switches they name present on the host. */
class KvmEngineNetworkTest {
    private static VmConfig vm(List<NetworkAdapter> adapters) {
        return new VmConfig(
                UUID.randomUUID(),
                "net",
                1,
                64L << 20,
                VmConfigs.DEFAULT_BOOT,
                List.of(),
                adapters,
                null,
                "",
                Instant.EPOCH,
                Instant.EPOCH);
    }

    private static SwitchService switches(SwitchService.HostAccess access) throws IOException {
        SwitchService s = new SwitchService(
                new SwitchStore(TestService.tempDir(), Json.mapper()), access, List::of, Clock.systemUTC());
        s.load();
        return s;
    }

    @Test
    void adaptersBecomePortsAndAMissingBridgeIsBuiltAgain() throws Exception {
        assumeTrue(SwitchHost.unavailable().isEmpty(), () -> SwitchHost.unavailable()
                .orElse(""));
        SwitchService s = switches(SwitchService.HostAccess.shared());
        String name = "t-k" + UUID.randomUUID().toString().substring(0, 6);
        try {
            s.create(new SwitchRequest(name, "private", null, null, null));
            SwitchHost.system().remove(name); // gone behind the service's back
            List<VmSpec.NetworkAdapter> ports = KvmEngine.networkAdapters(
                    vm(List.of(
                            new NetworkAdapter("lan", name, "00:15:5D:AA:BB:01", 7, true, false, true, 1_000_000L),
                            new NetworkAdapter("spare", null, "00:15:5D:AA:BB:02"))),
                    s);
            assertThat(ports).hasSize(1);
            assertThat(ports.getFirst().switchName()).isEqualTo(name);
            PortSpec p = ports.getFirst().port();
            assertThat(p.mac()).isEqualTo("00:15:5d:aa:bb:01");
            assertThat(p.vlan()).isEqualTo(PortSpec.Vlan.access(7));
            assertThat(p.macSpoofGuard()).isTrue();
            assertThat(p.dhcpGuard()).isFalse();
            assertThat(p.routerGuard()).isTrue();
            assertThat(p.maxBitsPerSecond()).isEqualTo(1_000_000L);
            assertThat(Files.exists(Path.of("/sys/class/net", Names.bridge(name))))
                    .isTrue();
        } finally {
            SwitchHost.system().remove(name);
        }
    }

    @Test
    void anAdapterOnAnUndefinedSwitchIsAClearFailureAndWithoutCapNetAdminTheVmStartsUnplugged() throws Exception {
        SwitchService none = switches(new SwitchService.HostAccess(SwitchHost.system(), false, Optional.empty()));
        assertThatThrownBy(() -> KvmEngine.networkAdapters(
                        vm(List.of(new NetworkAdapter("lan", "t-undefined", "00:15:5D:AA:BB:01"))), none))
                .hasMessageContaining("switch 't-undefined', which is not defined");
        SwitchService unavailable =
                switches(new SwitchService.HostAccess(SwitchHost.system(), false, Optional.of("no CAP_NET_ADMIN")));
        // A host that cannot make switches still runs the VM, its adapters disconnected (the service logs why).
        assertThat(KvmEngine.networkAdapters(
                        vm(List.of(new NetworkAdapter("lan", "nat", "00:15:5D:AA:BB:01"))), unavailable))
                .isEmpty();
        assertThat(unavailable.defined("nat")).isFalse();
        assertThat(KvmEngine.networkAdapters(vm(List.of(new NetworkAdapter("x", null, "00:15:5D:AA:BB:03"))), null))
                .isEmpty();
    }
}
