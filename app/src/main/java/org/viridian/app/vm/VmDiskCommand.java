package org.viridian.app.vm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `viridian vm disk attach|detach`: disks of a VM that is off. */
@Command(
        name = "disk",
        mixinStandardHelpOptions = true,
        description = "Attach or detach a VM's disks (VM off, or running: hot add/remove).",
        subcommands = {VmDiskCommand.Attach.class, VmDiskCommand.Detach.class})
final class VmDiskCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(
            name = "attach",
            mixinStandardHelpOptions = true,
            description = "Attach a disk image on the service's host.")
    static final class Attach extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "PATH")
        Path image;

        @Option(names = "--slot", description = "Controller slot (default: the first free one).")
        Integer slot;

        @Option(names = "--read-only")
        boolean readOnly;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("path", image.toAbsolutePath().toString());
            if (slot != null) r.put("slot", slot);
            r.put("readOnly", readOnly);
            printVm(c.post(path(vm) + "/disks", r), c);
            return 0;
        }
    }

    @Command(name = "detach", mixinStandardHelpOptions = true, description = "Detach the disk in a slot.")
    static final class Detach extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "SLOT")
        int slot;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            printVm(c.delete(path(vm) + "/disks/" + slot), c);
            return 0;
        }
    }
}
