package org.viridian.management.service;

import org.viridian.management.config.VmConfig;
import org.viridian.management.resources.ControlsStatus;
import org.viridian.management.state.VmStatus;

/**
 * A consistent snapshot of one VM: definition, state and, while it runs, what its integration services know and
 * whether its resource controls hold.
 */
public record VmView(VmConfig config, VmStatus status, GuestIntegration guest, ControlsStatus controls) {
    public VmView(VmConfig config, VmStatus status) {
        this(config, status, null, null);
    }

    public VmView(VmConfig config, VmStatus status, GuestIntegration guest) {
        this(config, status, guest, null);
    }
}
