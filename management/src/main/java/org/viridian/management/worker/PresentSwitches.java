package org.viridian.management.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.viridian.management.service.SwitchPorts;
import org.viridian.vswitch.Names;

/**
 * A worker's view of the host's virtual switches: the service defines them and makes them present before it asks the
 * worker to plug an adapter in (at start and on hot add), so the worker only checks that the bridge is there.
 */
record PresentSwitches(Optional<String> unavailable) implements SwitchPorts {
    @Override
    public void forVm(String vmName, String name) throws IOException {
        if (unavailable.isPresent())
            throw new IOException(
                    "VM '" + vmName + "' has a network adapter on switch '" + name + "', but " + unavailable.get());
        if (!Files.exists(Path.of("/sys/class/net", Names.bridge(name))))
            throw new IOException("switch '" + name + "' is not present on the host (its bridge " + Names.bridge(name)
                    + " is missing)");
    }
}
