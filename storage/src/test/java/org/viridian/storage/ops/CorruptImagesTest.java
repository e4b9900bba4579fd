package org.viridian.storage.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.storage.TestImages.assertContent;
import static org.viridian.storage.TestImages.randomWrites;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.QemuImg;
import org.viridian.storage.vhdx.RegionTable;

/**
 * Hostile or damaged files: every on-disk field is validated before use, the error names the field, strict opening
 * refuses the file, and check lists the problem (and repair fixes what can be fixed without guessing).
 */
class CorruptImagesTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path vhdx(byte[] model) throws IOException {
        Path p = dir.resolve("d.vhdx");
        Images.create(p, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, model.length, MIB, null));
        try (DiskImage d = Images.open(p, false)) {
            // Blocks 0 and 1 allocated, the rest sparse.
            randomWrites(d, model, 3, 6, 100_000);
            d.write(ByteBuffer.wrap(new byte[] {1}), MIB + 7);
            model[MIB + 7] = 1;
            d.write(ByteBuffer.wrap(new byte[] {2}), 7);
            model[7] = 2;
        }
        return p;
    }

    private static long batOffset(Path vhdx) throws IOException {
        try (FileChannel ch = FileChannel.open(vhdx)) {
            ByteBuffer b = ByteBuffer.allocate(RegionTable.SIZE).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, RegionTable.OFFSETS[0]);
            return RegionTable.parse(b.flip(), "test").find(RegionTable.BAT).offset();
        }
    }

    private static long readLongLe(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, at);
            return b.getLong(0);
        }
    }

    private static void patch(Path p, long at, ByteBuffer bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(bytes, at);
        }
    }

    private static void patchLongLe(Path p, long at, long v) throws IOException {
        patch(p, at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v));
    }

    private void assertRefused(Path p, String... fragments) {
        assertThatThrownBy(() -> Images.open(p, true))
                .isInstanceOf(CorruptImageException.class)
                .message()
                .contains(fragments);
    }

    @Test
    void vhdxBatEntryOutsideTheFile() throws Exception {
        Path p = vhdx(new byte[8 * MIB]);
        long bat = batOffset(p);
        patchLongLe(p, bat, (4096L << 20) | 6);
        assertRefused(p, "BAT entry 0");
        CheckReport r = Checker.check(p, false);
        assertThat(r.problems()).anySatisfy(s -> assertThat(s).contains("BAT entry 0"));
    }

    @Test
    void vhdxBatEntryIntoTheMetadataRegionAndOverlappingBlocks() throws Exception {
        byte[] model = new byte[8 * MIB];
        Path p = vhdx(model);
        long bat = batOffset(p);
        long first = readLongLe(p, bat);
        patchLongLe(p, bat + 8, first);
        assertRefused(p, "BAT entry 1", "overlap");
        patchLongLe(p, bat + 8, bat | 6);
        assertRefused(p, "BAT entry 1");
    }

    @Test
    void vhdxRepairClearsBadEntriesThroughTheLogAndKeepsTheRest() throws Exception {
        byte[] model = new byte[8 * MIB];
        Path p = vhdx(model);
        long bat = batOffset(p);
        patchLongLe(p, bat + 8, (4096L << 20) | 6);
        CheckReport repaired = Checker.check(p, true);
        assertThat(repaired.repairs()).anySatisfy(s -> assertThat(s).contains("cleared 1 invalid BAT entries"));
        assertThat(Checker.check(p, false).clean()).isTrue();
        QemuImg.ok("qemu-img", "check", "-f", "vhdx", p.toString());
        // Block 1 is lost (it reads as zeros now); block 0 and the rest are intact.
        java.util.Arrays.fill(model, MIB, 2 * MIB, (byte) 0);
        try (DiskImage d = Images.open(p, true)) {
            assertContent(d, model);
        }
    }

    @Test
    void vhdxWithBothHeadersDamagedIsRefusedButOneGoodHeaderIsEnough() throws Exception {
        byte[] model = new byte[4 * MIB];
        Path p = vhdx(model);
        patch(p, 64 * 1024 + 200, ByteBuffer.wrap(new byte[] {(byte) 0xAA}));
        try (DiskImage d = Images.open(p, true)) {
            assertContent(d, model);
        }
        patch(p, 128 * 1024 + 200, ByteBuffer.wrap(new byte[] {(byte) 0xAA}));
        assertRefused(p, "no valid VHDX header", "checksum");
    }

    @Test
    void vhdxRegionTableChecksum() throws Exception {
        Path p = vhdx(new byte[4 * MIB]);
        patch(p, RegionTable.OFFSETS[0] + 40, ByteBuffer.wrap(new byte[] {(byte) 0x55}));
        patch(p, RegionTable.OFFSETS[1] + 40, ByteBuffer.wrap(new byte[] {(byte) 0x55}));
        assertRefused(p, "region table", "checksum");
    }

    @Test
    void truncatedFilesAreNamedAsSuch() throws Exception {
        Path p = vhdx(new byte[8 * MIB]);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(f.length() - MIB / 2);
        }
        assertRefused(p, "BAT entry");
        Path fixed = dir.resolve("f.vhd");
        Images.create(fixed, new CreateOptions(ImageFormat.VHD, ImageType.FIXED, 4 * MIB, 0, null));
        byte[] footer = new byte[512];
        try (RandomAccessFile f = new RandomAccessFile(fixed.toFile(), "rw")) {
            f.seek(f.length() - 512);
            f.readFully(footer);
            f.setLength(2 * MIB);
            f.write(footer);
        }
        assertRefused(fixed, "truncated");
    }

    @Test
    void vhdFooterChecksumAndBatEntries() throws Exception {
        Path p = dir.resolve("d.vhd");
        byte[] model = new byte[8 * MIB];
        Images.create(p, new CreateOptions(ImageFormat.VHD, ImageType.DYNAMIC, model.length, 0, null));
        try (DiskImage d = Images.open(p, false)) {
            randomWrites(d, model, 4, 10, 100_000);
        }
        long size = Files.size(p);
        // A damaged footer at the end is survivable through the copy at offset 0; check --repair rewrites it.
        patch(p, size - 512 + 70, ByteBuffer.wrap(new byte[] {0x7F}));
        assertThat(Checker.check(p, false).problems())
                .anySatisfy(s -> assertThat(s).contains("checksum"));
        assertThat(Checker.check(p, true).repairs()).isNotEmpty();
        assertThat(Checker.check(p, false).clean()).isTrue();
        try (DiskImage d = Images.open(p, true)) {
            assertContent(d, model);
        }
        // Both copies damaged: refused, naming the checksum.
        patch(p, size - 512 + 70, ByteBuffer.wrap(new byte[] {0x7F}));
        patch(p, 70, ByteBuffer.wrap(new byte[] {0x7F}));
        assertRefused(p, "checksum");
    }

    @Test
    void vhdBatEntryPastTheEndOfTheFile() throws Exception {
        Path p = dir.resolve("b.vhd");
        Images.create(p, new CreateOptions(ImageFormat.VHD, ImageType.DYNAMIC, 8 * MIB, 0, null));
        ByteBuffer header = ByteBuffer.allocate(1024);
        try (FileChannel ch = FileChannel.open(p)) {
            ch.read(header, 512);
        }
        long table = header.getLong(16);
        patch(p, table, ByteBuffer.allocate(4).putInt(0, 0x00FFFFF0));
        assertRefused(p, "BAT entry 0");
    }

    @Test
    void vhdWithManyBadBatEntriesListsTheFirstAndCountsTheRestAndRepairClearsThemAll() throws Exception {
        Path p = dir.resolve("many.vhd");
        Images.create(p, new CreateOptions(ImageFormat.VHD, ImageType.DYNAMIC, 100 * MIB, 0, null));
        ByteBuffer header = ByteBuffer.allocate(1024);
        try (FileChannel ch = FileChannel.open(p)) {
            ch.read(header, 512);
        }
        // 50 entries of 2 MiB blocks, all "allocated" at sector 0 of a 5.5 KiB file: the shape of a zeroed BAT.
        patch(p, header.getLong(16), ByteBuffer.allocate(50 * 4));
        assertRefused(p, "BAT entry 0", "past the end of the file");
        assertThat(Checker.check(p, false).problems())
                .hasSize(21)
                .last()
                .asString()
                .contains("30 more bad BAT entries not listed");
        assertThat(Checker.check(p, true).repairs())
                .anySatisfy(s -> assertThat(s).contains("rewrote the BAT"));
        assertThat(Checker.check(p, false).clean()).isTrue();
        try (DiskImage d = Images.open(p, true)) {
            assertContent(d, new byte[100 * MIB]);
        }
    }

    @Test
    void qcow2TableOffsetsAreChecked() throws Exception {
        Path p = dir.resolve("q.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", p.toString(), "8M");
        QemuImg.write(p, "qcow2", 0x5A, 0, 65536);
        patch(p, 40, ByteBuffer.allocate(8).putLong(0, 1L << 40));
        assertRefused(p, "l1_table_offset");
    }

    @Test
    void aFileNamedVhdxThatIsNotOneIsRefusedNotReadAsRaw() throws Exception {
        Path p = dir.resolve("liar.vhdx");
        Files.write(p, new byte[2 * MIB]);
        assertThatThrownBy(() -> Images.open(p, true)).hasMessageContaining("not a vhdx image");
    }
}
