package org.viridian.storage.vhdx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.viridian.storage.DiskImage;
import org.viridian.storage.FaultyStorage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.QemuImg;
import org.viridian.storage.TestImages;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.ops.CheckReport;
import org.viridian.storage.ops.Checker;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;

/**
 * The VHDX log's promise: cut the power at every single write, resize or flush of a workload that allocates
 * blocks and grows the disk, and the file still opens (replaying the log), checks clean for both Viridian and
 * qemu-img, and holds every write that was flushed, while the interrupted write reads as either old or new data.
 */
class VhdxPowerCutTest {
    private static final int MIB = 1 << 20;
    private static final int SIZE = 16 * MIB, GROWN = 24 * MIB, STEPS = 8;

    @TempDir
    Path dir;

    /**
     * Differencing disks are where the log matters most: a write to a new block updates the payload entry and the
     * sector-bitmap entry, which lie in different BAT sectors, so a cut between the two must be replayed.
     */
    @ParameterizedTest(name = "{0} torn={1} loseUnflushed={2}")
    @CsvSource({
        "dynamic,false,true",
        "dynamic,true,false",
        "differencing,false,false",
        "differencing,false,true",
        "differencing,true,false",
        "differencing,true,true"
    })
    void everyPowerCutLeavesAConsistentFile(String type, boolean tear, boolean loseUnflushed) throws Exception {
        boolean differencing = type.equals("differencing");
        Path parent = dir.resolve("parent.vhdx"),
                pristine = dir.resolve("pristine.vhdx"),
                work = dir.resolve("work.vhdx");
        byte[] parentData = new byte[SIZE];
        if (differencing) {
            Images.create(parent, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, SIZE, MIB, null));
            try (DiskImage p = Images.open(parent, false)) {
                TestImages.randomWrites(p, parentData, 5, 12, 2 * MIB);
            }
            Images.create(pristine, new CreateOptions(ImageFormat.VHDX, ImageType.DIFFERENCING, 0, MIB, parent));
        } else {
            Images.create(pristine, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, SIZE, MIB, null));
        }
        int cuts = 0, replays = 0;
        for (int failAt = 1; ; failAt++) {
            Files.copy(pristine, work, StandardCopyOption.REPLACE_EXISTING);
            FaultyStorage storage = new FaultyStorage(FileStorage.open(work, false), failAt, tear);
            Workload w = new Workload(parentData, differencing);
            OpenOptions options = new OpenOptions(false, false, 0, (p, o) -> Images.open(p, null, o));
            try (VhdxImage img = VhdxImage.open(storage, work, options)) {
                w.run(img);
            } catch (IOException e) {
                assertThat(storage.crashed())
                        .as("only the power cut may fail the workload: " + e)
                        .isTrue();
            }
            if (!storage.crashed()) {
                assertThat(cuts)
                        .as("the workload must have had operations to cut")
                        .isGreaterThan(10);
                // Some cuts fall between a flushed log entry and its in-place writes: those must have been replayed.
                assertThat(replays).as("cuts recovered by replaying the log").isPositive();
                break;
            }
            cuts++;
            storage.powerCut(loseUnflushed);
            if (w.assertRecovered(work, failAt)) replays++;
        }
    }

    /** Writes one random span per step, flushing after each, and grows the disk halfway through. */
    private static final class Workload {
        final byte[] durable = new byte[GROWN];
        final byte[] latest = new byte[GROWN];
        final boolean differencing;
        long durableSize = SIZE, latestSize = SIZE;

        Workload(byte[] base, boolean differencing) {
            System.arraycopy(base, 0, durable, 0, base.length);
            System.arraycopy(base, 0, latest, 0, base.length);
            this.differencing = differencing;
        }

        void run(VhdxImage img) throws IOException {
            Random r = new Random(99);
            for (int i = 0; i < STEPS; i++) {
                if (i == STEPS / 2 && !differencing) {
                    latestSize = GROWN;
                    img.resize(GROWN);
                    img.flush();
                    durableSize = GROWN;
                }
                int len = 512 + r.nextInt(3 * MIB / 2);
                int off = r.nextInt((int) latestSize - len);
                byte[] data = new byte[len];
                r.nextBytes(data);
                System.arraycopy(data, 0, latest, off, len);
                img.write(ByteBuffer.wrap(data), off);
                img.flush();
                System.arraycopy(latest, 0, durable, 0, GROWN);
            }
        }

        /** Returns whether recovery replayed log entries. */
        boolean assertRecovered(Path file, int failAt) throws IOException {
            String where = "power cut at operation " + failAt;
            CheckReport repaired = Checker.check(file, true);
            assertThat(repaired.repairable()).as(where).isTrue();
            assertThat(Checker.check(file, false).problems()).as(where).isEmpty();
            if (!differencing) QemuImg.ok("qemu-img", "check", "-f", "vhdx", file.toString());
            try (DiskImage d = Images.open(file, true)) {
                assertThat(d.size()).as(where).isIn(durableSize, latestSize);
                byte[] now = new byte[(int) d.size()];
                d.read(ByteBuffer.wrap(now), 0);
                for (int i = 0; i < now.length; i++) {
                    if (now[i] != durable[i] && now[i] != latest[i]) {
                        throw new AssertionError(where + ": byte " + i + " is " + now[i] + ", neither the flushed "
                                + durable[i] + " nor the in-flight " + latest[i]
                                + " (first difference from flushed data at "
                                + Arrays.mismatch(now, Arrays.copyOf(durable, now.length)) + ")");
                    }
                }
            }
            return repaired.repairs().stream().anyMatch(r -> r.startsWith("replayed"));
        }
    }
}
