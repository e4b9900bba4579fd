package org.viridian.machine;

import java.io.IOException;
import java.nio.file.Files;
import org.viridian.machine.acpi.AcpiConfig;
import org.viridian.machine.acpi.AcpiTables;
import org.viridian.machine.boot.BootImage;
import org.viridian.machine.boot.DescriptorTable;
import org.viridian.machine.boot.EntryState;
import org.viridian.machine.boot.KernelImageException;
import org.viridian.machine.boot.KernelLoader;
import org.viridian.machine.boot.SegmentDescriptor;
import org.viridian.partition.Partition;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.x86.Regs;
import org.viridian.x86.Segment;
import org.viridian.x86.Sregs;

/**
 * Puts firmware tables and the kernel into a partition's memory and sets the boot processor's entry state; the other
 * processors wait for the guest's INIT/SIPI through the in-kernel LAPIC.
 */
final class GuestBoot {
    private GuestBoot() {}

    static BootImage load(Partition partition, VmSpec spec) throws IOException {
        return load(partition, spec, AcpiConfig.of(spec.cpus()));
    }

    static BootImage load(Partition partition, VmSpec spec, AcpiConfig acpiConfig) throws IOException {
        byte[] kernel = Files.readAllBytes(spec.kernel());
        byte[] initrd = spec.initrd() == null ? null : Files.readAllBytes(spec.initrd());
        AcpiTables acpi = AcpiTables.install(partition.memory(), acpiConfig);
        BootImage image;
        try {
            image = KernelLoader.load(partition.memory(), kernel, cmdline(spec, kernel), initrd, acpi.rsdpAddress());
        } catch (KernelImageException e) {
            throw new IOException(spec.kernel() + ": " + e.getMessage(), e);
        }
        apply(partition.vps().getFirst(), image.bsp());
        return image;
    }

    /**
     * Multiboot kernels get the kernel's path as the first word of their command line, as GRUB and QEMU's -kernel
     * pass it (kernels parse their options after it); Linux gets the command line as given.
     */
    static String cmdline(VmSpec spec, byte[] kernel) {
        if (KernelLoader.detect(kernel) != KernelLoader.Format.MULTIBOOT) return spec.cmdline();
        return spec.cmdline().isEmpty() ? spec.kernel().toString() : spec.kernel() + " " + spec.cmdline();
    }

    /** Translates the loader's architectural entry state into the boot processor's registers. */
    static void apply(VirtualProcessor vp, EntryState e) {
        Sregs now = vp.segmentRegisters();
        vp.setSegmentRegisters(new Sregs(
                seg(e.cs()),
                seg(e.ds()),
                seg(e.es()),
                seg(e.fs()),
                seg(e.gs()),
                seg(e.ss()),
                seg(e.tr()),
                seg(e.ldt()),
                table(e.gdt()),
                table(e.idt()),
                e.cr0(),
                now.cr2(),
                e.cr3(),
                e.cr4(),
                now.cr8(),
                e.efer(),
                now.apicBase(),
                now.interruptBitmap()));
        vp.setRegisters(
                new Regs(e.rax(), e.rbx(), 0, 0, e.rsi(), 0, e.rsp(), 0, 0, 0, 0, 0, 0, 0, 0, 0, e.rip(), e.rflags()));
    }

    static Segment seg(SegmentDescriptor d) {
        return new Segment(
                d.base(),
                (int) d.limit(),
                d.selector(),
                d.type(),
                d.present(),
                d.dpl(),
                d.db(),
                d.s(),
                d.l(),
                d.g(),
                false,
                !d.present());
    }

    static Sregs.DescriptorTable table(DescriptorTable t) {
        return new Sregs.DescriptorTable(t.base(), t.limit());
    }
}
