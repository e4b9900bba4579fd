package org.viridian.management.service;

import org.viridian.management.config.VmConfig;
import org.viridian.management.state.VmStatus;

/** A consistent snapshot of one VM: definition, state and, while it runs, what its integration services know. */
public record VmView(VmConfig config, VmStatus status, GuestIntegration guest) {
    public VmView(VmConfig config, VmStatus status) {
        this(config, status, null);
    }
}
