package org.viridian.management.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One VM's cgroup (one directory per hierarchy: three under v1, one under v2): settings changed while it runs, and
 * removed once its process has left it.
 */
public abstract sealed class VmCgroup permits CgroupV1.Group, CgroupV2.Group {
    private final String name;
    private final List<Path> dirs;

    VmCgroup(String name, List<Path> dirs) {
        this.name = name;
        this.dirs = List.copyOf(dirs);
    }

    /** "viridian/vm-<id>". */
    public String name() {
        return name;
    }

    /** The group's directories, one per hierarchy. */
    public List<Path> dirs() {
        return dirs;
    }

    /**
     * Makes the group ({@code setUp}: its directories), writes {@code values} and moves {@code pid} into it; on a failure
     * the group goes again, as far as it can, and the failure is thrown.
     */
    final VmCgroup populate(long pid, CgroupValues values, SetUp setUp) throws IOException {
        try {
            setUp.run();
            apply(values);
            for (Path d : dirs) Cgroups.write(d.resolve("cgroup.procs"), Long.toString(pid));
        } catch (IOException | RuntimeException e) {
            try {
                remove();
            } catch (IOException ignored) {
                // the group may hold the process already; it goes when the process does
            }
            throw e;
        }
        return this;
    }

    /** What makes a group's directories. */
    interface SetUp {
        void run() throws IOException;
    }

    /** Writes the settings; on a failure the ones before it stay written. */
    public abstract void apply(CgroupValues values) throws IOException;

    /**
     * Removes the group. Its process must have exited (a cgroup with tasks cannot be removed): the kernel moves a task
     * out of its cgroups only once it is reaped, so a busy group is retried for a second.
     */
    public void remove() throws IOException {
        for (Path d : dirs) {
            for (int attempt = 0; Files.exists(d); attempt++) {
                try {
                    Files.delete(d);
                } catch (IOException e) {
                    if (attempt >= 20)
                        throw new IOException("cannot remove the cgroup " + d + ": " + e.getMessage(), e);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted removing the cgroup " + d, x);
                    }
                }
            }
        }
    }
}
