package org.viridian.management.service;

import org.viridian.management.config.VmConfig;
import org.viridian.management.resources.VmResourceControls;
import org.viridian.management.state.VmStatus;

/** One VM the service owns: its definition, its state, its console, and its running instance while it runs. */
final class VmEntry {
    final ConsoleBuffer console = new ConsoleBuffer();
    /** Volatile: admission reads other VMs' under the service lock alone (their locks may be held by event subscribers). */
    volatile VmConfig config;

    volatile VmStatus status;
    RunningVm running;
    /** The running VM's cgroup (or why it has none); null while it does not run. */
    VmResourceControls controls;
    /** Held while the VM's network adapters change (taken before the service's and this entry's locks). */
    final Object adapterChanges = new Object();
    /** Set once a save has written the VM's state: the exit that follows leaves the VM saved, not off. */
    boolean saved;
    /** What holds the VM's files now (an export copying them), or null: the VM cannot start or change meanwhile. */
    String busy;
    /** Set by reset: the exit that follows is the first half of a power cycle. */
    boolean resetting;

    VmEntry(VmConfig config, VmStatus status) {
        this.config = config;
        this.status = status;
    }

    VmView view() {
        return new VmView(
                config,
                status,
                running == null ? null : running.integration(),
                controls == null ? null : controls.status());
    }
}
