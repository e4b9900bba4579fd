package org.viridian.app.vhd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.viridian.app.cli.ByteSize;
import org.viridian.management.config.Sizes;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.Converter;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.storage.ops.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian vhd bench`: what the disk formats cost. The same workloads run on a raw file, a dynamic VHDX and a dynamic
 * VHD in one directory (so on one disk), best of several rounds, with each format's rate as a ratio of raw's; then
 * `convert` against `qemu-img convert` on the same inputs. Files are fresh each round, so writes include allocation;
 * reads come from the page cache, so the figures show the formats' software overhead, not the disk.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Sequential and 4 KiB random throughput of dynamic VHDX and VHD against raw, and convert against "
                + "qemu-img.")
final class VhdBench implements Callable<Integer> {
    @Option(names = "--dir", description = "Where the test files go (default: a temporary directory).")
    Path dir;

    @Option(
            names = "--size",
            converter = ByteSize.class,
            defaultValue = "512M",
            description = "Disk size (default ${DEFAULT-VALUE}).")
    long size;

    @Option(
            names = "--ops",
            defaultValue = "20000",
            description = "Random 4 KiB operations per run (default ${DEFAULT-VALUE}).")
    int ops;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "Rounds; the best is kept (default ${DEFAULT-VALUE}).")
    int rounds;

    private static final int SEQ = 1 << 20, RAND = 4096;

    private record Target(String label, String file, ImageFormat format, ImageType type) {}

    private static final List<Target> TARGETS = List.of(
            new Target("raw", "b.img", ImageFormat.RAW, ImageType.FIXED),
            new Target("vhdx dynamic", "b.vhdx", ImageFormat.VHDX, ImageType.DYNAMIC),
            new Target("vhd dynamic", "b.vhd", ImageFormat.VHD, ImageType.DYNAMIC));

    private static final String[] WORKLOADS = {"seq write 1M", "seq read 1M", "rand write 4K", "rand read 4K"};

    @Override
    public Integer call() throws Exception {
        if (size < 16L * SEQ || size % SEQ != 0)
            throw new IllegalArgumentException("--size must be a multiple of 1M and at least 16M");
        if (ops < 1 || rounds < 1) throw new IllegalArgumentException("--ops and --rounds must be positive");
        Path work = dir != null
                ? Files.createDirectories(dir)
                        .resolve("viridian-bench-" + ProcessHandle.current().pid())
                : null;
        work = work != null ? Files.createDirectories(work) : Files.createTempDirectory("viridian-vhd-bench");
        try {
            double[][] best = new double[TARGETS.size()][WORKLOADS.length];
            for (int r = 0; r < rounds; r++) {
                for (int t = 0; t < TARGETS.size(); t++) {
                    double[] rates = run(TARGETS.get(t), work);
                    for (int w = 0; w < rates.length; w++) best[t][w] = Math.max(best[t][w], rates[w]);
                }
            }
            System.out.printf(
                    "disk formats, %s disk in %s, best of %d (page cache warm: format overhead, not the device)%n",
                    Sizes.human(size), work.getParent(), rounds);
            System.out.printf("  %-14s", "");
            for (Target t : TARGETS) System.out.printf("%18s", t.label());
            System.out.printf("%14s%14s%n", "vhdx/raw", "vhd/raw");
            for (int w = 0; w < WORKLOADS.length; w++) {
                String unit = w < 2 ? "MB/s" : "IOPS";
                System.out.printf("  %-14s", WORKLOADS[w]);
                for (int t = 0; t < TARGETS.size(); t++) System.out.printf("%13.0f %-4s", best[t][w], unit);
                System.out.printf("%14.2f%14.2f%n", best[1][w] / best[0][w], best[2][w] / best[0][w]);
            }
            convertAgainstQemu(work);
            return 0;
        } finally {
            try (var s = Files.list(work)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(work);
        }
    }

    /** One round on a fresh file: rates for each workload (MB/s for sequential, IOPS for random). */
    private double[] run(Target t, Path work) throws IOException {
        Path file = work.resolve(t.file());
        Files.deleteIfExists(file);
        Images.create(file, new CreateOptions(t.format(), t.type(), size, 0, null));
        double[] rates = new double[WORKLOADS.length];
        try (DiskImage d = Images.open(file, false)) {
            ByteBuffer big = ByteBuffer.allocateDirect(SEQ);
            new Random(1).ints(SEQ / 4).forEach(big::putInt);
            long t0 = System.nanoTime();
            for (long off = 0; off < size; off += SEQ) d.write(big.clear(), off);
            d.flush();
            rates[0] = size / 1e6 / seconds(t0);
            t0 = System.nanoTime();
            for (long off = 0; off < size; off += SEQ) d.read(big.clear(), off);
            rates[1] = size / 1e6 / seconds(t0);
            ByteBuffer small = ByteBuffer.allocateDirect(RAND);
            long[] offsets =
                    new Random(2).longs(ops, 0, size / RAND).map(x -> x * RAND).toArray();
            t0 = System.nanoTime();
            for (long off : offsets) d.write(small.clear(), off);
            d.flush();
            rates[2] = ops / seconds(t0);
            t0 = System.nanoTime();
            for (long off : offsets) d.read(small.clear(), off);
            rates[3] = ops / seconds(t0);
        }
        Files.delete(file);
        return rates;
    }

    private static double seconds(long t0) {
        return Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
    }

    /** A half-full raw source (and a qcow2 copy of it), converted to dynamic VHDX by Viridian and by qemu-img. */
    private void convertAgainstQemu(Path work) throws Exception {
        if (!onPath("qemu-img")) {
            System.out.println("convert: qemu-img not found (Debian: apt-get install qemu-utils), comparison skipped");
            return;
        }
        Path raw = work.resolve("src.img"), qcow = work.resolve("src.qcow2");
        Images.create(raw, new CreateOptions(ImageFormat.RAW, ImageType.FIXED, size, 0, null));
        try (DiskImage d = Images.open(raw, false)) {
            Random rnd = new Random(3);
            ByteBuffer block = ByteBuffer.allocate(SEQ);
            for (long off = 0; off < size; off += SEQ) {
                if (rnd.nextBoolean()) continue;
                rnd.nextBytes(block.array());
                d.write(block.clear(), off);
            }
        }
        exec("qemu-img", "convert", "-O", "qcow2", raw.toString(), qcow.toString());
        System.out.printf("convert to dynamic vhdx, %s source half allocated, best of %d%n", Sizes.human(size), rounds);
        System.out.printf("  %-14s%18s%18s%14s%n", "source", "viridian", "qemu-img", "speedup");
        for (Path src : List.of(raw, qcow)) {
            double ours = Double.MAX_VALUE, theirs = Double.MAX_VALUE;
            Path out = work.resolve("out.vhdx");
            for (int r = 0; r < rounds; r++) {
                Files.deleteIfExists(out);
                long t0 = System.nanoTime();
                try (DiskImage s = Images.open(src, true)) {
                    Converter.convert(
                            s,
                            out,
                            new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, s.size(), 0, null),
                            Progress.NONE);
                }
                ours = Math.min(ours, seconds(t0));
                Files.delete(out);
                t0 = System.nanoTime();
                exec("qemu-img", "convert", "-O", "vhdx", "-o", "subformat=dynamic", src.toString(), out.toString());
                theirs = Math.min(theirs, seconds(t0));
                Files.delete(out);
            }
            System.out.printf("  %-14s%16.3f s%16.3f s%13.2fx%n", src.getFileName(), ours, theirs, theirs / ours);
        }
    }

    private static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, cmd))) return true;
        }
        return false;
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + new String(out).strip());
        }
    }
}
