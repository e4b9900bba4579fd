package org.viridian.storage.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.storage.TestImages.assertContent;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.QemuImg;

/**
 * The conversion's paths, each checked against the model and by qemu-img compare: the kernel file-to-file copy and
 * the buffer path, one and several reader threads, every source format (qemu-written qcow2 with 64 KiB and 4 KiB
 * clusters, VMDK, a sparse raw file, our VHD and VHDX) into VHD and VHDX; zero granules inside data, data that starts
 * with a zero page (the probe's fallback), unaligned runs and holes. The bytes written must be exactly the model's
 * non-zero granules (zero detection and sparse skipping), and the target appears only under its name, complete.
 */
class ConvertPathsTest {
    private static final int SIZE = 40 * 1024 * 1024 + 512 * 1024, GRANULE = 64 * 1024;

    @TempDir
    Path dir;

    @BeforeAll
    static void needQemu() {
        QemuImg.require();
    }

    /** Runs of random bytes from 1 byte to 3 MiB, some with zero pages inside or at their start. */
    static byte[] model(long seed) {
        byte[] m = new byte[SIZE];
        Random r = new Random(seed);
        for (int i = 0; i < 30; i++) {
            int len = 1 + r.nextInt(i % 3 == 0 ? 3 << 20 : 200_000), off = r.nextInt(SIZE - len);
            for (int k = off; k < off + len; k++) m[k] = (byte) (1 + r.nextInt(255));
            if (i % 4 == 1 && len > 3 * GRANULE) {
                int z = (off / GRANULE + 1) * GRANULE;
                java.util.Arrays.fill(m, z, z + GRANULE, (byte) 0); // a whole zero granule inside data
                java.util.Arrays.fill(m, z + 2 * GRANULE, z + 2 * GRANULE + 4096, (byte) 0); // a granule starting 0
            }
        }
        m[SIZE - 1] = 7;
        return m;
    }

