package org.viridian.management.resources;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Cgroup v2: one unified hierarchy; a VM's group is {@code viridian/vm-<id>} under its root, and the controllers must
 * be enabled in the root's and the parent's cgroup.subtree_control for the group to have their files.
 */
public final class CgroupV2 implements Cgroups {
    private final Path root;

    public CgroupV2(Path root) {
        this.root = root;
    }

    @Override
    public String mechanism() {
        return "cgroup v2";
    }

    /** The controllers the hierarchy at {@code dir} offers (its cgroup.controllers), empty where unreadable. */
    static Set<String> controllers(Path dir) {
        try {
            return Arrays.stream(Cgroups.read(dir.resolve("cgroup.controllers")).split("\\s+"))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            return Set.of();
        }
    }

    @Override
    public VmCgroup create(String name, long pid, CgroupValues values) throws IOException {
        Path parent = root.resolve(PARENT);
        enableControllers(root);
        Cgroups.mkdir(parent);
        enableControllers(parent);
        Path dir = parent.resolve(name);
        Group g = new Group(PARENT + "/" + name, dir);
        return g.populate(pid, values, () -> Cgroups.mkdir(dir));
    }

    /** Turns on cpu, cpuset and memory for {@code dir}'s children where they are not on yet. */
    private static void enableControllers(Path dir) throws IOException {
        Path control = dir.resolve("cgroup.subtree_control");
        String on;
        try {
            on = Cgroups.read(control);
        } catch (IOException e) {
            on = "";
        }
        Set<String> enabled = Set.of(on.split("\\s+"));
        List<String> missing =
                CONTROLLERS.stream().filter(c -> !enabled.contains(c)).toList();
        if (!missing.isEmpty())
            Cgroups.write(control, missing.stream().map(c -> "+" + c).collect(Collectors.joining(" ")));
    }

    static final class Group extends VmCgroup {
        private final Path dir;

        Group(String name, Path dir) {
            super(name, List.of(dir));
            this.dir = dir;
        }

        @Override
        public void apply(CgroupValues v) throws IOException {
            Cgroups.write(
                    dir.resolve("cpu.max"),
                    (v.quotaUs() < 0 ? "max" : Long.toString(v.quotaUs())) + " " + v.periodUs());
            Cgroups.write(dir.resolve("cpu.weight"), Integer.toString(v.weight()));
            // An empty cpuset.cpus is the parent's CPUs.
            Cgroups.write(dir.resolve("cpuset.cpus"), v.cpus() == null ? "" : v.cpus());
            Cgroups.write(dir.resolve("memory.max"), v.memoryMax() == 0 ? "max" : Long.toString(v.memoryMax()));
        }
    }
}
