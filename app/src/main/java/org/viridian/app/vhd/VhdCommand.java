package org.viridian.app.vhd;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `viridian vhd`: the virtual-disk tools over the storage library. Formats follow the file extensions (.vhd, .vhdx,
 * .img/.raw, .qcow2, .vmdk) unless an option names them; reading detects the format from the content.
 */
@Command(
        name = "vhd",
        mixinStandardHelpOptions = true,
        description = "Virtual disks: create, info, check, convert, resize, compact, merge, set-parent, bench (VHD, "
                + "VHDX, raw; qcow2 and VMDK read).",
        subcommands = {
            VhdCreate.class,
            VhdInfo.class,
            VhdCheck.class,
            VhdConvert.class,
            VhdResize.class,
            VhdCompact.class,
            VhdMerge.class,
            VhdSetParent.class,
            VhdBench.class
        })
public final class VhdCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
