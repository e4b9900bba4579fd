package org.viridian.machine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.partition.memory.GuestMemory;

class MultibootLoaderTest {
    private static final long MIB = 1 << 20;

    /** A kernel whose header asks for memory info; .data holds a marker, .bss a buffer the loader must zero. */
    private static final String KERNEL_C =
            """
            #define FLAGS (0x3 | KLUDGE)
            extern char _load_start[], _load_end[], _bss_end[];
            void _start(void);
            __attribute__((section(".multiboot"), aligned(4), used))
            static const unsigned int hdr[] = {0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)
            #if KLUDGE
                , (unsigned) hdr, (unsigned) _load_start, (unsigned) _load_end, (unsigned) _bss_end, (unsigned) _start
            #endif
            };
            volatile unsigned int marker = 0xC0FFEE42;
            volatile unsigned int bss_buf[4096];
            void _start(void) { bss_buf[0] = marker; for (;;) __asm__ volatile("hlt"); }
            """;

    private static final String LINKER_SCRIPT =
            """
            ENTRY(_start)
            SECTIONS {
              . = 0x100000;
              _load_start = .;
              .text : { *(.multiboot) *(.text*) }
              .rodata : { *(.rodata*) }
              .data : { *(.data*) }
              _load_end = .;
              .bss : { *(.bss*) *(COMMON) }
              _bss_end = .;
              /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
            }
            """;

    private final GuestMemory memory = GuestMemory.allocate(64 * MIB);

    @AfterEach
    void close() {
        memory.close();
    }

    private static byte[] kernel(Path dir, boolean kludge) throws Exception {
        return Gcc.elf32(dir, "#define KLUDGE " + (kludge ? "0x10000" : "0") + "\n" + KERNEL_C, LINKER_SCRIPT);
    }

    private void poisonKernelArea() {
        memory.slice(MIB, MIB).fill((byte) 0xAA);
    }

    @Test
    void loadsElfKernelAndBuildsMultibootInfo(@TempDir Path dir) throws Exception {
        byte[] elfBytes = kernel(dir, false);
        ElfImage elf = ElfImage.parse(elfBytes);
        poisonKernelArea();

        BootImage boot = MultibootLoader.load(memory, elfBytes, "console=ttyS0 hello", List.of());

        EntryState s = boot.bsp();
        assertThat(s.mode()).isEqualTo(EntryState.Mode.PROTECTED32);
        assertThat(s.rip()).isEqualTo(elf.entry());
        assertThat(s.rax()).isEqualTo(0x2BADB002L);
        assertThat(s.rbx()).isEqualTo(BootLayout.MULTIBOOT_INFO);
        assertThat(s.cr0() & EntryState.CR0_PG).isZero();
        assertThat(s.cr0() & EntryState.CR0_PE).isEqualTo(1);
        assertThat(s.efer()).isZero();
        assertThat(s.cs().db()).isTrue();
        assertThat(s.cs().l()).isFalse();
        assertThat(s.cs().limit()).isEqualTo(0xFFFF_FFFFL);
        assertThat(s.ds().base()).isZero();
        assertThat(s.ss()).isEqualTo(s.ds());
        // The GDT in memory encodes the same descriptors the state caches.
        assertThat(memory.readLong(s.gdt().base() + s.cs().selector())).isEqualTo(0x00CF_9B00_0000_FFFFL);
        assertThat(memory.readLong(s.gdt().base() + s.ds().selector())).isEqualTo(0x00CF_9300_0000_FFFFL);

        // Every segment's file bytes are in place and its BSS is zeroed.
        for (ElfImage.Segment seg : elf.segments()) {
            byte[] file = Arrays.copyOfRange(elfBytes, (int) seg.offset(), (int) (seg.offset() + seg.fileSize()));
            assertThat(memory.read(seg.paddr(), file.length)).isEqualTo(file);
            assertThat(memory.read(seg.paddr() + seg.fileSize(), (int) (seg.memSize() - seg.fileSize())))
                    .containsOnly(0);
        }
        assertThat(boot.kernelEnd() - boot.kernelStart()).isGreaterThanOrEqualTo(4096 * 4);
        assertMarkerPresent(boot);

        long mbi = s.rbx();
        int flags = memory.readInt(mbi);
        assertThat(flags & (1 | 1 << 2 | 1 << 6 | 1 << 9)).isEqualTo(1 | 1 << 2 | 1 << 6 | 1 << 9);
        assertThat(flags & (1 << 3)).isZero();
        assertThat(memory.readInt(mbi + 4)).isEqualTo(639);
        assertThat(memory.readInt(mbi + 8)).isEqualTo((64 - 1) * 1024);
        assertThat(cString(memory.readInt(mbi + 16))).isEqualTo("console=ttyS0 hello");
        assertThat(cString(memory.readInt(mbi + 64))).isEqualTo("Viridian");

        int mmapLength = memory.readInt(mbi + 44);
        long mmap = memory.readInt(mbi + 48);
        assertThat(mmapLength).isEqualTo(3 * 24);
        long[][] expected = {{0, 0x9FC00, 1}, {0x9FC00, 0x60400, 2}, {MIB, 63 * MIB, 1}};
        for (int i = 0; i < 3; i++) {
            long e = mmap + 24L * i;
            assertThat(memory.readInt(e)).isEqualTo(20);
            assertThat(new long[] {memory.readLong(e + 4), memory.readLong(e + 12), memory.readInt(e + 20)})
                    .containsExactly(expected[i]);
        }
        assertThat(boot.memoryMap()).hasSize(3);
    }

