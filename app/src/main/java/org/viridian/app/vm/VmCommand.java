package org.viridian.app.vm;

import picocli.CommandLine.Command;

/** Placeholder registration, replaced by the owner of this package. */
@Command(name = "vm", mixinStandardHelpOptions = true, description = "Manage VMs through the host service.")
public final class VmCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'vm' is not available in this build yet");
    }
}
