package org.viridian.app.vhd;

import picocli.CommandLine.Command;

/** Placeholder registration, replaced by the owner of this package. */
@Command(name = "vhd", mixinStandardHelpOptions = true, description = "Virtual disks: create, info, check, convert (VHD, VHDX, raw, qcow2, VMDK).")
public final class VhdCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'vhd' is not available in this build yet");
    }
}
