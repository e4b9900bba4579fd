package org.viridian.machine.boot;

import static org.viridian.machine.boot.LittleEndian.*;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * Loads Linux with the x86 64-bit boot protocol (Documentation/arch/x86/boot.rst): a bzImage's protected-mode part
 * at pref_address (or the lowest suitably aligned address from 1 MiB if it is relocatable), or an uncompressed ELF
 * vmlinux at its physical addresses. Builds boot_params, identity page tables for the first 4 GiB and a GDT with
 * __BOOT_CS=0x10/__BOOT_DS=0x18, and enters in long mode with RSI = boot_params.
 */
public final class LinuxLoader {
    /** The 64-bit entry point lies 0x200 past the start of a bzImage's protected-mode code. */
    static final long STARTUP_64_OFFSET = 0x200;
    /** Linux's default COMMAND_LINE_SIZE minus the NUL, assumed for a vmlinux (which has no header to say). */
    static final long DEFAULT_CMDLINE_SIZE = 2047;

    static final long VMLINUX_ALIGNMENT = 0x20_0000;

    /**
     * What to boot besides the kernel.
     *
     * @param cmdline     the kernel command line (ASCII)
     * @param initrd      initramfs contents, or null
     * @param rsdpAddress the RSDP, recorded in boot_params.acpi_rsdp_addr; 0 if there are no ACPI tables
     */
    public record Options(String cmdline, byte[] initrd, long rsdpAddress) {
        public Options {
            if (cmdline == null) cmdline = "";
        }
    }

    private LinuxLoader() {}

    /** Loads a bzImage or an ELF vmlinux, by its magic. */
    public static BootImage load(GuestMemory memory, byte[] kernel, Options options) {
        return ElfImage.isElf(kernel) ? loadVmlinux(memory, kernel, options) : loadBzImage(memory, kernel, options);
    }

    public static BootImage loadBzImage(GuestMemory memory, byte[] image, Options options) {
        SetupHeader h = SetupHeader.parse(image);
        long load = chooseLoadAddress(memory, h);
        long code = image.length - h.setupSize();
        memory.slice(load, h.initSize()).fill((byte) 0);
        memory.slice(load, code).copyFrom(MemorySegment.ofArray(image).asSlice(h.setupSize(), code));
        byte[] header = Arrays.copyOfRange(image, SetupHeader.SETUP_SECTS, h.headerEnd());
        long limit = Math.min(h.initrdAddrMax() + 1, BootLayout.INITRD_MAX);
        return finish(
                memory, header, load, load + h.initSize(), load + STARTUP_64_OFFSET, h.cmdlineSize(), limit, options);
    }

    /** Loads an ELF64 vmlinux; entry is startup_64's physical address. */
    public static BootImage loadVmlinux(GuestMemory memory, byte[] image, Options options) {
        ElfImage elf = ElfImage.parse(image);
        if (!elf.is64())
            throw new KernelImageException("vmlinux: ELF32 image; the 64-bit boot protocol needs an x86-64 ELF");
        long entry = elf.physicalEntry();
        elf.load(memory);
        long start = elf.lowestAddress();
        long end = elf.highestAddress();
        byte[] header = synthesizedHeader(end - start);
        return finish(memory, header, start, end, entry, DEFAULT_CMDLINE_SIZE, BootLayout.INITRD_MAX, options);
    }

    private static BootImage finish(
            GuestMemory memory,
            byte[] header,
            long start,
            long end,
            long entry,
            long cmdlineSize,
            long initrdLimit,
            Options options) {
        byte[] cmdline = options.cmdline().getBytes(StandardCharsets.US_ASCII);
        if (cmdline.length > cmdlineSize || cmdline.length >= BootLayout.CMDLINE_MAX) {
            throw new KernelImageException(String.format(
                    "command line of %d bytes exceeds the kernel's cmdline_size %d",
                    cmdline.length, Math.min(cmdlineSize, BootLayout.CMDLINE_MAX - 1)));
        }
        memory.slice(BootLayout.CMDLINE, cmdline.length + 1L).fill((byte) 0);
        memory.write(BootLayout.CMDLINE, cmdline);
        BootImage.Range initrd = null;
        if (options.initrd() != null && options.initrd().length > 0) {
            long at = BootLayout.placeHigh(memory, options.initrd().length, end, initrdLimit, "initrd");
            memory.write(at, options.initrd());
            initrd = new BootImage.Range(at, options.initrd().length);
        }
        List<E820Entry> map = BootLayout.e820(memory);
        BootParams.write(
                memory, header, new BootParams.Fields(start, BootLayout.CMDLINE, initrd, map, options.rsdpAddress()));
        long cr3 = IdentityPageTables.write(memory);
        EntryState state = BootGdt.enter(memory, EntryState.Mode.LONG64, entry, 0, 0, BootLayout.BOOT_PARAMS, cr3);
        return new BootImage(state, map, start, end, initrd);
    }

    /**
     * Where the protected-mode kernel goes: pref_address when [pref, pref+init_size) is RAM from 1 MiB up; else, for
     * a relocatable kernel, the lowest kernel_alignment-aligned address from 1 MiB.
     */
    static long chooseLoadAddress(GuestMemory memory, SetupHeader h) {
        long lowEnd = BootLayout.lowRamEnd(memory);
        if (fits(h.prefAddress(), h.initSize(), lowEnd)) return h.prefAddress();
        if (h.relocatable()) {
            long aligned = (BootLayout.HIGH_MEMORY + h.kernelAlignment() - 1) & -h.kernelAlignment();
            if (fits(aligned, h.initSize(), lowEnd)) return aligned;
        }
        throw new KernelImageException(String.format(
                "bzImage: init_size 0x%x does not fit at pref_address 0x%x%s: low RAM is [1 MiB, 0x%x)",
                h.initSize(),
                h.prefAddress(),
                h.relocatable() ? " or at any kernel_alignment boundary from 1 MiB" : " (not relocatable)",
                lowEnd));
    }

    private static boolean fits(long address, long size, long lowEnd) {
        return address >= BootLayout.HIGH_MEMORY && address <= lowEnd && size <= lowEnd - address;
    }

    /** A setup header for a vmlinux, which has none: just what the kernel reads from boot_params.hdr. */
    static byte[] synthesizedHeader(long imageSize) {
        byte[] h = new byte[SetupHeader.INIT_SIZE + 4 - SetupHeader.SETUP_SECTS];
        MemorySegment s = MemorySegment.ofArray(h);
        int base = SetupHeader.SETUP_SECTS;
        s.set(U16, SetupHeader.BOOT_FLAG - base, (short) SetupHeader.BOOT_FLAG_MAGIC);
        s.set(U32, SetupHeader.HEADER - base, (int) SetupHeader.HDRS_MAGIC);
        s.set(U16, SetupHeader.VERSION - base, (short) 0x020F);
        s.set(U8, SetupHeader.LOADFLAGS - base, (byte) SetupHeader.LOADED_HIGH);
        s.set(U32, SetupHeader.INITRD_ADDR_MAX - base, (int) (BootLayout.INITRD_MAX - 1));
        s.set(U32, SetupHeader.KERNEL_ALIGNMENT - base, (int) VMLINUX_ALIGNMENT);
        s.set(U16, SetupHeader.XLOADFLAGS - base, (short) SetupHeader.XLF_KERNEL_64);
        s.set(U32, SetupHeader.CMDLINE_SIZE - base, (int) DEFAULT_CMDLINE_SIZE);
        s.set(U32, SetupHeader.INIT_SIZE - base, (int) Math.min(imageSize, 0xFFFF_FFFFL));
        return h;
    }
}
