package org.viridian.machine.boot;

import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * One entry point for the VM assembly: recognises the kernel format and runs the matching loader. ACPI tables are
 * installed separately (they do not depend on the kernel); pass their RSDP address so Linux need not scan for it.
 */
public final class KernelLoader {
    /** How a kernel image is booted. */
    public enum Format {
        /** Linux bzImage, 64-bit boot protocol. */
        BZIMAGE,
        /** Uncompressed ELF64 Linux vmlinux, 64-bit boot protocol. */
        VMLINUX,
        /** Multiboot v1 kernel (ELF or a.out-kludge binary), entered in 32-bit protected mode. */
        MULTIBOOT
    }

    private KernelLoader() {}

    /** bzImage by its "HdrS" header, then a Multiboot header, then ELF64 as vmlinux. */
    public static Format detect(byte[] kernel) {
        if (SetupHeader.isBzImage(kernel)) return Format.BZIMAGE;
        if (MultibootLoader.isMultiboot(kernel)) return Format.MULTIBOOT;
        if (ElfImage.isElf(kernel) && kernel.length > 4 && kernel[4] == 2) return Format.VMLINUX;
        throw new KernelImageException("kernel image is neither a bzImage, a Multiboot kernel, nor an ELF64 vmlinux");
    }

    /**
     * Loads {@code kernel}; {@code initrd} (optional) becomes the Linux initrd or the first multiboot module (with
     * the module command line "initrd").
     */
    public static BootImage load(GuestMemory memory, byte[] kernel, String cmdline, byte[] initrd, long rsdpAddress) {
        return switch (detect(kernel)) {
            case BZIMAGE ->
                LinuxLoader.loadBzImage(memory, kernel, new LinuxLoader.Options(cmdline, initrd, rsdpAddress));
            case VMLINUX ->
                LinuxLoader.loadVmlinux(memory, kernel, new LinuxLoader.Options(cmdline, initrd, rsdpAddress));
            case MULTIBOOT ->
                MultibootLoader.load(
                        memory,
                        kernel,
                        cmdline,
                        initrd == null ? List.of() : List.of(new MultibootLoader.Module(initrd, "initrd")));
        };
    }
}
