package org.viridian.machine.boot;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * Loads a Multiboot (version 1, spec 0.6.96) kernel the way QEMU's {@code -kernel} does: the header's a.out-kludge
 * addresses when flag bit 16 is set, the ELF program headers otherwise. Builds the multiboot info at
 * {@link BootLayout#MULTIBOOT_INFO} and enters in 32-bit protected mode, paging off, with EAX=0x2BADB002 and EBX
 * pointing at the info.
 *
 * <p>Differences from QEMU: every segment must load at or above 1 MiB (the loader's own structures live below it),
 * and header flag bit 2 (video mode) is accepted but no framebuffer/VBE information is provided (info bit 11 clear).
 */
public final class MultibootLoader {
    public static final int HEADER_MAGIC = 0x1BADB002;
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    public static final String BOOTLOADER_NAME = "Viridian";
    /** The header must lie, 4-aligned, entirely within the first 8192 bytes. */
    static final int SEARCH_LIMIT = 8192;

    // Header flags: bits 0-15 are requirements a loader must understand or refuse the image.
    static final int FLAG_PAGE_ALIGN = 1;
    static final int FLAG_MEMORY_INFO = 1 << 1;
    static final int FLAG_VIDEO_MODE = 1 << 2;
    static final int FLAG_AOUT_KLUDGE = 1 << 16;
    private static final int SUPPORTED_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

    // Info flags (which multiboot_info fields are valid).
    static final int INFO_MEMORY = 1;
    static final int INFO_CMDLINE = 1 << 2;
    static final int INFO_MODS = 1 << 3;
    static final int INFO_MMAP = 1 << 6;
    static final int INFO_LOADER_NAME = 1 << 9;

    // multiboot_info field offsets.
    static final int MBI_FLAGS = 0,
            MBI_MEM_LOWER = 4,
            MBI_MEM_UPPER = 8,
            MBI_CMDLINE = 16,
            MBI_MODS_COUNT = 20,
            MBI_MODS_ADDR = 24,
            MBI_MMAP_LENGTH = 44,
            MBI_MMAP_ADDR = 48,
            MBI_LOADER_NAME = 64;
    /** The info structure with the framebuffer fields of 0.6.96 is 116 bytes; room is left for all of it (zeroed). */
    private static final int MBI_SIZE = 128;

    private static final int MMAP_ENTRY = 24;
    private static final int MODULE_ENTRY = 16;
    /** Modules and kernels are 32-bit: everything must stay below 4 GiB; modules go below this as well. */
    private static final long MODULE_LIMIT = BootLayout.INITRD_MAX;

    /** A boot module (e.g. an initrd) and its command line string. */
    public record Module(byte[] data, String cmdline) {}

    /** The parsed Multiboot header. */
    public record Header(
            int offset, int flags, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr, long entryAddr) {
        public boolean aoutKludge() {
            return (flags & FLAG_AOUT_KLUDGE) != 0;
        }
    }

    private MultibootLoader() {}

    /** Whether the image carries a valid Multiboot header. */
    public static boolean isMultiboot(byte[] image) {
        try {
            findHeader(image);
            return true;
        } catch (KernelImageException e) {
            return false;
        }
    }

    /** Finds and validates the header: magic, checksum, required flags, and (for the kludge) the address fields. */
    public static Header findHeader(byte[] image) {
        ImageReader r = new ImageReader(image, "multiboot image");
        int limit = Math.min(image.length, SEARCH_LIMIT) - 12;
        for (int off = 0; off <= limit; off += 4) {
            if ((int) r.u32(off, "magic") != HEADER_MAGIC) continue;
            int flags = (int) r.u32(off + 4, "flags");
            int checksum = (int) r.u32(off + 8, "checksum");
            if (HEADER_MAGIC + flags + checksum != 0) continue;
            int unsupported = flags & 0xFFFF & ~SUPPORTED_REQUIRED;
            if (unsupported != 0) {
                throw r.error(
                        "header flags 0x%x require features this loader does not provide (bits 0x%x)",
                        flags, unsupported);
            }
            if ((flags & FLAG_AOUT_KLUDGE) == 0) return new Header(off, flags, 0, 0, 0, 0, 0);
            return new Header(
                    off,
                    flags,
                    r.u32(off + 12, "header_addr"),
                    r.u32(off + 16, "load_addr"),
                    r.u32(off + 20, "load_end_addr"),
                    r.u32(off + 24, "bss_end_addr"),
                    r.u32(off + 28, "entry_addr"));
        }
        throw r.error(
                "no multiboot header (magic 0x%08x with valid checksum) in the first %d bytes",
                HEADER_MAGIC, SEARCH_LIMIT);
    }

    /** Loads the kernel and modules into {@code memory} and returns the entry state. */
    public static BootImage load(GuestMemory memory, byte[] kernel, String cmdline, List<Module> modules) {
        Header h = findHeader(kernel);
        long start, end, entry;
        if (h.aoutKludge()) {
            long[] loaded = loadKludge(memory, kernel, h);
            start = loaded[0];
            end = loaded[1];
            entry = h.entryAddr();
        } else {
            if (!ElfImage.isElf(kernel)) {
                throw new KernelImageException(
                        "multiboot image: not ELF and header flag bit 16 (address fields) is clear");
            }
            ElfImage elf = ElfImage.parse(kernel);
            if (elf.highestAddress() > GuestMemory.FOUR_GIB) {
                throw new KernelImageException(
                        String.format("multiboot image: ELF segments end at 0x%x, above 4 GiB", elf.highestAddress()));
            }
            elf.load(memory);
            start = elf.lowestAddress();
            end = elf.highestAddress();
            entry = elf.physicalEntry();
        }
        if (entry < start || entry >= end) {
            throw new KernelImageException(String.format(
                    "multiboot image: entry 0x%x lies outside the loaded image [0x%x, 0x%x)", entry, start, end));
        }
        List<E820Entry> map = BootLayout.e820(memory);
        BootImage.Range firstModule = writeInfo(memory, map, cmdline, modules, end);
        EntryState state = BootGdt.enter(
                memory, EntryState.Mode.PROTECTED32, entry, BOOTLOADER_MAGIC, BootLayout.MULTIBOOT_INFO, 0, 0);
        return new BootImage(state, map, start, end, firstModule);
    }

    /** Loads per the a.out-kludge fields; returns {start, end including BSS}. */
    private static long[] loadKludge(GuestMemory memory, byte[] kernel, Header h) {
        ImageReader r = new ImageReader(kernel, "multiboot image");
        if (h.loadAddr() > h.headerAddr())
            throw r.error("load_addr 0x%x is above header_addr 0x%x", h.loadAddr(), h.headerAddr());
        long fileOffset = h.offset() - (h.headerAddr() - h.loadAddr());
        if (fileOffset < 0)
            throw r.error(
                    "header_addr − load_addr (0x%x) exceeds the header's file offset 0x%x",
                    h.headerAddr() - h.loadAddr(), h.offset());
        long loadSize;
        if (h.loadEndAddr() == 0) {
            loadSize = kernel.length - fileOffset;
        } else {
            if (h.loadEndAddr() < h.loadAddr())
                throw r.error("load_end_addr 0x%x is below load_addr 0x%x", h.loadEndAddr(), h.loadAddr());
            loadSize = h.loadEndAddr() - h.loadAddr();
        }
        r.require(fileOffset, loadSize, "text+data (load_addr .. load_end_addr)");
        long end = h.loadAddr() + loadSize;
        if (h.bssEndAddr() != 0) {
            if (h.bssEndAddr() < end)
                throw r.error("bss_end_addr 0x%x is below the end of the loaded data 0x%x", h.bssEndAddr(), end);
            end = h.bssEndAddr();
        }
        BootLayout.requireKernelRange(
                memory, h.loadAddr(), end - h.loadAddr(), "multiboot load range (load_addr .. bss_end_addr)");
        MemorySegment dst = memory.slice(h.loadAddr(), end - h.loadAddr());
        dst.asSlice(0, loadSize).copyFrom(MemorySegment.ofArray(kernel).asSlice(fileOffset, loadSize));
        dst.asSlice(loadSize).fill((byte) 0);
        return new long[] {h.loadAddr(), end};
    }

    /**
     * Writes multiboot_info at {@link BootLayout#MULTIBOOT_INFO} followed by the module list, the mmap, and the
     * strings; module contents go page-aligned, high in low RAM, above the kernel. Returns where the first module
     * went, or null.
     */
    private static BootImage.Range writeInfo(
            GuestMemory memory, List<E820Entry> map, String cmdline, List<Module> modules, long kernelEnd) {
        long base = BootLayout.MULTIBOOT_INFO;
        MemorySegment area = memory.slice(base, BootLayout.MULTIBOOT_INFO_END - base);
        area.fill((byte) 0);
        var out = new InfoArea(area, base, MBI_SIZE);
        int flags = INFO_MEMORY | INFO_CMDLINE | INFO_MMAP | INFO_LOADER_NAME;
        BootImage.Range firstModule = null;

        // mem_lower: KiB of conventional memory; mem_upper: KiB of contiguous RAM from 1 MiB.
        out.putInt(MBI_MEM_LOWER, BootLayout.EBDA_START / 1024);
        out.putInt(MBI_MEM_UPPER, (BootLayout.lowRamEnd(memory) - BootLayout.HIGH_MEMORY) / 1024);

        if (!modules.isEmpty()) {
            flags |= INFO_MODS;
            long list = out.reserve((long) MODULE_ENTRY * modules.size(), 4);
            out.putInt(MBI_MODS_COUNT, modules.size());
            out.putInt(MBI_MODS_ADDR, list);
            long limit = MODULE_LIMIT;
            for (int i = 0; i < modules.size(); i++) {
                Module m = modules.get(i);
                long addr = BootLayout.placeHigh(
                        memory, Math.max(1, m.data().length), kernelEnd, limit, "multiboot module " + i);
                memory.write(addr, m.data());
                if (i == 0) firstModule = new BootImage.Range(addr, m.data().length);
                limit = addr;
                long entry = list + (long) MODULE_ENTRY * i;
                out.putIntAt(entry, addr);
                out.putIntAt(entry + 4, addr + m.data().length);
                out.putIntAt(entry + 8, out.string(m.cmdline() == null ? "" : m.cmdline()));
            }
        }

        long mmap = out.reserve((long) MMAP_ENTRY * map.size(), 8);
        for (int i = 0; i < map.size(); i++) {
            E820Entry e = map.get(i);
            long at = mmap + (long) MMAP_ENTRY * i;
            out.putIntAt(at, MMAP_ENTRY - 4); // size excludes the size field itself
            out.putLongAt(at + 4, e.address());
            out.putLongAt(at + 12, e.size());
            out.putIntAt(at + 20, e.type().code());
        }
        out.putInt(MBI_MMAP_ADDR, mmap);
        out.putInt(MBI_MMAP_LENGTH, (long) MMAP_ENTRY * map.size());
        out.putInt(MBI_CMDLINE, out.string(cmdline == null ? "" : cmdline));
        out.putInt(MBI_LOADER_NAME, out.string(BOOTLOADER_NAME));
        out.putInt(MBI_FLAGS, flags);
        return firstModule;
    }

    /** Bump allocator over the multiboot info area; fails cleanly when strings or lists do not fit. */
    private static final class InfoArea {
        private final MemorySegment area;
        private final long base;
        private long next;

        InfoArea(MemorySegment area, long base, long used) {
            this.area = area;
            this.base = base;
            this.next = used;
        }

        long reserve(long size, int align) {
            long at = (next + align - 1) & -align;
            if (at + size > area.byteSize()) {
                throw new KernelImageException(
                        "multiboot info (command line, modules, memory map) exceeds " + area.byteSize() + " bytes");
            }
            next = at + size;
            return base + at;
        }

        long string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            long at = reserve(b.length + 1L, 1);
            MemorySegment.copy(b, 0, area, LittleEndian.U8, at - base, b.length);
            return at;
        }

        void putInt(int field, long value) {
            putIntAt(base + field, value);
        }

        void putIntAt(long gpa, long value) {
            area.set(LittleEndian.U32, gpa - base, (int) value);
        }

        void putLongAt(long gpa, long value) {
            area.set(LittleEndian.U64, gpa - base, value);
        }
    }
}
