package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.VmConfig;

/** Where a clustered VM goes: preferred hosts first, then free memory; never a draining, sick or blind host. */
class PlacementTest {
    private static final long MIB = 1 << 20;
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static HostRecord host(String name, long freeMib, String health, boolean draining, String storage) {
        return new HostRecord(
                name, "http://x/", health, 8192 * MIB, freeMib * MIB, 4, storage, "/s", T0, T0, draining, Map.of());
    }

    private static ClusteredVm vm(long memoryMib, List<String> preferred) {
        VmConfig c = new VmConfig(
                UUID.randomUUID(),
                "v",
                1,
                memoryMib * MIB,
                new BootSource.DemoGuest("smp.elf", ""),
                List.of(),
                List.of(),
                null,
                "",
                T0,
                T0);
        return new ClusteredVm(c, preferred, Priority.MEDIUM, true, "S", null, null, null);
    }

    @Test
    void theMostFreeMemoryWinsWithoutPreferences() {
        var hosts = List.of(host("a", 1000, "ok", false, "S"), host("b", 3000, "ok", false, "S"));
        assertThat(Placement.target(vm(64, List.of()), hosts, Map.of(), null))
                .map(HostRecord::name)
                .contains("b");
    }

    @Test
    void preferredHostsComeFirstInTheirOrder() {
        var hosts = List.of(
                host("a", 1000, "ok", false, "S"),
                host("b", 3000, "ok", false, "S"),
                host("c", 2000, "ok", false, "S"));
        assertThat(Placement.target(vm(64, List.of("c", "a")), hosts, Map.of(), null))
                .map(HostRecord::name)
                .contains("c");
    }

    @Test
    void drainingSickBlindFullAndExcludedHostsTakeNothing() {
        var hosts = List.of(
                host("draining", 9000, "ok", true, "S"),
                host("isolated", 9000, "isolated", false, "S"),
                host("blind", 9000, "ok", false, "other"),
                host("full", 100, "ok", false, "S"),
                host("leaving", 9000, "ok", false, "S"));
        assertThat(Placement.target(vm(64, List.of()), hosts, Map.of(), "leaving"))
                .isEmpty();
    }

    @Test
    void memoryPlacedThisPassCounts() {
        var hosts = List.of(host("a", 500, "ok", false, "S"), host("b", 400, "ok", false, "S"));
        // a 64 MiB VM needs 64 MiB + 128 MiB of VMM overhead (+1/256): a has room for two, then b takes the third
        ClusteredVm v = vm(64, List.of());
        long need = org.viridian.management.resources.Admission.need(v.config());
        assertThat(Placement.target(v, hosts, Map.of("a", 2 * need), null))
                .map(HostRecord::name)
                .contains("b");
    }

    @Test
    void failbackGoesToABetterPreferredHostOnceItHasSettled() {
        ClusteredVm v = vm(64, List.of("home"));
        HostRecord justBack =
                new HostRecord("home", "u", "ok", 8192 * MIB, 4096 * MIB, 4, "S", "/s", T0, T0, false, Map.of());
        HostRecord away = host("away", 4096, "ok", false, "S");
        assertThat(Placement.failback(v, "away", List.of(justBack, away), T0.plusSeconds(1), Duration.ofSeconds(2)))
                .isEmpty();
        assertThat(Placement.failback(v, "away", List.of(justBack, away), T0.plusSeconds(3), Duration.ofSeconds(2)))
                .map(HostRecord::name)
                .contains("home");
        assertThat(Placement.failback(v, "home", List.of(justBack, away), T0.plusSeconds(3), Duration.ofSeconds(2)))
                .isEmpty();
    }
}
