package org.viridian.machine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Arrays;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorOutputStream;
import org.apache.commons.compress.compressors.lzma.LZMACompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.viridian.partition.memory.GuestMemory;

class BzImageTest {
    private static final long MIB = 1 << 20;

    @FunctionalInterface
    interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    private static byte[] vmlinux() {
        byte[] text = new byte[200_000];
        for (int i = 0; i < text.length; i++) text[i] = (byte) (i % 251 == 0 ? i : i / 1000);
        return Elf64Builder.kernel(0xFFFF_FFFF_8100_0000L, 16 * MIB, text, 4096);
    }

    private static byte[] compress(BzImage.Compression c, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (c == BzImage.Compression.LZ4_LEGACY) {
            // Legacy framing as "lz4 -l" writes it: magic, then {size, block} chunks of at most 8 MiB input.
            bytes.write(new byte[] {0x02, 0x21, 0x4C, 0x18});
            for (int off = 0; off < data.length; off += 65536) {
                ByteArrayOutputStream block = new ByteArrayOutputStream();
                try (OutputStream o = new BlockLZ4CompressorOutputStream(block)) {
                    o.write(data, off, Math.min(65536, data.length - off));
                }
                bytes.write(le32(block.size()));
                block.writeTo(bytes);
            }
        } else {
            Compressor comp =
                    switch (c) {
                        case GZIP -> GzipCompressorOutputStream::new;
                        case BZIP2 -> BZip2CompressorOutputStream::new;
                        case XZ -> XZCompressorOutputStream::new;
                        case LZMA -> LZMACompressorOutputStream::new;
                        case ZSTD -> ZstdCompressorOutputStream::new;
                        default -> throw new IllegalArgumentException(c.name());
                    };
            try (OutputStream o = comp.wrap(bytes)) {
                o.write(data);
            }
        }
        if (c != BzImage.Compression.GZIP) bytes.write(le32(data.length)); // the build's size_append
        return bytes.toByteArray();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] withPayload(byte[] payload) {
        int payloadOffset = 0x300;
        byte[] img = LinuxLoaderTest.fakeBzImage(payloadOffset + payload.length, 16 * MIB, 32 * MIB, true);
        System.arraycopy(payload, 0, img, 5 * 512 + payloadOffset, payload.length);
        ByteBuffer.wrap(img)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0x248, payloadOffset)
                .putInt(0x24C, payload.length);
        return img;
    }

    @ParameterizedTest
    @EnumSource(value = BzImage.Compression.class, names = "LZO", mode = EnumSource.Mode.EXCLUDE)
    void extractsEveryKernelCompression(BzImage.Compression c) throws IOException {
        byte[] elf = vmlinux();
        byte[] img = withPayload(compress(c, elf));
        assertThat(BzImage.compression(img)).isEqualTo(c);
        assertThat(BzImage.extractVmlinux(img)).isEqualTo(elf);
    }

    @Test
    void rejectsCorruptOrLyingPayloads() throws IOException {
        byte[] elf = vmlinux();
        byte[] payload = compress(BzImage.Compression.XZ, elf);
        byte[] lying = payload.clone();
        ByteBuffer.wrap(lying).order(ByteOrder.LITTLE_ENDIAN).putInt(lying.length - 4, elf.length - 1);
        assertThatThrownBy(() -> BzImage.extractVmlinux(withPayload(lying)))
                .isInstanceOf(KernelImageException.class)
                .hasMessageContaining("size trailer");
        byte[] corrupt = payload.clone();
        Arrays.fill(corrupt, 20, 200, (byte) 0x55);
        assertThatThrownBy(() -> BzImage.extractVmlinux(withPayload(corrupt)))
                .isInstanceOf(KernelImageException.class)
                .hasMessageContaining("XZ");
        byte[] img = withPayload(payload);
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(0x24C, img.length);
        assertThatThrownBy(() -> BzImage.extractVmlinux(img)).hasMessageContaining("payload_length");
        assertThatThrownBy(() -> BzImage.extractVmlinux(withPayload(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9})))
                .hasMessageContaining("unknown magic");
    }

    @Test
    void extractsAndBootsTheRealDebianKernelAsVmlinux() throws Exception {
        byte[] img = Files.readAllBytes(DebianKernel.vmlinuz());
        byte[] vmlinux = BzImage.extractVmlinux(img);
        ElfImage elf = ElfImage.parse(vmlinux);
        assertThat(elf.is64()).isTrue();
        SetupHeader h = SetupHeader.parse(img);
        assertThat(elf.physicalEntry()).isEqualTo(h.prefAddress());
        try (GuestMemory memory = GuestMemory.allocate(512 * MIB)) {
            BootImage boot = LinuxLoader.load(memory, vmlinux, new LinuxLoader.Options("console=ttyS0", null, 0xE0000));
            assertThat(boot.bsp().mode()).isEqualTo(EntryState.Mode.LONG64);
            assertThat(boot.bsp().rip()).isEqualTo(h.prefAddress());
            assertThat(boot.kernelStart()).isEqualTo(h.prefAddress());
            ElfImage.Segment first = elf.segments().getFirst();
            assertThat(memory.read(first.paddr(), 4096))
                    .isEqualTo(Arrays.copyOfRange(vmlinux, (int) first.offset(), (int) first.offset() + 4096));
        }
    }
}
