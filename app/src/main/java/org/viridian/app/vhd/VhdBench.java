package org.viridian.app.vhd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.viridian.app.cli.ByteSize;
import org.viridian.machine.boot.HostProgram;
import org.viridian.management.config.Sizes;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
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
            if (!convertOnly) {
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
            }
            convertAgainstQemu(work);
            return 0;
        } finally {
            try (var s = Files.walk(work)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
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

    @Option(
            names = "--full",
            description = "Convert inputs of 1 GiB and 4 GiB (default: 1 GiB only, to keep the run short).")
    boolean full;

    @Option(names = "--convert-only", description = "Only the conversion against qemu-img, not the format workloads.")
    boolean convertOnly;

    @Option(
            names = "--runs",
            defaultValue = "3",
            description = "Timed runs of each conversion command; the median is kept (default ${DEFAULT-VALUE}).")
    int runs;

    /**
     * Whole commands, as a user runs them: `viridian vhd convert` (the launcher, JVM start included) against `qemu-img
     * convert`, on the same inputs made with qemu-img (a sparse raw file with ~30 % written in scattered runs of 64 KiB
     * to 4 MiB, mixed zero and non-zero clusters, and its qcow2 and VMDK conversions), to dynamic VHD and VHDX; interleaved, median of --runs, inputs in
     * the page cache, outputs deleted and the page cache written back (sync) before each run; then qemu-img compare of
     * each input with Viridian's output. Viridian twice: as the launcher runs it (through the disk tools' server, a
     * resident JVM: see VhdServer; the bench's own, in a private directory, started by the first conversion, whose time
     * is shown) and with one JVM per command (VIRIDIAN_VHD_SERVER=0). The ratios are qemu-img's median time over
     * Viridian's: above 1, Viridian is faster.
     */
    private void convertAgainstQemu(Path work) throws Exception {
        if (HostProgram.find("qemu-img").isEmpty()) {
            System.out.println("convert: qemu-img not found (Debian: apt-get install qemu-utils), comparison skipped");
            return;
        }
        if (runs < 1) throw new IllegalArgumentException("--runs must be positive");
        List<String> viridian = viridianCommand();
        // The bench's own server: a private directory (so the first conversion below starts it), stopped at the end.
        // Its idle time is a user's (a short one ended it while the 4 GiB inputs were made or compared, and the next
        // conversion timed a new server's start and cold code).
        Path run = Files.createDirectories(work.resolve("run"));
        Map<String, String> served =
                Map.of("XDG_RUNTIME_DIR", run.toString(), "VIRIDIAN_VHD_SERVER_IDLE_SECONDS", "600");
        try {
            convertAgainstQemu(work, viridian, served);
        } finally {
            List<Long> servers = serverPids(run);
            for (long pid : servers) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            System.out.printf("  disk tools' servers started during the bench: %d%n", servers.size());
        }
    }

    /** The pids the bench's servers logged ("serving ... (pid N)") in its private directory. */
    private static List<Long> serverPids(Path run) throws IOException {
        List<Long> pids = new java.util.ArrayList<>();
        Path dir = run.resolve("viridian");
        if (!Files.isDirectory(dir)) return pids;
        try (var logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.toString().endsWith(".log")).toList()) {
                var m = java.util.regex.Pattern.compile("serving .* \\(pid (\\d+)\\)")
                        .matcher(Files.readString(log));
                while (m.find()) pids.add(Long.parseLong(m.group(1)));
            }
        }
        return pids;
    }

    private void convertAgainstQemu(Path work, List<String> viridian, Map<String, String> served) throws Exception {
        String loadBefore = loadAverage();
        Map<String, String> perCommand = Map.of("VIRIDIAN_VHD_SERVER", "0");
        double first = warmUp(viridian, work, served);
        warmUp(viridian, work, perCommand);
        System.out.printf(
                "convert, whole commands (%s), median of %d, inputs ~30%% allocated%n",
                String.join(" ", viridian), runs);
        System.out.printf(
                "  the first conversion, which starts the disk tools' server: %.3f s%s%n",
                first, System.getenv("VIRIDIAN_HOME") == null ? " (not through the launcher: no server)" : "");
        System.out.printf(
                "  %-7s %-6s %-5s %12s %12s %12s %14s %14s  %s%n",
                "size",
                "input",
                "to",
                "viridian",
                "one JVM/cmd",
                "qemu-img",
                "qemu/viridian",
                "qemu/one JVM",
                "content");
        double worst = Double.MAX_VALUE, bestWorst = Double.MAX_VALUE;
        for (long gib : full ? new long[] {1, 4} : new long[] {1}) {
            Path raw = work.resolve("c" + gib + ".img");
            makeSparseInput(raw, gib << 30, 4 + gib);
            Path qcow = work.resolve("c" + gib + ".qcow2"), vmdk = work.resolve("c" + gib + ".vmdk");
            exec("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow.toString());
            exec("qemu-img", "convert", "-f", "raw", "-O", "vmdk", raw.toString(), vmdk.toString());
            for (Path src : List.of(qcow, vmdk, raw)) {
                warm(src);
                for (String to : List.of("vhd", "vhdx")) {
                    Path out = work.resolve("out." + to);
                    double[] ours = new double[runs], jvm = new double[runs], theirs = new double[runs];
                    boolean same = true;
                    List<String> cmd = new java.util.ArrayList<>(viridian);
                    cmd.addAll(List.of("convert", src.toString(), out.toString()));
                    for (int r = 0; r < runs; r++) {
                        ours[r] = timed(out, served, cmd.toArray(String[]::new));
                        if (r == 0) same = sameContent(src, out, to);
                        jvm[r] = timed(out, perCommand, cmd.toArray(String[]::new));
                        if (r == 0) same &= sameContent(src, out, to);
                        theirs[r] = timed(
                                out,
                                Map.of(),
                                "qemu-img",
                                "convert",
                                "-O",
                                to.equals("vhd") ? "vpc" : "vhdx",
                                src.toString(),
                                out.toString());
                    }
                    Files.deleteIfExists(out);
                    double v = median(ours), j = median(jvm), q = median(theirs);
                    worst = Math.min(worst, q / v);
                    String name = src.getFileName().toString();
                    System.out.printf(
                            "  %-7s %-6s %-5s %10.3f s %10.3f s %10.3f s %13.2fx %13.2fx  %s%n",
                            gib + " GiB",
                            name.substring(name.indexOf('.') + 1),
                            to,
                            v,
                            j,
                            q,
                            q / v,
                            q / j,
                            same ? "identical" : "DIFFERENT");
                    // This machine's whole-command times jump now and then for every tool (cp's too): the spread
                    // says how far a median can be moved by that, the best runs what each costs when nothing else does.
                    bestWorst = Math.min(bestWorst, min(theirs) / min(ours));
                    System.out.printf(
                            "  %-20s spread: viridian %s, one JVM %s, qemu-img %s; best runs %.2fx%n",
                            "", spread(ours), spread(jvm), spread(theirs), min(theirs) / min(ours));
                }
            }
            for (Path p : List.of(raw, qcow, vmdk)) Files.deleteIfExists(p);
        }
        System.out.printf("  lowest qemu/viridian ratio: %.2fx (medians), %.2fx (best runs)%n", worst, bestWorst);
        // Whole-command times on a small machine move with whatever else runs: say how busy it was.
        System.out.printf("  load average (1 min) before: %s, after: %s%n", loadBefore, loadAverage());
    }

    /**
     * One untimed conversion with each tool first (a launcher's first disk command after a build makes its start-up
     * cache, which a user pays once, not per conversion); returns the seconds of Viridian's.
     */
    private static double warmUp(List<String> viridian, Path work, Map<String, String> env) throws Exception {
        Path in = work.resolve("warm.img"), out = work.resolve("warm.vhdx");
        makeSparseInput(in, 64L << 20, 1);
        List<String> cmd = new java.util.ArrayList<>(viridian);
        cmd.addAll(List.of("convert", in.toString(), out.toString()));
        double seconds = timed(out, env, cmd.toArray(String[]::new));
        Files.delete(out);
        exec("qemu-img", "convert", "-O", "vhdx", in.toString(), out.toString());
        Files.delete(out);
        Files.delete(in);
        return seconds;
    }

    /** The launcher when started through it (it says where it is), else this JVM with the launcher's vhd flags. */
    private static List<String> viridianCommand() {
        String home = System.getenv("VIRIDIAN_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "viridian")))
            return List.of(Path.of(home, "viridian").toString(), "vhd");
        String jar = Path.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0])
                .toAbsolutePath()
                .toString();
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1",
                "-XX:CompileThresholdScaling=10",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-cp",
                jar,
                "org.viridian.app.vhd.VhdMain");
    }

    /**
     * A sparse raw file with ~30 % written in runs of 64 KiB to 4 MiB at 64 KiB-aligned random places: random data, an
     * eighth of the 64 KiB clusters all zeros and an eighth starting with a zero page.
     */
    private static void makeSparseInput(Path raw, long bytes, long seed) throws IOException {
        Images.create(raw, new CreateOptions(ImageFormat.RAW, ImageType.FIXED, bytes, 0, null));
        try (var ch = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.WRITE)) {
            Random rnd = new Random(seed);
            ByteBuffer run = ByteBuffer.allocateDirect(4 << 20);
            byte[] chunk = new byte[64 << 10];
            for (long done = 0; done < bytes * 3 / 10; ) {
                int len = (64 << 10) << rnd.nextInt(7); // 64 KiB .. 4 MiB
                long at = (long) (rnd.nextDouble() * ((bytes - len) >> 16)) << 16;
                run.clear().limit(len);
                while (run.hasRemaining()) {
                    // As a used disk's data: mostly non-zero, some written clusters all zeros, some starting with a
                    // zero page (which tells the copy's quick "is it data" probe nothing).
                    int kind = rnd.nextInt(8);
                    if (kind == 0) java.util.Arrays.fill(chunk, (byte) 0);
                    else rnd.nextBytes(chunk);
                    if (kind == 1) java.util.Arrays.fill(chunk, 0, 4096, (byte) 0);
                    run.put(chunk, 0, Math.min(chunk.length, run.remaining()));
                }
                run.flip();
                while (run.hasRemaining()) ch.write(run, at + run.position());
                done += len;
            }
        }
    }

    private static void warm(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    /** Seconds for one command, the output deleted and dirty pages written back first (so runs do not overlap). */
    private static double timed(Path out, Map<String, String> env, String... cmd) throws Exception {
        Files.deleteIfExists(out);
        exec("sync");
        long t0 = System.nanoTime();
        exec(env, cmd);
        return seconds(t0);
    }

    private static boolean sameContent(Path src, Path out, String to) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "compare", "-q"));
        if (to.equals("vhd")) {
            // qemu sizes a VHD by its CHS geometry unless told to use the footer's size, as Hyper-V does.
            String name = src.getFileName().toString(), ext = name.substring(name.indexOf('.') + 1);
            cmd.addAll(List.of(
                    "--image-opts",
                    "driver=" + (ext.equals("img") ? "raw" : ext) + ",file.filename=" + src,
                    "driver=vpc,force_size_calc=current_size,file.filename=" + out));
        } else {
            cmd.addAll(List.of(src.toString(), out.toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static double min(double[] v) {
        return java.util.Arrays.stream(v).min().orElseThrow();
    }

    private static String spread(double[] v) {
        return String.format(
                "%.3f-%.3f s", min(v), java.util.Arrays.stream(v).max().orElseThrow());
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        exec(Map.of(), cmd);
    }

    private static void exec(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + new String(out).strip());
        }
    }
}
