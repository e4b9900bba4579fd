package org.viridian.management.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.ResourceControls;

/**
 * The cgroup code on this host's real hierarchy (v1 here: cpu, cpuset and memory each mounted on its own) holding a
 * real busy process: the limit holds its CPU time near half of one CPU, the other settings read back from the
 * kernel's files, and the group goes when the process does.
 */
class CgroupsV1Test {
    private final Cgroups cgroups = Cgroups.detect();
    private Process busy;

    @BeforeEach
    void spin() throws IOException {
        assumeThat(cgroups)
                .as("this host has no usable cgroups: %s", cgroups)
                .isNotInstanceOf(Cgroups.Unavailable.class);
        busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
    }

    @AfterEach
    void kill() throws InterruptedException {
        if (busy != null) {
            busy.destroyForcibly();
            busy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFiftyPercentLimitHoldsABusyProcessNearHalfACpu() throws Exception {
        UUID id = UUID.randomUUID();
        // The highest weight, so that the host's other work (this machine's load runs to 10 on 2 CPUs) cannot starve
        // the process below its limit: the limit is then what holds it.
        var controls = VmResourceControls.start(
                cgroups, id, OptionalLong.of(busy.pid()), new ResourceControls(null, 50, 0, 10000, 0), 1);
        assertThat(controls.status().applied()).as(controls.status().reason()).isTrue();
        assertThat(controls.status().group()).isEqualTo("viridian/vm-" + id);
        try (var favoured = favourTheParent()) {
            double share = cpuShare(busy.pid(), Duration.ofSeconds(3));
            System.out.printf("CPU time / wall time under a 50 %% limit: %.3f%n", share);
            assertThat(share).as("CPU time / wall time under a 50 %% limit").isBetween(0.40, 0.60);

            // Changed while it runs: a quarter.
            controls.apply(new ResourceControls(null, 25, 0, 10000, 0));
            assertThat(cpuShare(busy.pid(), Duration.ofSeconds(2))).isBetween(0.15, 0.35);
        }
    }

    /**
     * Raises the VMs' parent group's weight against the host's other tasks for the test's span (cgroup v1's root
     * weighs each task at nice 0 as 1024 and the parent as its cpu.shares), putting the old weight back after.
     */
    private AutoCloseable favourTheParent() throws IOException {
        if (!(cgroups instanceof CgroupV1)) return () -> {};
        Path shares = mountOf("cpu").resolve(Cgroups.PARENT).resolve("cpu.shares");
        String old = Files.readString(shares).strip();
        Files.writeString(shares, "262144\n");
        return () -> Files.writeString(shares, old + "\n");
    }

    @Test
    void weightAffinityAndMemoryLimitReadBackAndTheGroupGoesWithTheProcess() throws Exception {
        UUID id = UUID.randomUUID();
        var controls = VmResourceControls.start(
                cgroups, id, OptionalLong.of(busy.pid()), new ResourceControls("0", 100, 0, 200, 1L << 30), 2);
        assertThat(controls.status().applied()).as(controls.status().reason()).isTrue();
        assertThat(controls.status().mechanism()).isEqualTo(cgroups.mechanism());
        var group = groupDirs(id);
        if (cgroups instanceof CgroupV1) {
            assertThat(read(group.cpu(), "cpu.cfs_quota_us")).isEqualTo("-1");
            assertThat(read(group.cpu(), "cpu.shares")).isEqualTo("2048");
            assertThat(read(group.cpuset(), "cpuset.cpus")).isEqualTo("0");
            assertThat(read(group.memory(), "memory.limit_in_bytes")).isEqualTo(Long.toString(1L << 30));
            assertThat(read(group.cpu(), "cgroup.procs")).contains(Long.toString(busy.pid()));
        } else {
            assertThat(read(group.cpu(), "cpu.max")).isEqualTo("max 100000");
            assertThat(read(group.cpu(), "cpu.weight")).isEqualTo("200");
            assertThat(read(group.cpu(), "cpuset.cpus")).isEqualTo("0");
            assertThat(read(group.cpu(), "memory.max")).isEqualTo(Long.toString(1L << 30));
        }
        // The kernel holds the process to it: its allowed CPUs are the affinity.
        assertThat(status(busy.pid(), "Cpus_allowed_list")).isEqualTo("0");

        // Two VPs at 75 %: one and a half CPUs' worth.
        controls.apply(new ResourceControls(null, 75, 0, 100, 0));
        if (cgroups instanceof CgroupV1) {
            assertThat(read(group.cpu(), "cpu.cfs_quota_us")).isEqualTo("150000");
            assertThat(read(group.cpu(), "cpu.shares")).isEqualTo("1024");
            assertThat(read(group.memory(), "memory.limit_in_bytes")).isNotEqualTo(Long.toString(1L << 30));
        }
        if (HostResources.read().logicalProcessors() > 1)
            assertThat(status(busy.pid(), "Cpus_allowed_list")).isNotEqualTo("0");

        busy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (group.dirs().stream().anyMatch(Files::exists) && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(group.dirs()).noneMatch(Files::exists);
    }

    @Test
    void aSettingTheKernelRefusesIsReportedAndTheVmStillHasItsGroup() throws Exception {
        UUID id = UUID.randomUUID();
        var controls = VmResourceControls.start(cgroups, id, OptionalLong.of(busy.pid()), ResourceControls.DEFAULT, 1);
        assertThat(controls.status().applied()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> controls.apply(new ResourceControls("4000", 100, 0, 100, 0)))
                .hasMessageContaining("cpuset.cpus");
        assertThat(controls.status().applied()).isFalse();
        assertThat(controls.status().reason()).contains("cannot write '4000' to cpuset.cpus");
        controls.apply(ResourceControls.DEFAULT);
        assertThat(controls.status().applied()).isTrue();
    }

    @Test
    void aVmWithoutItsOwnProcessSaysSo() {
        var controls =
                VmResourceControls.start(cgroups, UUID.randomUUID(), OptionalLong.empty(), ResourceControls.DEFAULT, 1);
        assertThat(controls.status().applied()).isFalse();
        assertThat(controls.status().reason()).startsWith("resource controls apply to VMs in worker processes");
        assertThat(controls.active()).isFalse();
    }

    /** The process's CPU time over {@code window} (from /proc/PID/schedstat, in ns) divided by the wall time. */
    static double cpuShare(long pid, Duration window) throws IOException, InterruptedException {
        long cpu0 = schedNanos(pid), wall0 = System.nanoTime();
        Thread.sleep(window.toMillis());
        long cpu1 = schedNanos(pid), wall1 = System.nanoTime();
        return (double) (cpu1 - cpu0) / (wall1 - wall0);
    }

    private static long schedNanos(long pid) throws IOException {
        return Long.parseLong(
                Files.readString(Path.of("/proc/" + pid + "/schedstat")).split(" ")[0]);
    }

    private static String status(long pid, String key) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith(key + ":"))
                .map(l -> l.substring(key.length() + 1).strip())
                .findFirst()
                .orElseThrow();
    }

    private static String read(Path dir, String file) throws IOException {
        return Files.readString(dir.resolve(file)).strip();
    }

    /** Where the VM's group is in each hierarchy (v2: one directory for all). */
    record GroupDirs(Path cpu, Path cpuset, Path memory) {
        java.util.List<Path> dirs() {
            return java.util.List.of(cpu, cpuset, memory);
        }
    }

    private GroupDirs groupDirs(UUID id) {
        String g = Cgroups.PARENT + "/vm-" + id;
        if (cgroups instanceof CgroupV2) {
            Path d = Path.of("/sys/fs/cgroup").resolve(g);
            return new GroupDirs(d, d, d);
        }
        return new GroupDirs(
                mountOf("cpu").resolve(g),
                mountOf("cpuset").resolve(g),
                mountOf("memory").resolve(g));
    }

    private static Path mountOf(String controller) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f[2].equals("cgroup") && java.util.Set.of(f[3].split(",")).contains(controller))
                    return Path.of(f[1]);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("no cgroup v1 hierarchy for " + controller);
    }
}
