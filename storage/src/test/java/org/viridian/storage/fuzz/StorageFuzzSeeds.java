package org.viridian.storage.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.storage.DiskImage;
import org.viridian.storage.FaultyStorage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.QemuImg;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.storage.vhdx.VhdxImage;

/**
 * Writes the image fuzz targets' seed corpus (small valid images of every kind, sparse-encoded) into the source
 * tree. Run once when the formats change: mvn test -pl storage -am -Dtest=StorageFuzzSeeds -Dfuzz.writeSeeds=true
 */
@EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = "true")
class StorageFuzzSeeds {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void write() throws Exception {
        Path src = Path.of(System.getProperty("user.dir"), "src/test/resources/org/viridian/storage/fuzz");
        // VHD: fixed, dynamic with data, differencing (parent locators), each read-only and writable.
        Path vhdFixed = create("fixed.vhd", ImageFormat.VHD, ImageType.FIXED, MIB, 0, null);
        Path vhdDyn = create("dyn.vhd", ImageFormat.VHD, ImageType.DYNAMIC, 8 * MIB, 512 << 10, null);
        Path vhdDiff = create("diff.vhd", ImageFormat.VHD, ImageType.DIFFERENCING, 0, 0, vhdDyn);
        seeds(src.resolve("VhdFuzzTestInputs/openVhd"), List.of(vhdFixed, vhdDyn, vhdDiff));
        // VHDX: fixed, dynamic with data, differencing, and files cut at a write with their log left to replay.
        Path vhdxFixed = create("fixed.vhdx", ImageFormat.VHDX, ImageType.FIXED, 2 * MIB, MIB, null);
        Path vhdxDyn = create("dyn.vhdx", ImageFormat.VHDX, ImageType.DYNAMIC, 8 * MIB, MIB, null);
        Path vhdxDiff = create("diff.vhdx", ImageFormat.VHDX, ImageType.DIFFERENCING, 0, MIB, vhdxDyn);
        Path pristine = dir.resolve("pristine.vhdx");
        Images.create(pristine, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 8 * MIB, MIB, null));
        List<Path> vhdx = new java.util.ArrayList<>(List.of(vhdxFixed, vhdxDyn, vhdxDiff));
        for (int failAt : new int[] {3, 5, 7}) {
            Path work = dir.resolve("cut" + failAt + ".vhdx");
            Files.copy(pristine, work);
            FaultyStorage storage = new FaultyStorage(FileStorage.open(work, false), failAt, false);
            try (VhdxImage img = VhdxImage.open(storage, work, new OpenOptions(false, false, 0, null))) {
                for (int i = 0; i < 4; i++) {
                    img.write(ByteBuffer.wrap(data(4096, i)), (long) i * 2 * MIB + 8192);
                    img.flush();
                }
            } catch (IOException cut) {
                // expected: the power cut
            }
            storage.powerCut(false);
            vhdx.add(work);
        }
        seeds(src.resolve("VhdxFuzzTestInputs/openVhdx"), vhdx);
        // qcow2 and VMDK from qemu-img (the formats Viridian only reads): plain, compressed, backing file, stream.
        Path raw = dir.resolve("data.raw");
        byte[] model = new byte[4 * MIB];
        for (int i = 0; i < 6; i++) System.arraycopy(data(4096, i), 0, model, i * 600_000, 4096);
        Files.write(raw, model);
        QemuImg.require();
        Path q = dir.resolve("plain.qcow2"),
                qc = dir.resolve("compressed.qcow2"),
                qb = dir.resolve("backed.qcow2"),
                q2 = dir.resolve("v2.qcow2");
        run("convert", "-O", "qcow2", "-o", "cluster_size=4096", raw.toString(), q.toString());
        run("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4096", raw.toString(), qc.toString());
        run("convert", "-O", "qcow2", "-o", "compat=0.10,cluster_size=4096", raw.toString(), q2.toString());
        run("create", "-f", "qcow2", "-b", q.toString(), "-F", "qcow2", qb.toString());
        seeds(src.resolve("Qcow2FuzzTestInputs/openQcow2"), List.of(q, qc, q2, qb));
        Path v = dir.resolve("sparse.vmdk"), vs = dir.resolve("stream.vmdk"), vf = dir.resolve("flat.vmdk");
        run("convert", "-O", "vmdk", raw.toString(), v.toString());
        run("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw.toString(), vs.toString());
        run("convert", "-O", "vmdk", "-o", "subformat=monolithicFlat", raw.toString(), vf.toString());
        seeds(src.resolve("VmdkFuzzTestInputs/openVmdk"), List.of(v, vs, vf));
    }

    private Path create(String name, ImageFormat f, ImageType t, long size, long blockSize, Path parent)
            throws IOException {
        Path p = dir.resolve(name);
        Images.create(p, new CreateOptions(f, t, size, blockSize, parent));
        if (t != ImageType.FIXED) {
            try (DiskImage img = Images.open(p, false)) {
                for (int i = 0; i < 3; i++)
                    img.write(ByteBuffer.wrap(data(4096, i + name.length())), (i * 3L + 1) * (img.size() / 10) & ~511L);
            }
        }
        return p;
    }

    private static void run(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "qemu-img";
        System.arraycopy(args, 0, cmd, 1, args.length);
        QemuImg.Result r = QemuImg.run(cmd);
        if (r.exit() != 0) throw new IllegalStateException("qemu-img " + String.join(" ", args) + ": " + r.out());
    }

    private static byte[] data(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void seeds(Path into, List<Path> images) throws IOException {
        Files.createDirectories(into);
        for (Path image : images) {
            byte[] bytes = Files.readAllBytes(image);
            String base = image.getFileName().toString().replace('.', '-');
            Files.write(into.resolve("seed-" + base), ImageFuzzing.encode(bytes, 0, 12345));
            Files.write(
                    into.resolve("seed-" + base + "-writable-tolerant"),
                    ImageFuzzing.encode(bytes, ImageFuzzing.FLAG_WRITABLE | ImageFuzzing.FLAG_TOLERANT, 7));
        }
    }
}
