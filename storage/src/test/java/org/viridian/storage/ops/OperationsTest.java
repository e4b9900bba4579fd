package org.viridian.storage.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.storage.TestImages.assertContent;
import static org.viridian.storage.TestImages.randomWrites;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.QemuImg;

/** convert, resize, compact, merge and set-parent on real files, checked with the library and with qemu-img. */
class OperationsTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path image(String name, ImageType type, byte[] model, long seed) throws Exception {
        Path p = dir.resolve(name);
        Images.create(p, new CreateOptions(Images.formatFor(p, null), type, model.length, 0, null));
        try (DiskImage d = Images.open(p, false)) {
            randomWrites(d, model, seed, 8, 200_000);
        }
        return p;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"a.img,b.vhdx,dynamic", "a.vhdx,b.vhd,dynamic", "a.vhd,b.img,fixed", "a.vhdx,b.vhdx,fixed"})
    void convertIsSparseAwareAndReportsProgress(String from, String to, String type) throws Exception {
        byte[] model = new byte[64 * MIB];
        Path src = image(
                from,
                ImageFormat.fromFileName(Path.of(from)) == ImageFormat.RAW ? ImageType.FIXED : ImageType.DYNAMIC,
                model,
                11);
        Path dst = dir.resolve(to);
        List<Long> progress = new ArrayList<>();
        try (DiskImage s = Images.open(src, true)) {
            Converter.convert(
                    s,
                    dst,
                    new CreateOptions(Images.formatFor(dst, null), ImageType.parse(type), s.size(), 2 * MIB, null),
                    (done, total) -> progress.add(done));
        }
        try (DiskImage d = Images.open(dst, true)) {
            assertContent(d, model);
        }
        assertThat(progress).isSorted().last().isEqualTo((long) model.length);
        if (type.equals("dynamic")) {
            // 8 writes of < 200 KB touch at most 16 of the 32 blocks of 2 MiB.
            try (DiskImage d = Images.open(dst, true)) {
                assertThat(d.info().allocatedBytes()).isLessThanOrEqualTo(16L * 2 * MIB);
            }
            assertThat(Files.size(dst)).isLessThan(16L * 2 * MIB + 8 * MIB);
        }
    }

    @Test
    void holesOfASparseRawFileAreKnownSoCopiesSkipThem() throws Exception {
        Path p = dir.resolve("sparse.img");
        Images.create(p, new CreateOptions(ImageFormat.RAW, ImageType.FIXED, 64 * MIB, 0, null));
        try (DiskImage d = Images.open(p, false)) {
            d.write(ByteBuffer.wrap(new byte[] {1}), 40 * MIB + 5);
            d.flush();
        }
        try (DiskImage d = Images.open(p, true)) {
            assertThat(d.mayHaveData(0, 32 * MIB)).isFalse();
            assertThat(d.mayHaveData(39 * MIB, 2 * MIB)).isTrue();
            assertThat(d.mayHaveData(48 * MIB, 16 * MIB)).isFalse();
        }
    }

    @Test
    void resizeGrowsAndShrinksOnlyWhenSafe() throws Exception {
        for (String name : List.of("r.vhd", "r.vhdx", "r.img")) {
            byte[] model = new byte[8 * MIB];
            Path p = image(name, name.endsWith(".img") ? ImageType.FIXED : ImageType.DYNAMIC, model, 12);
            Resizer.resize(p, 16 * MIB);
            byte[] grown = Arrays.copyOf(model, 16 * MIB);
            try (DiskImage d = Images.open(p, false)) {
                assertContent(d, grown);
                d.write(ByteBuffer.wrap(new byte[] {9}), 12 * MIB);
            }
            assertThatThrownBy(() -> Resizer.resize(p, 10 * MIB)).hasMessageContaining("cannot shrink");
            try (DiskImage d = Images.open(p, false)) {
                d.write(ByteBuffer.wrap(new byte[] {0}), 12 * MIB);
            }
            Resizer.resize(p, 8 * MIB);
            try (DiskImage d = Images.open(p, true)) {
                assertContent(d, model);
            }
            assertThat(Checker.check(p, false).problems()).as(name).isEmpty();
        }
    }

    @Test
    void compactReclaimsBlocksThatReadAsZeros() throws Exception {
        for (String name : List.of("c.vhd", "c.vhdx")) {
            byte[] model = new byte[64 * MIB];
            Path p = dir.resolve(name);
            Images.create(
                    p, new CreateOptions(Images.formatFor(p, null), ImageType.DYNAMIC, model.length, 2 * MIB, null));
            try (DiskImage d = Images.open(p, false)) {
                byte[] ones = new byte[40 * MIB];
                Arrays.fill(ones, (byte) 1);
                d.write(ByteBuffer.wrap(ones), 0);
                d.write(ByteBuffer.allocate(36 * MIB), 2 * MIB); // the guest zeroes most of it again
                System.arraycopy(ones, 0, model, 0, 2 * MIB);
                System.arraycopy(ones, 0, model, 38 * MIB, 2 * MIB);
            }
            long before = Files.size(p);
            long saved = Compactor.compact(p, Progress.NONE);
            assertThat(saved).as(name).isGreaterThanOrEqualTo(30L * MIB);
            assertThat(Files.size(p)).isEqualTo(before - saved);
            try (DiskImage d = Images.open(p, true)) {
                assertContent(d, model);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"vhd", "vhdx"})
    void mergeFoldsTheChildIntoItsParent(String format) throws Exception {
        byte[] model = new byte[16 * MIB];
        Path parent = image("p." + format, ImageType.DYNAMIC, model, 13);
        Path child = dir.resolve("c." + format);
        Images.create(child, new CreateOptions(ImageFormat.parse(format), ImageType.DIFFERENCING, 0, 0, parent));
        try (DiskImage d = Images.open(child, false)) {
            randomWrites(d, model, 14, 12, 300_000);
            byte[] zeros = new byte[70_000];
            d.write(ByteBuffer.wrap(zeros), 5 * MIB); // zeros over parent data must reach the parent too
            System.arraycopy(zeros, 0, model, 5 * MIB, zeros.length);
        }
        assertThat(Merger.merge(child, Progress.NONE)).isEqualTo(parent);
        try (DiskImage d = Images.open(parent, true)) {
            assertContent(d, model);
        }
        if (format.equals("vhdx")) QemuImg.ok("qemu-img", "check", "-f", "vhdx", parent.toString());
    }

    @ParameterizedTest
    @CsvSource({"vhd", "vhdx"})
    void setParentRelinksAMovedParentAndRefusesAStranger(String format) throws Exception {
        byte[] model = new byte[8 * MIB];
        Path parent = image("p." + format, ImageType.DYNAMIC, model, 15);
        Path child = dir.resolve("c." + format);
        Images.create(child, new CreateOptions(ImageFormat.parse(format), ImageType.DIFFERENCING, 0, 0, parent));
        Path moved = Files.createDirectories(dir.resolve("elsewhere")).resolve("renamed." + format);
        Files.move(parent, moved);
        assertThatThrownBy(() -> Images.open(child, true)).hasMessageContaining("p." + format);
        Path stranger = image("s." + format, ImageType.DYNAMIC, new byte[8 * MIB], 16);
        if (format.equals("vhdx")) {
            // VHDX records the parent's DataWriteGuid: a different disk of the same size is refused without --force.
            assertThatThrownBy(() -> ParentSetter.setParent(child, stranger, false))
                    .hasMessageContaining("parent");
        }
        ParentSetter.setParent(child, moved, false);
        try (DiskImage d = Images.open(child, true)) {
            assertContent(d, model);
            assertThat(d.info().parent()).isEqualTo(moved.toString());
        }
    }
}
