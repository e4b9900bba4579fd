package org.viridian.machine.boot;

import java.util.ArrayList;
import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * Where the loaders put things in guest-physical memory. Everything the loader itself writes (GDT, page tables,
 * boot_params, multiboot info, command line, scratch stack) lives in conventional memory below the EBDA, so a kernel
 * loaded at 1 MiB or higher never collides with it; ACPI tables live in the BIOS area, which the map reports reserved.
 *
 * <pre>
 * 0x0000_0000  real-mode IVT/BDA (left zero)
 * 0x0000_1000  boot GDT                               {@link #GDT}
 * 0x0000_2000  ... scratch stack, grows down ...      {@link #STACK_TOP} = 0x7000
 * 0x0000_7000  Linux boot_params (zero page)          {@link #BOOT_PARAMS}
 * 0x0000_9000  PML4, PDPT, 4 page directories         {@link #PAGE_TABLES} (identity map of the first 4 GiB)
 * 0x0001_0000  multiboot info, mmap, module list      {@link #MULTIBOOT_INFO} .. 0x2_0000
 * 0x0002_0000  kernel command line (NUL-terminated)   {@link #CMDLINE}, at most {@link #CMDLINE_MAX} bytes
 * 0x0009_FC00  EBDA .. 1 MiB: reserved in the map
 * 0x000E_0000  RSDP (the BIOS-area scan finds it), then the other ACPI tables up to 1 MiB {@link #ACPI_BASE}
 * 0x0010_0000  kernel (multiboot: where its headers say; Linux: pref_address, or 1 MiB)
 * ...          initrd/modules: top of low RAM, below {@link #INITRD_MAX} and the kernel's initrd_addr_max
 * 0xC000_0000  MMIO hole: IOAPIC {@link #IOAPIC_BASE}, LAPIC {@link #LAPIC_BASE}
 * 0x1_0000_0000 RAM beyond 3 GiB
 * </pre>
 */
public final class BootLayout {
    private BootLayout() {}

    public static final long GDT = 0x1000;
    public static final long STACK_TOP = 0x7000;
    public static final long BOOT_PARAMS = 0x7000;
    public static final long PAGE_TABLES = 0x9000;
    public static final long PAGE_TABLES_END = PAGE_TABLES + 6 * 0x1000;
    public static final long MULTIBOOT_INFO = 0x1_0000;
    public static final long MULTIBOOT_INFO_END = 0x2_0000;
    public static final long CMDLINE = 0x2_0000;
    /** Longest command line including its NUL (Linux's own limit is 2048 on x86 unless rebuilt). */
    public static final int CMDLINE_MAX = 0x1_0000;
    /** Start of the extended BIOS data area; from here to 1 MiB is reserved. */
    public static final long EBDA_START = 0x9_FC00;

    public static final long ACPI_BASE = 0xE_0000;
    public static final long ACPI_END = 0x10_0000;
    public static final long HIGH_MEMORY = 0x10_0000;
    /** Highest initrd end (exclusive) unless the kernel allows less: the 896 MiB lowmem limit of old 32-bit kernels. */
    public static final long INITRD_MAX = 0x3800_0000;

    public static final long IOAPIC_BASE = 0xFEC0_0000L;
    public static final long LAPIC_BASE = 0xFEE0_0000L;

    /** End of RAM below the MMIO hole (exclusive). */
    public static long lowRamEnd(GuestMemory memory) {
        return memory.regions().getFirst().end();
    }

    /**
     * The memory map: RAM [0, EBDA), reserved [EBDA, 1 MiB) (BIOS area holding the ACPI tables), RAM from 1 MiB to the
     * end of low RAM, and RAM above 4 GiB if the guest has more than 3 GiB.
     */
    public static List<E820Entry> e820(GuestMemory memory) {
        long lowEnd = lowRamEnd(memory);
        if (lowEnd < 2 * HIGH_MEMORY) {
            throw new KernelImageException("guest needs at least 2 MiB of RAM to boot, has " + lowEnd);
        }
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, EBDA_START, E820Entry.Type.RAM));
        map.add(new E820Entry(EBDA_START, HIGH_MEMORY - EBDA_START, E820Entry.Type.RESERVED));
        map.add(new E820Entry(HIGH_MEMORY, lowEnd - HIGH_MEMORY, E820Entry.Type.RAM));
        for (GuestMemory.Region r : memory.regions().subList(1, memory.regions().size())) {
            map.add(new E820Entry(r.gpa(), r.size(), E820Entry.Type.RAM));
        }
        return List.copyOf(map);
    }

    /** Fails unless [address, address+size) is RAM at or above 1 MiB, i.e. clear of everything the loader writes. */
    static void requireKernelRange(GuestMemory memory, long address, long size, String what) {
        if (size < 0 || address < HIGH_MEMORY || !memory.contains(address, size)) {
            throw new KernelImageException(String.format(
                    "%s [0x%x, +0x%x) must lie in guest RAM at or above 1 MiB (RAM: %s)",
                    what, address, size, describe(memory)));
        }
    }

    /**
     * Where an initrd/module of {@code size} bytes goes: page-aligned, as high as possible below {@code limit}
     * (exclusive) and low RAM's end, and not below {@code floor} (the end of the kernel).
     */
    static long placeHigh(GuestMemory memory, long size, long floor, long limit, String what) {
        long top = Math.min(limit, lowRamEnd(memory));
        long addr = (top - size) & ~(GuestMemory.PAGE_SIZE - 1);
        if (size <= 0 || size > top || addr < floor) {
            throw new KernelImageException(String.format(
                    "%s of %d bytes does not fit between the kernel end 0x%x and 0x%x", what, size, floor, top));
        }
        return addr;
    }

    static String describe(GuestMemory memory) {
        StringBuilder sb = new StringBuilder();
        for (GuestMemory.Region r : memory.regions()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(String.format("[0x%x, 0x%x)", r.gpa(), r.end()));
        }
        return sb.toString();
    }
}
