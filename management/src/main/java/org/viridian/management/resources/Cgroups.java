package org.viridian.management.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host's cgroup hierarchy as far as VMs need it: cgroup v2 where the unified hierarchy has the cpu, cpuset and
 * memory controllers, else v1 where those three are mounted, else none (with the reason). Each VM's process gets a
 * group {@code viridian/vm-<id>}.
 */
public sealed interface Cgroups permits CgroupV1, CgroupV2, Cgroups.Unavailable {
    String PARENT = "viridian";
    List<String> CONTROLLERS = List.of("cpu", "cpuset", "memory");

    /** "cgroup v1" or "cgroup v2". */
    String mechanism();

    /** Makes the group {@code viridian/<name>}, sets {@code values} and moves the process {@code pid} into it. */
    VmCgroup create(String name, long pid, CgroupValues values) throws IOException;

    /** No cgroups this service can use, and why. */
    record Unavailable(String reason) implements Cgroups {
        @Override
        public String mechanism() {
            return "none";
        }

        @Override
        public VmCgroup create(String name, long pid, CgroupValues values) throws IOException {
            throw new IOException(reason);
        }
    }

    /** This host's hierarchy, from /proc/self/mounts. */
    static Cgroups detect() {
        return detect(Path.of("/proc/self/mounts"));
    }

    static Cgroups detect(Path mounts) {
        List<String> lines;
        try {
            lines = Files.readAllLines(mounts);
        } catch (IOException e) {
            return new Unavailable("cannot read " + mounts + ": " + e.getMessage());
        }
        Map<String, Path> v1 = new HashMap<>();
        Map<String, Boolean> readOnly = new HashMap<>();
        Path v2 = null;
        boolean v2ReadOnly = false;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length < 4) continue;
            Set<String> options = Set.of(f[3].split(","));
            Path at = Path.of(f[1].replace("\\040", " "));
            if (f[2].equals("cgroup2") && at.equals(Path.of("/sys/fs/cgroup"))) {
                v2 = at;
                v2ReadOnly = options.contains("ro");
            } else if (f[2].equals("cgroup")) {
                for (String c : CONTROLLERS) {
                    if (options.contains(c)) {
                        v1.put(c, at);
                        readOnly.put(c, options.contains("ro"));
                    }
                }
            }
        }
        if (v2 != null && CgroupV2.controllers(v2).containsAll(CONTROLLERS)) {
            if (v2ReadOnly) return new Unavailable("the cgroup v2 hierarchy at " + v2 + " is mounted read-only");
            return new CgroupV2(v2);
        }
        if (v1.keySet().containsAll(CONTROLLERS)) {
            for (String c : CONTROLLERS) {
                if (readOnly.get(c)) return new Unavailable("the cgroup v1 " + c + " hierarchy is mounted read-only");
            }
            return new CgroupV1(v1.get("cpu"), v1.get("cpuset"), v1.get("memory"));
        }
        return new Unavailable("the host has neither a cgroup v2 hierarchy at /sys/fs/cgroup with the cpu, cpuset "
                + "and memory controllers nor cgroup v1 hierarchies for them");
    }

    /** Writes a cgroup file; the error names the file, the group and the value. */
    static void write(Path file, String value) throws IOException {
        try {
            Files.writeString(file, value + "\n");
        } catch (IOException e) {
            String why = e.getMessage();
            if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) why = fs.getReason();
            throw new IOException(
                    "cannot write '" + value + "' to " + file.getFileName() + " of " + file.getParent() + ": " + why,
                    e);
        }
    }

    static String read(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    /** Makes {@code dir} if it is not there yet (another VM's start may make it at the same time). */
    static boolean mkdir(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
            return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            String why = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                    ? fs.getReason()
                    : e.toString();
            throw new IOException("cannot make the cgroup " + dir + ": " + why, e);
        }
    }
}
