package org.viridian.machine.boot;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.viridian.partition.memory.GuestMemory;

/**
 * The loadable view of an x86 ELF32 or ELF64 executable: its PT_LOAD segments and entry point. All header fields are
 * validated against the file before anything is copied.
 */
public final class ElfImage {
    private static final int PT_LOAD = 1;
    private static final int PT_INTERP = 3;
    private static final int EM_386 = 3;
    private static final int EM_X86_64 = 62;
    private static final int MAX_SEGMENTS = 256;

    /** One PT_LOAD segment: file bytes [offset, offset+fileSize) go to paddr, the rest up to memSize is zeroed. */
    public record Segment(long vaddr, long paddr, long offset, long fileSize, long memSize) {
        public long paddrEnd() {
            return paddr + memSize;
        }
    }

    private final byte[] image;
    private final boolean elf64;
    private final long entry;
    private final List<Segment> segments;
    private final String interpreter;

    private ElfImage(byte[] image, boolean elf64, long entry, List<Segment> segments, String interpreter) {
        this.image = image;
        this.interpreter = interpreter;
        this.elf64 = elf64;
        this.entry = entry;
        this.segments = List.copyOf(segments);
    }

    public static boolean isElf(byte[] image) {
        return image.length >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    }

    /** Parses and validates an ELF executable for x86 (i386 or x86-64, little-endian). */
    public static ElfImage parse(byte[] image) {
        ImageReader r = new ImageReader(image, "ELF image");
        if (!isElf(image)) throw r.error("missing ELF magic");
        int cls = r.u8(4, "e_ident[EI_CLASS]");
        if (cls != 1 && cls != 2) throw r.error("e_ident[EI_CLASS] = %d, expected 1 (ELF32) or 2 (ELF64)", cls);
        boolean is64 = cls == 2;
        if (r.u8(5, "e_ident[EI_DATA]") != 1) throw r.error("e_ident[EI_DATA] is not little-endian");
        int machine = r.u16(18, "e_machine");
        if (machine != (is64 ? EM_X86_64 : EM_386)) {
            throw r.error("e_machine = %d, expected %d for ELF%d", machine, is64 ? EM_X86_64 : EM_386, is64 ? 64 : 32);
        }
        long entry = is64 ? r.u64(24, "e_entry") : r.u32(24, "e_entry");
        long phoff = is64 ? r.u64Unsigned(32, "e_phoff") : r.u32(28, "e_phoff");
        int phentsize = r.u16(is64 ? 54 : 42, "e_phentsize");
        int phnum = r.u16(is64 ? 56 : 44, "e_phnum");
        int minEnt = is64 ? 56 : 32;
        if (phentsize < minEnt) throw r.error("e_phentsize = %d, expected at least %d", phentsize, minEnt);
        if (phnum == 0 || phnum > MAX_SEGMENTS) throw r.error("e_phnum = %d, expected 1..%d", phnum, MAX_SEGMENTS);
        r.require(phoff, (long) phentsize * phnum, "program header table (e_phoff, e_phnum * e_phentsize)");
        List<Segment> segs = new ArrayList<>();
        String interpreter = null;
        for (int i = 0; i < phnum; i++) {
            long ph = phoff + (long) i * phentsize;
            String p = "program header " + i + " ";
            long type = r.u32(ph, p + "p_type");
            if (type == PT_INTERP) interpreter = interpreter(r, image, ph, is64, p);
            if (type != PT_LOAD) continue;
            Segment s = is64
                    ? new Segment(
                            r.u64(ph + 16, p + "p_vaddr"),
                            r.u64Unsigned(ph + 24, p + "p_paddr"),
                            r.u64Unsigned(ph + 8, p + "p_offset"),
                            r.u64Unsigned(ph + 32, p + "p_filesz"),
                            r.u64Unsigned(ph + 40, p + "p_memsz"))
                    : new Segment(
                            r.u32(ph + 8, p + "p_vaddr"),
                            r.u32(ph + 12, p + "p_paddr"),
                            r.u32(ph + 4, p + "p_offset"),
                            r.u32(ph + 16, p + "p_filesz"),
                            r.u32(ph + 20, p + "p_memsz"));
            if (s.fileSize() > s.memSize())
                throw r.error("%sp_filesz 0x%x exceeds p_memsz 0x%x", p, s.fileSize(), s.memSize());
            r.require(s.offset(), s.fileSize(), p + "p_offset/p_filesz");
            if (s.paddr() + s.memSize() < s.paddr()) throw r.error("%sp_paddr + p_memsz overflows", p);
            if (s.memSize() > 0) segs.add(s);
        }
        if (segs.isEmpty()) throw r.error("no PT_LOAD segment with a non-zero p_memsz");
        return new ElfImage(image, is64, entry, segs, interpreter);
    }

    /** PT_INTERP's NUL-terminated path (a dynamically linked program's loader). */
    private static String interpreter(ImageReader r, byte[] image, long ph, boolean is64, String p) {
        long offset = is64 ? r.u64Unsigned(ph + 8, p + "p_offset") : r.u32(ph + 4, p + "p_offset");
        long size = is64 ? r.u64Unsigned(ph + 32, p + "p_filesz") : r.u32(ph + 16, p + "p_filesz");
        if (size < 2 || size > 4096) throw r.error("%sPT_INTERP p_filesz = %d, expected 2..4096", p, size);
        r.require(offset, size, p + "PT_INTERP p_offset/p_filesz");
        if (image[(int) (offset + size - 1)] != 0) throw r.error("%sPT_INTERP path is not NUL-terminated", p);
        return new String(image, (int) offset, (int) size - 1, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The program's loader (PT_INTERP) if it is dynamically linked; empty for a static program or a kernel. */
    public java.util.Optional<String> interpreter() {
        return java.util.Optional.ofNullable(interpreter);
    }

    public boolean is64() {
        return elf64;
    }

    /** e_entry as written in the file (often a virtual address). */
    public long entry() {
        return entry;
    }

    public List<Segment> segments() {
        return segments;
    }

    /**
     * The entry point as a physical address: e_entry translated through the segment whose virtual range contains it
     * (e_entry − (p_vaddr − p_paddr)), or e_entry itself if it already lies in a segment's physical range.
     */
    public long physicalEntry() {
        for (Segment s : segments) {
            if (Long.compareUnsigned(entry - s.paddr(), s.memSize()) < 0) return entry;
        }
        for (Segment s : segments) {
            if (Long.compareUnsigned(entry - s.vaddr(), s.memSize()) < 0) return entry - s.vaddr() + s.paddr();
        }
        throw new KernelImageException(String.format("ELF image: e_entry 0x%x lies in no PT_LOAD segment", entry));
    }

    public long lowestAddress() {
        return segments.stream().mapToLong(Segment::paddr).min().orElseThrow();
    }

    public long highestAddress() {
        return segments.stream().mapToLong(Segment::paddrEnd).max().orElseThrow();
    }

    /** Copies every segment to its physical address and zeroes its BSS; each must lie in RAM at or above 1 MiB. */
    public void load(GuestMemory memory) {
        for (int i = 0; i < segments.size(); i++) {
            BootLayout.requireKernelRange(
                    memory, segments.get(i).paddr(), segments.get(i).memSize(), "ELF PT_LOAD segment " + i);
        }
        for (Segment s : segments) {
            MemorySegment dst = memory.slice(s.paddr(), s.memSize());
            dst.asSlice(0, s.fileSize()).copyFrom(MemorySegment.ofArray(image).asSlice(s.offset(), s.fileSize()));
            dst.asSlice(s.fileSize()).fill((byte) 0);
        }
    }
}
