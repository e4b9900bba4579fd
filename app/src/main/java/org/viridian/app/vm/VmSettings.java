package org.viridian.app.vm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The settings `vm create` and `vm set` share, turned into the API's VM request (absent options stay absent). */
final class VmSettings {
    @Option(names = "--cpus", description = "Virtual processors.")
    Integer cpus;

    @Option(names = "--memory", description = "Memory, e.g. 64M, 2G.", converter = ByteSize.class)
    Long memory;

    @ArgGroup(exclusive = true)
    Boot boot;

    static final class Boot {
        @Option(
                names = "--guest",
                description = "Boot a built-in guest (smp.elf, hello.elf, cpl3.elf, exceptions.elf, "
                        + "poweroff.elf, fault.elf).")
        String guest;

        @ArgGroup(exclusive = false)
        Kernel kernel;
    }

    static final class Kernel {
        @Option(
                names = "--kernel",
                required = true,
                description = "Kernel file on the service's host (Multiboot ELF, bzImage, vmlinux).")
        Path kernel;

        @Option(names = "--initrd", description = "Initial ramdisk.")
        Path initrd;
    }

    @Option(names = "--cmdline", description = "Kernel or guest command line.")
    String cmdline;

    @Option(
            names = "--nic",
            paramLabel = "SWITCH",
            description = "Add a network adapter connected to SWITCH (repeatable).")
    List<String> nics;

    @Option(names = "--notes", description = "Free text.")
    String notes;

    @Option(
            names = "--processor-affinity",
            paramLabel = "CPUS",
            description = "Host CPUs the VM may run on, e.g. 0-3,6 (\"\" for all).")
    String processorAffinity;

    @Option(
            names = "--cpu-limit",
            paramLabel = "PERCENT",
            description = "At most this percentage of the VM's processors' capacity (Hyper-V's virtual machine limit; "
                    + "50 on 2 processors is one host CPU's worth).")
    Integer cpuLimit;

    @Option(
            names = "--cpu-reserve",
            paramLabel = "PERCENT",
            description = "Percentage of the VM's processors' capacity kept for it (admitted at start).")
    Integer cpuReserve;

    @Option(
            names = "--cpu-weight",
            paramLabel = "WEIGHT",
            description = "Relative weight against other VMs, 1-10000 (default 100).")
    Integer cpuWeight;

    @Option(
            names = "--memory-limit",
            paramLabel = "SIZE",
            description = "Ceiling on the VM's whole process, e.g. 2G (none: no limit).")
    String memoryLimit;

    Map<String, Object> request(String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (name != null) r.put("name", name);
        if (cpus != null) r.put("cpus", cpus);
        if (memory != null) r.put("memory", memory);
        if (boot != null && boot.guest != null) {
            r.put("boot", bootMap("demo", "guest", boot.guest));
        } else if (boot != null && boot.kernel != null) {
            Map<String, Object> b = bootMap(
                    "kernel", "kernel", boot.kernel.kernel.toAbsolutePath().toString());
            if (boot.kernel.initrd != null)
                b.put("initrd", boot.kernel.initrd.toAbsolutePath().toString());
            r.put("boot", b);
        } else if (cmdline != null) {
            throw new IllegalArgumentException(Messages.get("error.cmdlineAlone"));
        }
        if (nics != null)
            r.put(
                    "networkAdapters",
                    nics.stream().map(s -> Map.of("switchName", s)).toList());
        if (notes != null) r.put("notes", notes);
        Map<String, Object> res = new LinkedHashMap<>();
        if (processorAffinity != null) res.put("processorAffinity", processorAffinity);
        if (cpuLimit != null) res.put("cpuLimit", cpuLimit);
        if (cpuReserve != null) res.put("cpuReserve", cpuReserve);
        if (cpuWeight != null) res.put("cpuRelativeWeight", cpuWeight);
        if (memoryLimit != null) res.put("memoryLimit", memoryLimit);
        if (!res.isEmpty()) r.put("resources", res);
        return r;
    }

    private Map<String, Object> bootMap(String type, String key, String value) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("type", type);
        b.put(key, value);
        if (cmdline != null) b.put("cmdline", cmdline);
        return b;
    }
}
