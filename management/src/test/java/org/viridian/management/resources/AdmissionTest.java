package org.viridian.management.resources;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.ResourceControls;
import org.viridian.management.config.VmConfig;

/** Admission's arithmetic and its messages, on a host of known figures. */
class AdmissionTest {
    private static final long GiB = 1L << 30, MiB = 1L << 20;

    private static HostResources host(long total, long available, int cpus) {
        BitSet online = new BitSet();
        online.set(0, cpus);
        return new HostResources(total, available, online);
    }

    private static VmConfig vm(String name, int cpus, long memory, ResourceControls r) {
        Instant now = Instant.EPOCH;
        return new VmConfig(
                UUID.randomUUID(),
                name,
                cpus,
                memory,
                new BootSource.DemoGuest("smp.elf", ""),
                List.of(),
                List.of(),
                null,
                "",
                now,
                now,
                r);
    }

    private static VmConfig vm(String name, int cpus, long memory) {
        return vm(name, cpus, memory, ResourceControls.DEFAULT);
    }

    @Test
    void memoryTheHostCannotGiveIsRefusedNamingTheFigures() {
        HostResources h = host(24 * GiB, 20 * GiB, 8);
        List<VmConfig> running = List.of(vm("a", 1, 6 * GiB), vm("b", 1, 6 * GiB), vm("c", 1, 6 * GiB));
        // 24 GiB total, 2.4 GiB kept, 3 × (6 GiB + 128 MiB + 24 MiB) given: 3.2 GiB left.
        assertThat(new Admission(false).refusal(vm("x", 2, 8 * GiB), running, h))
                .contains("VM 'x' needs 8.2 GiB (8 GiB of memory + 160 MiB for its VMM); the host has 3.2 GiB left for"
                        + " VMs: 24 GiB total, 2.4 GiB kept for the root partition, 18.4 GiB given to 3 running VMs"
                        + " (the host service's memory over-commit setting allows it)");
        assertThat(new Admission(false).refusal(vm("x", 2, 3 * GiB), running, h))
                .isEmpty();
        assertThat(new Admission(true).refusal(vm("x", 2, 8 * GiB), running, h)).isEmpty();
    }

    @Test
    void memoryTheHostsOtherProcessesHoldIsRefusedToo() {
        HostResources h = host(16 * GiB, 1 * GiB, 4);
        assertThat(new Admission(false).refusal(vm("x", 1, 2 * GiB), List.of(), h))
                .hasValueSatisfying(
                        why -> assertThat(why).contains("the host has only 1 GiB available now (MemAvailable"));
    }

    @Test
    void processorsAreNeverOverCommittedPerVm() {
        HostResources h = host(64 * GiB, 60 * GiB, 2);
        assertThat(new Admission(true).refusal(vm("big", 4, 64 * MiB), List.of(), h))
                .contains("VM 'big' has 4 virtual processors; the host has 2 logical processors (a VM never gets more"
                        + " VPs than that)");
        assertThat(new Admission(true)
                        .refusal(vm("pinned", 1, 64 * MiB, new ResourceControls("1-3", 100, 0, 100, 0)), List.of(), h))
                .contains("VM 'pinned''s processor affinity 1-3 names CPUs the host does not have (2-3; online: 0-1)");
        VmConfig reserving = vm("r", 2, 64 * MiB, new ResourceControls(null, 100, 75, 100, 0));
        assertThat(new Admission(false).refusal(reserving, List.of(reserving), h))
                .contains("VM 'r' reserves 150 % of a processor (75 % of 2 VPs); the host has 50 % left: 2 logical"
                        + " processors (200 %), 150 % reserved by 1 running VM");
        assertThat(new Admission(false)
                        .refusal(
                                vm("s", 1, 64 * MiB, new ResourceControls(null, 100, 50, 100, 0)),
                                List.of(reserving),
                                h))
                .isEmpty();
    }

    @Test
    void theRootReserveIsATenthWithinBounds() {
        assertThat(Admission.rootReserve(2 * GiB)).isEqualTo(512 * MiB);
        assertThat(Admission.rootReserve(20 * GiB)).isEqualTo(2 * GiB);
        assertThat(Admission.rootReserve(512 * GiB)).isEqualTo(4 * GiB);
    }

    @Test
    void hostFiguresComeFromProcMeminfoAndTheOnlineCpuList(@TempDir Path dir) throws Exception {
        Path meminfo = dir.resolve("meminfo"), online = dir.resolve("online");
        Files.writeString(meminfo, "MemTotal:       24683748 kB\nMemFree:  1 kB\nMemAvailable:   24131804 kB\n");
        Files.writeString(online, "0-3,6\n");
        HostResources h = HostResources.read(meminfo, online);
        assertThat(h.memTotal()).isEqualTo(24683748L * 1024);
        assertThat(h.memAvailable()).isEqualTo(24131804L * 1024);
        assertThat(h.logicalProcessors()).isEqualTo(5);
        HostResources real = HostResources.read();
        assertThat(real.memTotal()).isPositive();
        assertThat(real.logicalProcessors()).isPositive();
    }
}