    /** A sparse raw file holding the model (only its non-zero granules written). */
    static Path sparseRaw(Path p, byte[] model) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(SIZE);
            for (int g = 0; g < SIZE; g += GRANULE) {
                int n = Math.min(GRANULE, SIZE - g);
                if (!isZero(model, g, n)) ch.write(ByteBuffer.wrap(model, g, n), g);
            }
            // Truncating to the size wrote nothing; make sure the file has it.
            if (ch.size() < SIZE) ch.truncate(SIZE);
        }
        return p;
    }

    static boolean isZero(byte[] m, int from, int n) {
        for (int i = from; i < from + n; i++) if (m[i] != 0) return false;
        return true;
    }

    static long nonZeroGranuleBytes(byte[] m) {
        long n = 0;
        for (int g = 0; g < m.length; g += GRANULE)
            if (!isZero(m, g, Math.min(GRANULE, m.length - g))) n += Math.min(GRANULE, m.length - g);
        return n;
    }

    private Path source(String kind, byte[] model) throws Exception {
        Path raw = sparseRaw(dir.resolve("model.raw"), model);
        switch (kind) {
            case "raw" -> {
                return raw;
            }
            case "qcow2", "qcow2-4k", "vmdk" -> {
                Path p = dir.resolve("src." + kind);
                String fmt = kind.startsWith("qcow2") ? "qcow2" : "vmdk";
                String opts = kind.equals("qcow2-4k")
                        ? "cluster_size=4096"
                        : kind.equals("vmdk") ? "subformat=monolithicSparse" : "cluster_size=65536";
                QemuImg.ok("qemu-img", "convert", "-f", "raw", "-O", fmt, "-o", opts, raw.toString(), p.toString());
                return p;
            }
            default -> {
                Path p = dir.resolve("src." + kind);
                try (DiskImage s = org.viridian.storage.ops.Images.open(raw, true)) {
                    Converter.convert(
                            s,
                            p,
                            new CreateOptions(ImageFormat.parse(kind), ImageType.DYNAMIC, SIZE, 0, null),
                            Progress.NONE,
                            false,
                            1,
                            false);
                }
                return p;
            }
        }
    }

    @ParameterizedTest(name = "{0} -> {1}, kernel copy {2}, {3} readers")
    @CsvSource({
        "qcow2,vhdx,true,1",
        "qcow2,vhd,true,3",
        "qcow2,vhdx,false,2",
        "qcow2,vhd,false,1",
        "qcow2-4k,vhdx,true,2",
        "qcow2-4k,vhd,false,3",
        "vmdk,vhdx,true,3",
        "vmdk,vhd,true,1",
        "vmdk,vhdx,false,1",
        "raw,vhdx,true,2",
        "raw,vhd,true,1",
        "raw,vhd,false,3",
        "vhd,vhdx,true,1",
        "vhdx,vhd,true,3",
        "vhdx,vhdx,false,2",
        "vhd,raw,true,2"
    })
    void everyPathGivesTheSameContent(String from, String to, boolean kernel, int readers) throws Exception {
        byte[] model = model(from.hashCode() * 31L + to.hashCode());
        Path src = source(from, model), dst = dir.resolve("out." + (to.equals("raw") ? "img" : to));
        long written;
        try (DiskImage s = Images.open(src, true)) {
            ImageType type = to.equals("raw") ? ImageType.FIXED : ImageType.DYNAMIC;
            written = Converter.convert(
                    s,
                    dst,
                    new CreateOptions(Images.formatFor(dst, null), type, SIZE, 0, null),
                    Progress.NONE,
                    false,
                    readers,
                    kernel);
        }
        assertThat(written).as("exactly the non-zero granules are written").isEqualTo(nonZeroGranuleBytes(model));
        try (DiskImage d = Images.open(dst, true)) {
            assertContent(d, model);
        }
        String qf = to.equals("vhd") ? "vpc" : to.equals("raw") ? "raw" : to;
        QemuImg.Result cmp = QemuImg.compareWithRaw(dst, qf, dir.resolve("model.raw"));
        assertThat(cmp.exit()).as(cmp.out()).isZero();
        // And input against output directly, as a user would check (qemu sizes a VHD by its geometry unless told).
        if (!from.startsWith("vhd") && to.equals("vhdx"))
            assertThat(QemuImg.run("qemu-img", "compare", src.toString(), dst.toString())
                            .exit())
                    .isZero();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    /**
     * A raw file whose every byte was written (so SEEK_DATA reports data everywhere) with a whole target block of
     * zeros, zero granules, and a size that is a multiple of neither the granule nor any block size: the zeros are
     * found by reading, none of them is written, the all-zero blocks stay unallocated, and the odd tail is copied.
     */
    @ParameterizedTest(name = "allocated zeros, odd size -> {0}, kernel copy {1}")
    @CsvSource({"vhdx,true", "vhdx,false", "vhd,true", "vhd,false"})
    void allocatedZerosAndAnOddSize(String to, boolean kernel) throws Exception {
        int size = (33 << 20) + GRANULE + 4096 + 512;
        byte[] model = new byte[size];
        Random r = new Random(to.hashCode() + (kernel ? 1 : 0));
        for (int at : new int[] {(32 << 20) + 4096, (32 << 20) + 5 * GRANULE - 100, size - 700}) {
            for (int k = at; k < Math.min(size, at + 3000); k++) model[k] = (byte) (1 + r.nextInt(255));
        }
        Path src = dir.resolve("dense.img"), dst = dir.resolve("out." + to);
        Files.write(src, model);
        long written;
        try (DiskImage s = Images.open(src, true)) {
            assertThat(s.mayHaveData(0, 32 << 20))
                    .as("written zeros are data to SEEK_DATA")
                    .isTrue();
            written = Converter.convert(
                    s,
                    dst,
                    new CreateOptions(Images.formatFor(dst, null), ImageType.DYNAMIC, size, 0, null),
                    Progress.NONE,
                    false,
                    2,
                    kernel);
        }
        assertThat(written).isEqualTo(nonZeroGranuleBytes(model));
        try (DiskImage d = Images.open(dst, true)) {
            assertContent(d, model);
            assertThat(d.ownsRange(0, 32 << 20))
                    .as("all-zero blocks stay unallocated")
                    .isFalse();
        }
        String qf = to.equals("vhd") ? "vpc" : to;
        QemuImg.Result cmp = QemuImg.compareWithRaw(dst, qf, src);
        assertThat(cmp.exit()).as(cmp.out()).isZero();
    }

    @Test
    void aFailedConversionLeavesNoFileAndAnExistingTargetIsKept() throws Exception {
        byte[] model = model(5);
        Path src = source("raw", model), dst = dir.resolve("taken.vhdx");
        Files.writeString(dst, "mine");
        try (DiskImage s = Images.open(src, true)) {
            assertThatThrownBy(() -> Converter.convert(
                            s,
                            dst,
                            new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, SIZE, 0, null),
                            Progress.NONE))
                    .hasMessageContaining("already exists");
        }
        assertThat(Files.readString(dst)).isEqualTo("mine");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
