package org.viridian.management.resources;

import java.io.IOException;
import java.util.OptionalLong;
import java.util.UUID;
import org.viridian.management.config.ResourceControls;

/**
 * The resource controls of one running VM: its process's cgroup, made at start, changed with its settings and removed
 * when the process exits. A VM without a process of its own, or on a host without usable cgroups, still runs; its
 * {@link #status()} says why nothing holds it.
 */
public final class VmResourceControls implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VmResourceControls.class.getName());
    private final VmCgroup group;
    private final int vps;
    private volatile ControlsStatus status;
    /** The VM's process while it may still run; its exit removes the group. */
    private volatile ProcessHandle process;

    private VmResourceControls(VmCgroup group, int vps, ControlsStatus status) {
        this.group = group;
        this.vps = vps;
        this.status = status;
    }

    /** Puts the process {@code pid} (empty: the VM runs in the service's process) under {@code controls}. */
    public static VmResourceControls start(
            Cgroups cgroups, UUID vm, OptionalLong pid, ResourceControls controls, int vps) {
        if (pid.isEmpty())
            return new VmResourceControls(null, vps, ControlsStatus.notApplied(ControlsStatus.IN_PROCESS));
        if (cgroups instanceof Cgroups.Unavailable u) {
            return new VmResourceControls(
                    null, vps, ControlsStatus.notApplied("resource controls are not applied: " + u.reason()));
        }
        VmCgroup g;
        try {
            g = cgroups.create("vm-" + vm, pid.getAsLong(), CgroupValues.of(controls, vps));
        } catch (IOException e) {
            return new VmResourceControls(
                    null, vps, ControlsStatus.notApplied("resource controls are not applied: " + e.getMessage()));
        }
        VmResourceControls c =
                new VmResourceControls(g, vps, new ControlsStatus(true, cgroups.mechanism(), g.name(), null));
        // The group goes with the process: a worker reports its VM's end before its JVM has exited, so a close before
        // then leaves the removal to the process's exit (a group with tasks cannot be removed).
        ProcessHandle.of(pid.getAsLong()).ifPresent(h -> {
            c.process = h;
            h.onExit().thenRun(() -> {
                c.process = null;
                c.close();
            });
        });
        return c;
    }

    public ControlsStatus status() {
        return status;
    }

    /** Whether settings changes reach the VM (it has a cgroup). */
    public boolean active() {
        return group != null;
    }

    /** Changes the running VM's controls; on a failure the caller puts the old ones back. */
    public void apply(ResourceControls controls) throws IOException {
        if (group == null) return;
        try {
            group.apply(CgroupValues.of(controls, vps));
            status = new ControlsStatus(true, status.mechanism(), group.name(), null);
        } catch (IOException e) {
            status = new ControlsStatus(false, status.mechanism(), group.name(), e.getMessage());
            throw e;
        }
    }

    /** Removes the group, now or when its process exits; once removed, a call does nothing. */
    @Override
    public synchronized void close() {
        if (group == null) return;
        ProcessHandle p = process;
        if (p != null && p.isAlive()) return;
        try {
            group.remove();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }
}
