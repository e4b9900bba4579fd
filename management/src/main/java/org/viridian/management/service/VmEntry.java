package org.viridian.management.service;

import org.viridian.management.config.VmConfig;
import org.viridian.management.state.VmStatus;

/** One VM the service owns: its definition, its state, its console, and its running instance while it runs. */
final class VmEntry {
    final ConsoleBuffer console = new ConsoleBuffer();
    VmConfig config;
    VmStatus status;
    RunningVm running;
    /** Held while the VM's network adapters change (taken before the service's and this entry's locks). */
    final Object adapterChanges = new Object();
    /** Set by reset: the exit that follows is the first half of a power cycle. */
    boolean resetting;

    VmEntry(VmConfig config, VmStatus status) {
        this.config = config;
        this.status = status;
    }

    VmView view() {
        return new VmView(config, status, running == null ? null : running.integration());
    }
}
