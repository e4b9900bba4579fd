package org.viridian.management.resources;

/**
 * Whether a running VM's resource controls hold: {@code applied} with the {@code mechanism} ("cgroup v1", "cgroup v2")
 * and the {@code group}, or not, and {@code reason} says why (the VM runs in the service's process, the host has no
 * cgroups this service may write, a setting the kernel refused).
 */
public record ControlsStatus(boolean applied, String mechanism, String group, String reason) {
    public static final String IN_PROCESS = "resource controls apply to VMs in worker processes; this VM runs inside "
            + "the service's process, so its settings are kept for when it runs in one";

    static ControlsStatus notApplied(String reason) {
        return new ControlsStatus(false, null, null, reason);
    }
}
