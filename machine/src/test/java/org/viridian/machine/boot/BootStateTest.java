package org.viridian.machine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

class BootStateTest {
    private static final long MIB = 1 << 20;

    @Test
    void gdtEntriesEncodeTheCachedDescriptors() {
        assertThat(SegmentDescriptor.code64(0x10).toGdtEntry()).isEqualTo(0x00AF_9B00_0000_FFFFL);
        assertThat(SegmentDescriptor.code32(0x10).toGdtEntry()).isEqualTo(0x00CF_9B00_0000_FFFFL);
        assertThat(SegmentDescriptor.data32(0x18).toGdtEntry()).isEqualTo(0x00CF_9300_0000_FFFFL);
        assertThat(SegmentDescriptor.busyTss(0x20, 0x1234_5678L).toGdtEntry()).isEqualTo(0x1200_8B34_5678_0067L);
        assertThatThrownBy(() -> new SegmentDescriptor(0x10, 0, 0x1000, 0xB, true, 0, true, true, false, true))
                .hasMessageContaining("0xFFF");
    }

    @Test
    void entryStateRejectsInconsistentModes() {
        SegmentDescriptor ds = SegmentDescriptor.data32(0x18);
        assertThatThrownBy(() -> new EntryState(
                        EntryState.Mode.LONG64,
                        0,
                        0,
                        0,
                        0,
                        0,
                        2,
                        0x11,
                        0,
                        0,
                        0,
                        SegmentDescriptor.code32(0x10),
                        ds,
                        ds,
                        ds,
                        ds,
                        ds,
                        SegmentDescriptor.busyTss(0x20, 0),
                        EntryState.NO_LDT,
                        DescriptorTable.EMPTY,
                        DescriptorTable.EMPTY))
                .hasMessageContaining("long mode");
    }

    @Test
    void e820CoversLowAndHighRamAroundTheHoles() {
        try (GuestMemory memory = GuestMemory.allocate(4L << 30)) {
            assertThat(BootLayout.e820(memory))
                    .containsExactly(
                            new E820Entry(0, 0x9FC00, E820Entry.Type.RAM),
                            new E820Entry(0x9FC00, 0x60400, E820Entry.Type.RESERVED),
                            new E820Entry(MIB, 0xC000_0000L - MIB, E820Entry.Type.RAM),
                            new E820Entry(0x1_0000_0000L, 1L << 30, E820Entry.Type.RAM));
        }
    }

    @Test
    void detectsKernelFormats() {
        assertThat(KernelLoader.detect(LinuxLoaderTest.fakeBzImage(4096, 16 * MIB, MIB, true)))
                .isEqualTo(KernelLoader.Format.BZIMAGE);
        assertThat(KernelLoader.detect(Elf64Builder.kernel(0x100_0000, 0x100_0000, new byte[16], 0)))
                .isEqualTo(KernelLoader.Format.VMLINUX);
        byte[] mb = new byte[64];
        java.nio.ByteBuffer.wrap(mb)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(0x1BADB002)
                .putInt(0)
                .putInt(-0x1BADB002);
        assertThat(KernelLoader.detect(mb)).isEqualTo(KernelLoader.Format.MULTIBOOT);
        assertThatThrownBy(() -> KernelLoader.detect(new byte[100])).isInstanceOf(KernelImageException.class);
    }

    @Test
    void elfParserRejectsHostileHeaders() {
        byte[] elf = Elf64Builder.kernel(0xFFFF_FFFF_8100_0000L, 16 * MIB, new byte[64], 0);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(64 + 32, 1L << 40); // p_filesz far beyond the file
        assertThatThrownBy(() -> ElfImage.parse(elf)).hasMessageContaining("p_filesz");
        b.putLong(64 + 32, 64).putLong(32, 1 << 20); // e_phoff beyond the file
        assertThatThrownBy(() -> ElfImage.parse(elf)).hasMessageContaining("program header table");
        b.putLong(32, 64).putLong(24, 0x1234); // entry in no segment
        assertThatThrownBy(() -> ElfImage.parse(elf).physicalEntry()).hasMessageContaining("e_entry");
        b.putLong(24, 0xFFFF_FFFF_8100_0000L).putLong(64 + 24, 0x1000); // p_paddr below 1 MiB
        try (GuestMemory memory = GuestMemory.allocate(32 * MIB)) {
            assertThatThrownBy(() -> ElfImage.parse(elf).load(memory)).hasMessageContaining("at or above 1 MiB");
            b.putLong(64 + 24, 64 * MIB); // beyond RAM
            assertThatThrownBy(() -> ElfImage.parse(elf).load(memory)).hasMessageContaining("guest RAM");
        }
        assertThatThrownBy(() -> ElfImage.parse(java.util.Arrays.copyOf(elf, 40)))
                .hasMessageContaining("beyond the end");
    }
}
