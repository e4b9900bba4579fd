package org.viridian.app.vm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `viridian vm disk attach|set|detach`: a VM's disks and their IOPS/bandwidth limits (Add-VMHardDiskDrive,
 * Set-VMHardDiskDrive -MaximumIOPS, Remove-VMHardDiskDrive).
 */
@Command(
        name = "disk",
        mixinStandardHelpOptions = true,
        description = "Attach or detach a VM's disks (VM off, or running: hot add/remove) and set their I/O limits.",
        subcommands = {VmDiskCommand.Attach.class, VmDiskCommand.SetLimits.class, VmDiskCommand.Detach.class})
final class VmDiskCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** A bandwidth: a size per second in the project's size notation (50M), or none (0): no limit. */
    static final class Rate implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return value.strip().equalsIgnoreCase("none") ? 0L : ByteSize.parse(value);
        }
    }

    /** The limit options `attach` and `set` share; absent ones are left out of the request. */
    static final class Limits {
        @Option(names = "--max-iops", paramLabel = "N", description = "At most N operations per second (0: no limit).")
        Long maxIops;

        @Option(
                names = "--max-bandwidth",
                paramLabel = "RATE",
                converter = Rate.class,
                description = "At most RATE bytes per second, e.g. 50M (0 or none: no limit).")
        Long maxBandwidth;

        void into(Map<String, Object> r) {
            if (maxIops != null) r.put("maxIops", maxIops);
            if (maxBandwidth != null) r.put("maxBytesPerSecond", maxBandwidth);
        }
    }

    @Command(
            name = "attach",
            aliases = "add",
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

        @Mixin
        Limits limits;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("path", image.toAbsolutePath().toString());
            if (slot != null) r.put("slot", slot);
            r.put("readOnly", readOnly);
            limits.into(r);
            printVm(c.post(path(vm) + "/disks", r), c);
            return 0;
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = "Change the I/O limits of the disk in a slot (a running VM's disk takes them at once).")
    static final class SetLimits extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "SLOT")
        int slot;

        @Mixin
        Limits limits;

        @Override
        public Integer call() {
            Map<String, Object> r = new LinkedHashMap<>();
            limits.into(r);
            if (r.isEmpty()) throw new IllegalArgumentException(Messages.get("error.diskSetNothing"));
            ServiceClient c = connection.client();
            printVm(c.patch(path(vm) + "/disks/" + slot, r), c);
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
