package org.viridian.machine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

class LinuxLoaderTest {
    private static final long MIB = 1 << 20;
    private final GuestMemory memory = GuestMemory.allocate(256 * MIB);

    @AfterEach
    void close() {
        memory.close();
    }

    /** A minimal well-formed bzImage: 4 setup sectors, {@code code} bytes of protected-mode "kernel". */
    static byte[] fakeBzImage(int code, long pref, long initSize, boolean relocatable) {
        byte[] img = new byte[5 * 512 + code];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1F1, (byte) 4).putInt(0x1F4, (code + 15) / 16).putShort(0x1FE, (short) 0xAA55);
        b.put(0x200, (byte) 0xEB)
                .put(0x201, (byte) 0x6A)
                .putInt(0x202, 0x53726448)
                .putShort(0x206, (short) 0x020F);
        b.put(0x211, (byte) 0x01)
                .putInt(0x22C, 0x7FFF_FFFF)
                .putInt(0x230, 0x20_0000)
                .put(0x234, (byte) (relocatable ? 1 : 0));
        b.putShort(0x236, (short) 0x7F).putInt(0x238, 2047).putLong(0x258, pref).putInt(0x260, (int) initSize);
        for (int i = 5 * 512; i < img.length; i++) img[i] = (byte) (i * 7);
        return img;
    }

    private ByteBuffer bootParams() {
        return ByteBuffer.wrap(memory.read(BootLayout.BOOT_PARAMS, 4096)).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void loadsBzImageAtPrefAddressAndBuildsBootParams() {
        byte[] img = fakeBzImage(64 * 1024, 16 * MIB, 4 * MIB, true);
        byte[] initrd = new byte[3 * 4096 + 5];
        Arrays.fill(initrd, (byte) 0x5A);
        BootImage boot = LinuxLoader.load(memory, img, new LinuxLoader.Options("console=ttyS0 quiet", initrd, 0xE0000));

        assertThat(boot.kernelStart()).isEqualTo(16 * MIB);
        assertThat(memory.read(16 * MIB, img.length - 2560)).isEqualTo(Arrays.copyOfRange(img, 2560, img.length));
        EntryState s = boot.bsp();
        assertThat(s.mode()).isEqualTo(EntryState.Mode.LONG64);
        assertThat(s.rip()).isEqualTo(16 * MIB + 0x200);
        assertThat(s.rsi()).isEqualTo(BootLayout.BOOT_PARAMS);
        assertThat(s.cs().selector()).isEqualTo(0x10);
        assertThat(s.ds().selector()).isEqualTo(0x18);
        assertThat(s.cs().l()).isTrue();
        assertThat(s.efer()).isEqualTo(EntryState.EFER_LME | EntryState.EFER_LMA);
        assertThat(s.cr4() & EntryState.CR4_PAE).isNotZero();
        assertThat(memory.readLong(s.gdt().base() + 0x10)).isEqualTo(0x00AF_9B00_0000_FFFFL);
        assertIdentityMapped(s.cr3(), 0);
        assertIdentityMapped(s.cr3(), 16 * MIB + 0x200);
        assertIdentityMapped(s.cr3(), 0xFEE0_0000L);

        ByteBuffer bp = bootParams();
        // The setup header is copied verbatim, then the loader's fields are set.
        assertThat(bp.getInt(0x202)).isEqualTo(0x53726448);
        assertThat(bp.getLong(0x258)).isEqualTo(16 * MIB);
        assertThat(bp.get(0x210) & 0xFF).isEqualTo(0xFF);
        assertThat(bp.get(0x211) & 0x81).isEqualTo(0x81);
        assertThat(bp.getInt(0x214)).isEqualTo((int) (16 * MIB));
        assertThat(bp.getShort(0x224) & 0xFFFF).isEqualTo(0xFC00);
        assertThat(bp.getInt(0x228)).isEqualTo((int) BootLayout.CMDLINE);
        assertThat(new String(memory.read(BootLayout.CMDLINE, 20))).isEqualTo("console=ttyS0 quiet\0");
        assertThat(bp.getLong(0x070)).isEqualTo(0xE0000);
        long rd = Integer.toUnsignedLong(bp.getInt(0x218));
        assertThat(bp.getInt(0x21C)).isEqualTo(initrd.length);
        assertThat(rd % 4096).isZero();
        assertThat(rd + initrd.length).isLessThanOrEqualTo(256 * MIB).isGreaterThan(256 * MIB - 4096);
        assertThat(memory.read(rd, initrd.length)).isEqualTo(initrd);
        assertThat(boot.initrd()).isEqualTo(new BootImage.Range(rd, initrd.length));
        assertThat(bp.get(0x1E8)).isEqualTo((byte) 3);
        assertThat(new long[] {bp.getLong(0x2D0 + 40), bp.getLong(0x2D0 + 48), bp.getInt(0x2D0 + 56)})
                .containsExactly(MIB, 255 * MIB, 1);
        assertThat(bp.getInt(0x2D0 + 20 + 16)).isEqualTo(2);
    }

    @Test
    void relocatesWhenPrefAddressDoesNotFitAndRefusesWhenNothingFits() {
        try (GuestMemory small = GuestMemory.allocate(24 * MIB)) {
            BootImage boot = LinuxLoader.load(
                    small, fakeBzImage(4096, 16 * MIB, 12 * MIB, true), new LinuxLoader.Options("", null, 0));
            assertThat(boot.kernelStart()).isEqualTo(2 * MIB);
            assertThatThrownBy(() -> LinuxLoader.load(
                            small, fakeBzImage(4096, 16 * MIB, 12 * MIB, false), new LinuxLoader.Options("", null, 0)))
                    .hasMessageContaining("init_size")
                    .hasMessageContaining("not relocatable");
            assertThatThrownBy(() -> LinuxLoader.load(
                            small, fakeBzImage(4096, 16 * MIB, 30 * MIB, true), new LinuxLoader.Options("", null, 0)))
                    .hasMessageContaining("does not fit");
        }
    }

    @Test
    void validatesEveryHeaderField() {
        LinuxLoader.Options none = new LinuxLoader.Options("", null, 0);
        expectError(b -> b.putShort(0x1FE, (short) 0), "boot_flag");
        expectError(b -> b.putInt(0x202, 0), "HdrS");
        expectError(b -> b.putShort(0x206, (short) 0x020B), "older than 2.12");
        expectError(b -> b.putShort(0x236, (short) 0), "XLF_KERNEL_64");
        expectError(b -> b.put(0x211, (byte) 0), "LOADED_HIGH");
        expectError(b -> b.putInt(0x1F4, 0x10_0000), "syssize");
        expectError(b -> b.putInt(0x230, 0x1234), "kernel_alignment");
        expectError(b -> b.putInt(0x260, 16), "init_size");
        expectError(b -> b.put(0x1F1, (byte) 200), "setup_sects");
        expectError(b -> b.put(0x201, (byte) 0x10), "jump");
        assertThatThrownBy(
                        () -> LinuxLoader.load(memory, Arrays.copyOf(fakeBzImage(4096, MIB, MIB, true), 0x240), none))
                .hasMessageContaining("setup header")
                .hasMessageContaining("beyond the end");
        assertThatThrownBy(() -> LinuxLoader.load(
                        memory,
                        fakeBzImage(4096, 16 * MIB, MIB, true),
                        new LinuxLoader.Options("x".repeat(2048), null, 0)))
                .hasMessageContaining("cmdline_size 2047");
        assertThatThrownBy(() -> LinuxLoader.load(
                        memory,
                        fakeBzImage(4096, 16 * MIB, MIB, true),
                        new LinuxLoader.Options("", new byte[(int) (250 * MIB)], 0)))
                .hasMessageContaining("initrd")
                .hasMessageContaining("does not fit");
    }

    private void expectError(java.util.function.Consumer<ByteBuffer> corrupt, String field) {
        byte[] img = fakeBzImage(4096, 16 * MIB, MIB, true);
        corrupt.accept(ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN));
        assertThatThrownBy(() -> LinuxLoader.load(memory, img, new LinuxLoader.Options("", null, 0)))
                .isInstanceOf(KernelImageException.class)
                .hasMessageContaining(field);
    }

    @Test
    void loadsRealDebianBzImage() throws Exception {
        byte[] img = Files.readAllBytes(DebianKernel.vmlinuz());
        SetupHeader h = SetupHeader.parse(img);
        assertThat(h.version()).isGreaterThanOrEqualTo(0x020C);
        BootImage boot =
                LinuxLoader.load(memory, img, new LinuxLoader.Options("console=ttyS0", new byte[4096], 0xE0000));
        long load = h.prefAddress();
        assertThat(boot.kernelStart()).isEqualTo(load);
        assertThat(boot.kernelEnd()).isEqualTo(load + h.initSize());
        assertThat(boot.bsp().rip()).isEqualTo(load + 0x200);
        assertThat(memory.read(load, 4096))
                .isEqualTo(Arrays.copyOfRange(img, (int) h.setupSize(), (int) h.setupSize() + 4096));
        ByteBuffer bp = bootParams();
        assertThat(bp.getShort(0x206)).isEqualTo((short) h.version());
        assertThat(bp.getInt(0x260)).isEqualTo((int) h.initSize());
        assertThat(Integer.toUnsignedLong(bp.getInt(0x218))).isGreaterThanOrEqualTo(boot.kernelEnd());
    }

    @Test
    void loadsElfVmlinuxAtPhysicalAddresses() {
        // An ELF64 "vmlinux" linked at the kernel's virtual base with p_paddr 16 MiB.
        byte[] elf = Elf64Builder.kernel(0xFFFF_FFFF_8100_0000L, 16 * MIB, new byte[8192], 4096);
        BootImage boot = LinuxLoader.load(memory, elf, new LinuxLoader.Options("root=/dev/vda", null, 0));
        assertThat(boot.bsp().rip()).isEqualTo(16 * MIB);
        assertThat(boot.kernelStart()).isEqualTo(16 * MIB);
        assertThat(boot.kernelEnd()).isEqualTo(16 * MIB + 8192 + 4096);
        ByteBuffer bp = bootParams();
        assertThat(bp.getShort(0x1FE) & 0xFFFF).isEqualTo(0xAA55);
        assertThat(bp.getInt(0x202)).isEqualTo(0x53726448);
        assertThat(bp.getShort(0x236) & 1).isEqualTo(1);
        assertThat(bp.getInt(0x228)).isEqualTo((int) BootLayout.CMDLINE);
    }

    private void assertIdentityMapped(long cr3, long va) {
        long pml4e = memory.readLong(cr3 + 8 * ((va >>> 39) & 511));
        long pdpte = memory.readLong((pml4e & ~0xFFFL) + 8 * ((va >>> 30) & 511));
        long pde = memory.readLong((pdpte & ~0xFFFL) + 8 * ((va >>> 21) & 511));
        assertThat(pml4e & 1).isEqualTo(1);
        assertThat(pdpte & 1).isEqualTo(1);
        assertThat(pde & 0x83).isEqualTo(0x83);
        assertThat((pde & ~0x1F_FFFFL) | (va & 0x1F_FFFF)).isEqualTo(va);
    }
}
