package org.viridian.management.resources;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Cgroup v1: the cpu, cpuset and memory controllers, each in its own hierarchy (or cpu with cpuacct), so a VM's group is
 * a directory in each. A new cpuset group starts with no CPUs and no memory nodes and takes no tasks until given them,
 * so the parent's are copied in first.
 */
public final class CgroupV1 implements Cgroups {
    private final Path cpu, cpuset, memory;

    public CgroupV1(Path cpu, Path cpuset, Path memory) {
        this.cpu = cpu;
        this.cpuset = cpuset;
        this.memory = memory;
    }

    @Override
    public String mechanism() {
        return "cgroup v1";
    }

    @Override
    public VmCgroup create(String name, long pid, CgroupValues values) throws IOException {
        Cgroups.mkdir(cpu.resolve(PARENT));
        Cgroups.mkdir(memory.resolve(PARENT));
        Path cpusetParent = cpuset.resolve(PARENT);
        if (Cgroups.mkdir(cpusetParent)) inheritCpuset(cpuset, cpusetParent);
        Path cs = cpusetParent.resolve(name);
        List<Path> dirs = List.of(
                cpu.resolve(PARENT).resolve(name), cs, memory.resolve(PARENT).resolve(name));
        Group g = new Group(PARENT + "/" + name, dirs, cpusetParent);
        return g.populate(pid, values, () -> {
            for (Path d : dirs) Cgroups.mkdir(d);
            inheritCpuset(cpusetParent, cs);
        });
    }

    private static void inheritCpuset(Path from, Path to) throws IOException {
        Cgroups.write(to.resolve("cpuset.cpus"), Cgroups.read(from.resolve("cpuset.cpus")));
        Cgroups.write(to.resolve("cpuset.mems"), Cgroups.read(from.resolve("cpuset.mems")));
    }

    static final class Group extends VmCgroup {
        private final Path cpu, cpuset, memory, cpusetParent;

        Group(String name, List<Path> dirs, Path cpusetParent) {
            super(name, dirs);
            this.cpu = dirs.get(0);
            this.cpuset = dirs.get(1);
            this.memory = dirs.get(2);
            this.cpusetParent = cpusetParent;
        }

        @Override
        public void apply(CgroupValues v) throws IOException {
            Cgroups.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(v.periodUs()));
            Cgroups.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(v.quotaUs()));
            Cgroups.write(cpu.resolve("cpu.shares"), Long.toString(v.shares()));
            String cpus = v.cpus() != null ? v.cpus() : Cgroups.read(cpusetParent.resolve("cpuset.cpus"));
            Cgroups.write(cpuset.resolve("cpuset.cpus"), cpus);
            Cgroups.write(
                    memory.resolve("memory.limit_in_bytes"), v.memoryMax() == 0 ? "-1" : Long.toString(v.memoryMax()));
        }
    }
}