    @Test
    void honoursAoutKludgeAddressesForRawBinary(@TempDir Path dir) throws Exception {
        byte[] elfBytes = kernel(dir, true);
        ElfImage elf = ElfImage.parse(elfBytes);
        Gcc.run(dir, "objcopy", "-O", "binary", "kernel.elf", "kernel.bin");
        byte[] raw = Files.readAllBytes(dir.resolve("kernel.bin"));
        assertThat(ElfImage.isElf(raw)).isFalse();
        poisonKernelArea();

        MultibootLoader.Header h = MultibootLoader.findHeader(raw);
        assertThat(h.aoutKludge()).isTrue();
        assertThat(h.loadAddr()).isEqualTo(MIB);
        byte[] module = "initrd-contents".getBytes(StandardCharsets.US_ASCII);
        BootImage boot = MultibootLoader.load(memory, raw, "", List.of(new MultibootLoader.Module(module, "mod0 arg")));

        assertThat(boot.bsp().rip()).isEqualTo(elf.entry());
        assertThat(boot.kernelStart()).isEqualTo(MIB);
        assertThat(boot.kernelEnd()).isEqualTo(h.bssEndAddr());
        assertThat(memory.read(MIB, raw.length)).isEqualTo(raw);
        assertThat(memory.read(h.loadEndAddr(), (int) (h.bssEndAddr() - h.loadEndAddr())))
                .containsOnly(0);
        assertMarkerPresent(boot);

        long mbi = boot.bsp().rbx();
        assertThat(memory.readInt(mbi) & (1 << 3)).isNotZero();
        assertThat(memory.readInt(mbi + 20)).isEqualTo(1);
        long mod = memory.readInt(mbi + 24);
        long start = memory.readInt(mod);
        assertThat(start % 4096).isZero();
        assertThat(start).isGreaterThanOrEqualTo(boot.kernelEnd());
        assertThat(memory.readInt(mod + 4) - start).isEqualTo(module.length);
        assertThat(memory.read(start, module.length)).isEqualTo(module);
        assertThat(cString(memory.readInt(mod + 8))).isEqualTo("mod0 arg");
        assertThat(boot.initrd()).isEqualTo(new BootImage.Range(start, module.length));
    }

    @Test
    void rejectsBadHeaders() {
        byte[] img = new byte[64];
        assertThatThrownBy(() -> MultibootLoader.findHeader(img)).hasMessageContaining("no multiboot header");
        putInts(img, 8, 0x1BADB002, 0, -0x1BADB002 + 1); // bad checksum
        assertThat(MultibootLoader.isMultiboot(img)).isFalse();
        putInts(img, 8, 0x1BADB002, 0x8, -(0x1BADB002 + 0x8)); // requires an unknown feature
        assertThatThrownBy(() -> MultibootLoader.findHeader(img)).hasMessageContaining("bits 0x8");
        putInts(img, 8, 0x1BADB002, 0x10000, -(0x1BADB002 + 0x10000), 0x100008, 0x100000, 0x100000 + 4096, 0, 0x100000);
        assertThatThrownBy(() -> MultibootLoader.load(memory, img, "", List.of()))
                .hasMessageContaining("load_addr .. load_end_addr");
        putInts(img, 8, 0x1BADB002, 0x10000, -(0x1BADB002 + 0x10000), 0x8, 0x0, 0, 0, 0x8);
        assertThatThrownBy(() -> MultibootLoader.load(memory, img, "", List.of()))
                .hasMessageContaining("at or above 1 MiB");
        putInts(img, 8, 0x1BADB002, 0x10000, -(0x1BADB002 + 0x10000), 0x100008, 0x100000, 0, 0, 0x200000);
        assertThatThrownBy(() -> MultibootLoader.load(memory, img, "", List.of()))
                .hasMessageContaining("entry 0x200000 lies outside");
    }

    private void assertMarkerPresent(BootImage boot) {
        byte[] image = memory.read(boot.kernelStart(), (int) (boot.kernelEnd() - boot.kernelStart()));
        byte[] marker = {0x42, (byte) 0xEE, (byte) 0xFF, (byte) 0xC0};
        boolean found = false;
        for (int i = 0; i + 4 <= image.length && !found; i += 4) {
            found = Arrays.equals(image, i, i + 4, marker, 0, 4);
        }
        assertThat(found).as("initialised .data marker is in guest memory").isTrue();
    }

    private String cString(long gpa) {
        byte[] b = memory.read(gpa, 256);
        int n = 0;
        while (b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private static void putInts(byte[] img, int offset, int... values) {
        for (int i = 0; i < values.length; i++) {
            for (int j = 0; j < 4; j++) img[offset + 4 * i + j] = (byte) (values[i] >>> (8 * j));
        }
    }
}
