package org.viridian.storage.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.storage.TestImages.assertContent;
import static org.viridian.storage.TestImages.randomWrites;
import static org.viridian.storage.TestImages.readAll;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * Interoperability with an independent implementation, Debian's qemu-img/qemu-io, in both directions:
 * what Viridian writes qemu reads (info, check, compare against the same bytes written raw), and what qemu
 * creates and writes Viridian reads with the same content as qemu's own raw conversion.
 */
class QemuInteropTest {
    private static final int SIZE = 24 * 1024 * 1024 + 64 * 1024;

    @TempDir
    Path dir;

    @BeforeAll
    static void needQemu() {
        QemuImg.require();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"vhd,fixed,vpc", "vhd,dynamic,vpc", "vhdx,fixed,vhdx", "vhdx,dynamic,vhdx"})
    void qemuReadsWhatViridianWrites(String format, String type, String qemuFormat) throws Exception {
        Path img = dir.resolve("v." + format), raw = dir.resolve("model.raw");
        Images.create(img, new CreateOptions(ImageFormat.parse(format), ImageType.parse(type), SIZE, 0, null));
        byte[] model = new byte[SIZE];
        try (DiskImage d = Images.open(img, false)) {
            randomWrites(d, model, 7, 80, 400_000);
            d.flush();
        }
        Files.write(raw, model);

        JsonNode info = qemuFormat.equals("vpc")
                ? new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(QemuImg.ok("qemu-img", "info", "--output=json", "--image-opts", QemuImg.vpcOpts(img)))
                : QemuImg.info(img, qemuFormat);
        assertThat(info.get("format").asText()).isEqualTo(qemuFormat);
        assertThat(info.get("virtual-size").asLong()).isEqualTo(SIZE);
        if (qemuFormat.equals("vhdx")) QemuImg.ok("qemu-img", "check", "-f", "vhdx", img.toString());
        QemuImg.Result cmp = QemuImg.compareWithRaw(img, qemuFormat, raw);
        assertThat(cmp.exit()).as(cmp.out()).isZero();
    }

    @Test
    void qemuSeesADifferentByteAsADifference() throws Exception {
        // The oracle itself must be able to fail: one changed byte makes qemu-img compare report a mismatch.
        Path img = dir.resolve("v.vhdx"), raw = dir.resolve("model.raw");
        Images.create(img, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, SIZE, 0, null));
        byte[] model = new byte[SIZE];
        try (DiskImage d = Images.open(img, false)) {
            randomWrites(d, model, 8, 10, 100_000);
        }
        model[SIZE / 2] ^= 1;
        Files.write(raw, model);
        assertThat(QemuImg.compareWithRaw(img, "vhdx", raw).exit()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "vpc,subformat=fixed,vhd",
        "vpc,subformat=dynamic,vhd",
        "vhdx,subformat=fixed,vhdx",
        "vhdx,subformat=dynamic,vhdx",
        "vhdx,subformat=dynamic:block_size=8388608,vhdx",
        "qcow2,cluster_size=65536,qcow2",
        "qcow2,cluster_size=4096:lazy_refcounts=on,qcow2",
        "vmdk,subformat=monolithicSparse,vmdk",
        "vmdk,subformat=monolithicFlat,vmdk"
    })
    void viridianReadsWhatQemuWrites(String qemuFormat, String options, String ext) throws Exception {
        Path img = dir.resolve("q." + ext), raw = dir.resolve("q.raw");
        String opts = options.replace(':', ',') + (qemuFormat.equals("vpc") ? ",force_size=on" : "");
        QemuImg.ok("qemu-img", "create", "-q", "-f", qemuFormat, "-o", opts, img.toString(), Integer.toString(SIZE));
        // Patterns at the start, across a block/cluster boundary, unaligned, and at the very end.
        for (long[] w : List.of(
                new long[] {0x11, 0, 65536},
                new long[] {0x22, 2 * 1024 * 1024 - 4096, 12288},
                new long[] {0x33, 5 * 1024 * 1024 + 512, 1536},
                new long[] {0x44, SIZE - 8192, 8192})) {
            QemuImg.write(img, qemuFormat, (int) w[0], w[1], w[2]);
        }
        QemuImg.ok("qemu-img", "convert", "-O", "raw", "-f", qemuFormat, img.toString(), raw.toString());
        byte[] expected = Files.readAllBytes(raw);
        assertThat(expected[0]).isEqualTo((byte) 0x11);
        try (DiskImage d = Images.open(img, true)) {
            assertThat(d.format()).isEqualTo(ImageFormat.parse(ext));
            assertContent(d, expected);
        }
        // And Viridian's conversion of qemu's image is byte-identical too.
        Path out = dir.resolve("converted.vhdx");
        try (DiskImage d = Images.open(img, true)) {
            Converter.convert(
                    d, out, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, d.size(), 0, null), Progress.NONE);
        }
        try (DiskImage d = Images.open(out, true)) {
            assertThat(readAll(d)).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"qcow2,-c,qcow2", "vmdk,subformat=streamOptimized,vmdk"})
    void viridianReadsCompressedImagesQemuWrites(String qemuFormat, String option, String ext) throws Exception {
        Path raw = dir.resolve("src.raw"), img = dir.resolve("c." + ext);
        byte[] model = new byte[SIZE];
        java.util.Random r = new java.util.Random(21);
        for (int i = 0; i < 40; i++) {
            // Compressible runs (repeated words) and incompressible ones, at unaligned places.
            int off = r.nextInt(SIZE - 70_000), len = 1 + r.nextInt(65_000);
            if (i % 2 == 0) java.util.Arrays.fill(model, off, off + len, (byte) (i + 1));
            else for (int k = off; k < off + len; k++) model[k] = (byte) r.nextInt();
        }
        Files.write(raw, model);
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "convert", "-f", "raw", "-O", qemuFormat));
        cmd.addAll(option.startsWith("-") ? List.of(option) : List.of("-o", option));
        cmd.addAll(List.of(raw.toString(), img.toString()));
        QemuImg.ok(cmd.toArray(String[]::new));
        assertThat(Files.size(img)).as("the image really is compressed").isLessThan(SIZE / 2);
        try (DiskImage d = Images.open(img, true)) {
            assertContent(d, model);
        }
    }
}
