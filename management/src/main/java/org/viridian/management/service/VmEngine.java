package org.viridian.management.service;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import org.viridian.management.config.VmConfig;

/** Builds and starts VMs from their configuration. {@link KvmEngine} is the real one. */
public interface VmEngine {
    /** Why this host cannot start VMs, or empty when it can. */
    Optional<String> unavailableReason();

    /** Builds the VM, starts its processors, and sends its serial console output to {@code console}. */
    RunningVm launch(VmConfig config, OutputStream console) throws IOException;
}
