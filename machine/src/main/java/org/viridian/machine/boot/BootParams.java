package org.viridian.machine.boot;

import static org.viridian.machine.boot.LittleEndian.*;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * Linux's boot_params ("zero page", arch/x86/include/uapi/asm/bootparam.h) at {@link BootLayout#BOOT_PARAMS}: the
 * kernel's setup header copied in at 0x1F1, then the loader-owned fields filled in.
 */
final class BootParams {
    static final int SIZE = 4096;
    static final int ACPI_RSDP_ADDR = 0x070;
    static final int E820_ENTRIES = 0x1E8;
    static final int E820_TABLE = 0x2D0;
    static final int E820_MAX = 128;
    static final int TYPE_OF_LOADER_UNDEFINED = 0xFF;
    /** End of the setup heap/stack, relative to the real-mode code, minus 0x200 (boot.rst, heap_end_ptr). */
    static final int HEAP_END_PTR = 0xFE00 - 0x200;

    /** Everything the loader decided, to be recorded in boot_params. */
    record Fields(long code32Start, long cmdline, BootImage.Range initrd, List<E820Entry> e820, long rsdp) {}

    private BootParams() {}

    /**
     * Writes boot_params: zeroes the page, copies {@code header} (the image's bytes [0x1F1, header end)) to 0x1F1,
     * then sets type_of_loader, loadflags, code32_start, cmd_line_ptr, the ramdisk, heap_end_ptr, the e820 table and
     * acpi_rsdp_addr.
     */
    static void write(GuestMemory memory, byte[] header, Fields f) {
        if (SetupHeader.SETUP_SECTS + header.length > SetupHeader.MAX_HEADER_END)
            throw new IllegalArgumentException("header too long");
        if (f.e820().size() > E820_MAX) throw new KernelImageException("memory map has more than 128 entries");
        MemorySegment bp = memory.slice(BootLayout.BOOT_PARAMS, SIZE);
        bp.fill((byte) 0);
        MemorySegment.copy(header, 0, bp, U8, SetupHeader.SETUP_SECTS, header.length);
        bp.set(U16, SetupHeader.VID_MODE, (short) 0xFFFF); // "normal" text mode: no mode switch
        bp.set(U8, SetupHeader.TYPE_OF_LOADER, (byte) TYPE_OF_LOADER_UNDEFINED);
        int loadflags = bp.get(U8, SetupHeader.LOADFLAGS) & 0xFF;
        bp.set(U8, SetupHeader.LOADFLAGS, (byte) (loadflags | SetupHeader.LOADED_HIGH | SetupHeader.CAN_USE_HEAP));
        bp.set(U32, SetupHeader.CODE32_START, (int) f.code32Start());
        bp.set(U16, SetupHeader.HEAP_END_PTR, (short) HEAP_END_PTR);
        bp.set(U32, SetupHeader.CMD_LINE_PTR, (int) f.cmdline());
        if (f.initrd() != null) {
            bp.set(U32, SetupHeader.RAMDISK_IMAGE, (int) f.initrd().address());
            bp.set(U32, SetupHeader.RAMDISK_SIZE, (int) f.initrd().size());
        }
        bp.set(U64, ACPI_RSDP_ADDR, f.rsdp());
        bp.set(U8, E820_ENTRIES, (byte) f.e820().size());
        for (int i = 0; i < f.e820().size(); i++) {
            E820Entry e = f.e820().get(i);
            long at = E820_TABLE + 20L * i;
            bp.set(U64, at, e.address());
            bp.set(U64, at + 8, e.size());
            bp.set(U32, at + 16, e.type().code());
        }
    }
}
