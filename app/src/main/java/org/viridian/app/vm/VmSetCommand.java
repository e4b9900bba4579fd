package org.viridian.app.vm;

import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `viridian vm set VM …`: changes the given settings, keeps the others. */
@Command(
        name = "set",
        mixinStandardHelpOptions = true,
        description = "Change a VM's settings (processors, memory and boot only while it is off; resource controls "
                + "reach a running VM at once).")
final class VmSetCommand extends VmSubcommand {
    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = "--name", description = "Rename the VM.")
    String newName;

    @Mixin
    VmSettings settings;

    @Mixin
    HighAvailabilityOptions ha;

    @Mixin
    VncOptions vnc;

    @Override
    public Integer call() {
        ServiceClient c = connection.client();
        Map<String, Object> r = settings.request(newName);
        if (r.isEmpty() && !ha.given() && !vnc.given())
            throw new IllegalArgumentException(Messages.get("error.nothingToChange"));
        ha.apply(c, vm);
        printVm(r.isEmpty() ? c.get(path(vm)) : c.patch(path(vm), r), c);
        if (!connection.json) vnc.apply(c, vm, out());
        else vnc.apply(c, vm, new java.io.PrintWriter(java.io.Writer.nullWriter()));
        return 0;
    }
}
