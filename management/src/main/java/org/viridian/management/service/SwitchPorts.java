package org.viridian.management.service;

import java.io.IOException;
import java.util.Optional;

/**
 * What an engine needs of the host's virtual switches to plug a VM's adapters in: whether switches can be had here, and
 * that the switch an adapter names is present on the host. {@link SwitchService} is the real one; a worker process gets
 * switches the service has already made present.
 */
public interface SwitchPorts {
    /** Why switches cannot be made on this host (empty: they can). */
    Optional<String> unavailable();

    /** Makes the switch {@code name} present on the host for an adapter of VM {@code vmName}, or says why not. */
    void forVm(String vmName, String name) throws IOException;
}
