package org.viridian.storage.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.storage.TestImages.assertContent;
import static org.viridian.storage.TestImages.randomWrites;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.viridian.storage.AsyncBlockDevice;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;

/** Every writable format and type keeps exactly what was written, across reopening. */
class RoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "raw,fixed,0",
        "vhd,fixed,0",
        "vhd,dynamic,0",
        "vhd,dynamic,524288",
        "vhdx,fixed,1048576",
        "vhdx,dynamic,1048576",
        "vhdx,dynamic,0"
    })
    void writesSurviveReopen(String format, String type, long blockSize) throws Exception {
        Path p = dir.resolve("d." + format);
        int size = 7 * 1024 * 1024 + 3 * 512;
        Images.create(p, new CreateOptions(ImageFormat.parse(format), ImageType.parse(type), size, blockSize, null));
        byte[] model = new byte[size];
        try (DiskImage d = Images.open(p, false)) {
            assertThat(d.size()).isEqualTo(size);
            assertContent(d, model);
            randomWrites(d, model, 42, 60, 300_000);
            assertContent(d, model);
            d.flush();
        }
        try (DiskImage d = Images.open(p, true)) {
            assertContent(d, model);
            assertThat(Checker.check(p, false).problems()).isEmpty();
            assertThat(d.info().type().displayName()).isEqualTo(type);
        }
    }

    @ParameterizedTest
    @CsvSource({"vhd", "vhdx"})
    void differencingChainReadsThroughAndKeepsParentIntact(String format) throws Exception {
        int size = 6 * 1024 * 1024;
        Path base = dir.resolve("base." + format),
                mid = dir.resolve("mid." + format),
                top = dir.resolve("sub/top." + format);
        java.nio.file.Files.createDirectories(top.getParent());
        Images.create(
                base,
                new CreateOptions(
                        ImageFormat.parse(format), ImageType.DYNAMIC, size, format.equals("vhd") ? 0 : 1 << 20, null));
        byte[] model = new byte[size];
        try (DiskImage d = Images.open(base, false)) {
            randomWrites(d, model, 1, 20, 200_000);
        }
        byte[] baseModel = model.clone();
        Images.create(mid, new CreateOptions(ImageFormat.parse(format), ImageType.DIFFERENCING, 0, 0, base));
        try (DiskImage d = Images.open(mid, false)) {
            assertContent(d, model);
            randomWrites(d, model, 2, 20, 5000);
        }
        Images.create(top, new CreateOptions(ImageFormat.parse(format), ImageType.DIFFERENCING, 0, 0, mid));
        try (DiskImage d = Images.open(top, false)) {
            assertContent(d, model);
            randomWrites(d, model, 3, 20, 70_000);
            assertContent(d, model);
        }
        try (DiskImage d = Images.open(top, true)) {
            assertContent(d, model);
            assertThat(d.info().parent()).isEqualTo(mid.toString());
        }
        try (DiskImage d = Images.open(base, true)) {
            assertContent(d, baseModel);
        }
        // The chain still opens after moving the whole directory (relative locators).
        Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
        java.nio.file.Files.move(dir, moved);
        try (DiskImage d = Images.open(moved.resolve("sub/top." + format), true)) {
            assertContent(d, model);
        } finally {
            java.nio.file.Files.move(moved, dir);
        }
    }

    @Test
    void asyncWrapperAndConcurrentReaders() throws Exception {
        Path p = dir.resolve("a.vhdx");
        Images.create(p, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8 << 20, 1 << 20, null));
        try (DiskImage d = Images.open(p, false);
                var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            AsyncBlockDevice a = new AsyncBlockDevice(d, ex);
            var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Void>>();
            for (int i = 0; i < 8; i++) {
                ByteBuffer b = ByteBuffer.allocate(4096);
                while (b.hasRemaining()) b.put((byte) i);
                futures.add(a.write(b.flip(), (long) i << 20));
            }
            futures.forEach(java.util.concurrent.CompletableFuture::join);
            a.flush().join();
            var reads = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Void>>();
            ByteBuffer[] bufs = new ByteBuffer[8];
            for (int i = 0; i < 8; i++) reads.add(a.read(bufs[i] = ByteBuffer.allocate(4096), (long) i << 20));
            reads.forEach(java.util.concurrent.CompletableFuture::join);
            for (int i = 0; i < 8; i++) assertThat(bufs[i].get(100)).isEqualTo((byte) i);
        }
    }

    @Test
    void singleWriterIsEnforced() throws Exception {
        Path p = dir.resolve("l.vhd");
        Images.create(p, new CreateOptions(ImageFormat.VHD, ImageType.DYNAMIC, 4 << 20, 0, null));
        try (DiskImage d = Images.open(p, false)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Images.open(p, false))
                    .hasMessageContaining("in use");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Images.open(p, true))
                    .hasMessageContaining("in use");
        }
        try (DiskImage r1 = Images.open(p, true);
                DiskImage r2 = Images.open(p, true)) {
            assertThat(r1.size()).isEqualTo(r2.size());
        }
    }

    @Test
    void writesOutsideTheDiskAreRejected() throws Exception {
        Path p = dir.resolve("o.vhdx");
        Images.create(p, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 4 << 20, 1 << 20, null));
        try (DiskImage d = Images.open(p, false)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> d.write(ByteBuffer.allocate(1024), (4 << 20) - 512))
                    .hasMessageContaining("outside the disk");
        }
    }
}
