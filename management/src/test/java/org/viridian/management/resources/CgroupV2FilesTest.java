package org.viridian.management.resources;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.management.config.ResourceControls;

/**
 * What the v2 code writes, on a directory laid out as a unified hierarchy (this machine has only v1: the real v2 path
 * runs on hosts that have it). The files and their formats are the kernel's (Documentation/admin-guide/cgroup-v2.rst).
 */
class CgroupV2FilesTest {
    @TempDir
    Path root;

    @Test
    void aGroupGetsCpuMaxWeightCpusetAndMemoryMaxAndTheProcess() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        Files.writeString(root.resolve("cgroup.subtree_control"), "cpu memory\n");
        CgroupV2 v2 = new CgroupV2(root);
        VmCgroup g = v2.create("vm-x", 4242, CgroupValues.of(new ResourceControls("2-3", 50, 10, 300, 3L << 30), 2));
        Path dir = root.resolve("viridian/vm-x");
        assertThat(g.name()).isEqualTo("viridian/vm-x");
        // The root lacked cpuset among its children's controllers; the parent enables all three for the VMs' groups.
        assertThat(read(root, "cgroup.subtree_control")).isEqualTo("+cpuset");
        assertThat(read(root.resolve("viridian"), "cgroup.subtree_control")).isEqualTo("+cpu +cpuset +memory");
        // 50 % of 2 VPs: one CPU's worth per period.
        assertThat(read(dir, "cpu.max")).isEqualTo("100000 100000");
        assertThat(read(dir, "cpu.weight")).isEqualTo("300");
        assertThat(read(dir, "cpuset.cpus")).isEqualTo("2-3");
        assertThat(read(dir, "memory.max")).isEqualTo(Long.toString(3L << 30));
        assertThat(read(dir, "cgroup.procs")).isEqualTo("4242");

        g.apply(CgroupValues.of(ResourceControls.DEFAULT, 2));
        assertThat(read(dir, "cpu.max")).isEqualTo("max 100000");
        assertThat(read(dir, "cpu.weight")).isEqualTo("100");
        assertThat(read(dir, "cpuset.cpus")).isEmpty();
        assertThat(read(dir, "memory.max")).isEqualTo("max");
    }

    @Test
    void detectionPrefersAUnifiedHierarchyWithTheControllersAndElseV1() throws Exception {
        Path mounts = root.resolve("mounts");
        // This machine's layout: v1 controllers, an empty cgroup2 at /sys/fs/cgroup/unified.
        Files.writeString(
                mounts,
                """
                tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
                cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0
                cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0
                cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
                cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
                """);
        assertThat(Cgroups.detect(mounts)).isInstanceOf(CgroupV1.class);
        Files.writeString(
                mounts,
                """
                cgroup /sys/fs/cgroup/cpu cgroup ro,relatime,cpu 0 0
                cgroup /sys/fs/cgroup/cpuset cgroup ro,relatime,cpuset 0 0
                cgroup /sys/fs/cgroup/memory cgroup ro,relatime,memory 0 0
                """);
        assertThat(Cgroups.detect(mounts))
                .isEqualTo(new Cgroups.Unavailable("the cgroup v1 cpu hierarchy is mounted read-only"));
        Files.writeString(mounts, "proc /proc proc rw 0 0\n");
        assertThat(Cgroups.detect(mounts)).isInstanceOf(Cgroups.Unavailable.class);
        assertThat(((Cgroups.Unavailable) Cgroups.detect(mounts)).reason()).contains("neither a cgroup v2");
    }

    @Test
    void valuesFollowHyperVsPercentagesOfTheVmsProcessors() {
        assertThat(CgroupValues.of(new ResourceControls(null, 50, 0, 100, 0), 1).quotaUs())
                .isEqualTo(50_000);
        assertThat(CgroupValues.of(new ResourceControls(null, 25, 0, 100, 0), 4).quotaUs())
                .isEqualTo(100_000);
        assertThat(CgroupValues.of(new ResourceControls(null, 1, 0, 100, 0), 1).quotaUs())
                .isEqualTo(1_000);
        assertThat(CgroupValues.of(ResourceControls.DEFAULT, 8).quotaUs()).isEqualTo(-1);
        assertThat(CgroupValues.of(new ResourceControls(null, 100, 0, 1, 0), 1).shares())
                .isEqualTo(10);
        assertThat(CgroupValues.of(new ResourceControls(null, 100, 0, 10000, 0), 1)
                        .shares())
                .isEqualTo(102_400);
    }

    private static String read(Path dir, String file) throws Exception {
        return Files.readString(dir.resolve(file)).strip();
    }
}
