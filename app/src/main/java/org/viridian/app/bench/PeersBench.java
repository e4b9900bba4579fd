package org.viridian.app.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.machine.boot.HostProgram;
import org.viridian.machine.host.HostCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * `viridian bench peers`: the same stock kernel and initramfs booted in Viridian (StorVSP, the guest's hv_storvsc) and
 * in QEMU with KVM (virtio-blk), same processors, memory and raw image, one after the other in one run; Debian's fio
 * in the guest measures 4 KiB random IOPS at queue depth 1 and 32, 1 MiB sequential reads and latency percentiles, the
 * console's time stamps give boot time to /init, and the engine process's CPU over each job gives host CPU per I/O.
 * One table with each engine and Viridian's ratio to it per row; {@code --json} keeps the record.
 */
@Command(
        name = "peers",
        mixinStandardHelpOptions = true,
        description = "Viridian StorVSP vs QEMU/KVM virtio-blk with the same guest, disk and run: fio IOPS, MB/s, "
                + "latency, host CPU per I/O, boot time to /init (needs /dev/kvm, QEMU, fio, busybox-static).")
final class PeersBench implements Callable<Integer> {
    private static final String CMDLINE = NetGuest.CMDLINE;

    @Mixin
    GuestKernelOptions guest;

    @Option(
            names = "--seconds",
            defaultValue = "10",
            description = "Length of each fio job (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
            names = "--warm-up",
            defaultValue = "5",
            description = "Seconds of unmeasured random reads and writes before the jobs, in every guest alike (fio's "
                    + "ramp time; 0: none; default ${DEFAULT-VALUE}).")
    int warmUp;

    @Option(
            names = "--short",
            description = "Only 4 KiB random reads at queue depth 1 and 32, and no QEMU hv-* column (a quick check).")
    boolean quick;

    @Option(
            names = "--no-hv",
            description = "Leave out the column of QEMU with its Hyper-V enlightenments (hv-relaxed, hv-vapic, …).")
    boolean noHv;

    @Option(
            names = "--diagnose",
            description = "Also print where Viridian's I/O costs go: exits, hypercalls, signals and this process's "
                    + "CPU per disk command, the flight recorders mid-job, a JFR profile of the Java code.")
    boolean diagnose;

    @Option(
            names = "--without-doorbells",
            description = "Also run Viridian with every guest signal exiting to user space (the doorbells' baseline).")
    boolean withoutDoorbells;

    @Option(
            names = "--with-lapic-timer",
            description = "Also run Viridian without synthetic timers: the guest's clock events on its LAPIC timer, "
                    + "which KVM runs in its kernel (run first, so it is not measured warmer).")
    boolean withLapicTimer;

    @Option(
            names = "--guest-timeout",
            description = "Seconds a guest may take to boot and run its jobs before it is counted lost and booted "
                    + "once more (default: 300 + (seconds + 30) a job).")
    Integer guestTimeout;

    @Option(names = "--cpus", defaultValue = "1", description = "Processors per guest (default ${DEFAULT-VALUE}).")
    int cpus;

    @Option(
            names = "--memory",
            defaultValue = "512M",
            converter = ByteSize.class,
            description = "Memory per guest (default ${DEFAULT-VALUE}; fio's libraries take ~170 MiB of it).")
    long memory;

    @Option(
            names = "--disk-size",
            defaultValue = "256M",
            converter = ByteSize.class,
            description = "The raw image's size, all of it written before the guests run (default ${DEFAULT-VALUE}).")
    long diskSize;

    @Option(names = "--dir", description = "Where the image and initramfs go (default: the temporary directory).")
    Path dir;

    @Option(
            names = "--qemu",
            defaultValue = "qemu-system-x86_64",
            description = "QEMU for the peer columns (default ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--json", description = "Also write the table, with the run's settings, as JSON to this file.")
    Path json;

    /**
     * One engine's figures: boot time (and the kernel's own uptime at /init, NaN where not printed), each job's fio
     * figures and its engine CPU per I/O (µs; NaN: not sampled). */
    record EngineResult(
            double bootSeconds,
            double kernelSeconds,
            Map<String, FioJob.Figures> jobs,
            Map<String, Double> cpuMicrosPerIo,
            List<String> guestCounters) {}

    /** A table row: one figure per engine (the first Viridian's), and which way is better. */
    record Row(String test, String unit, boolean higherIsBetter, List<Double> values) {}

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || seconds > 600) throw new IllegalArgumentException("--seconds must be 1..600");
        if (warmUp < 0 || warmUp > 600) throw new IllegalArgumentException("--warm-up must be 0..600");
        if (cpus < 1 || cpus > 64) throw new IllegalArgumentException("--cpus must be 1..64");
        if (guestTimeout != null && (guestTimeout < 10 || guestTimeout > 86_400))
            throw new IllegalArgumentException("--guest-timeout must be 10..86400 seconds");
        if (diskSize < (16L << 20) || diskSize % (1 << 20) != 0)
            throw new IllegalArgumentException("--disk-size must be whole MiB, at least 16M");
        BenchCommand.requireKvm();
        Path fio = require("fio", "fio");
        Path busybox = require("busybox", "busybox-static");
        Path qemuPath = require(qemu, "qemu-system-x86");
        BenchKernel k = guest.resolve();
        List<FioJob> jobs = quick ? FioJob.SHORT : FioJob.FULL;

        Path where = Files.createTempDirectory(
                dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")), "viridian-peers");
        Path disk = where.resolve("disk.raw"), initrd = where.resolve("initrd.cpio");
        try {
            fill(disk, diskSize);
            try (OutputStream out = Files.newOutputStream(initrd)) {
                PeersGuest.write(out, busybox, fio, k.modules(), jobs, seconds, warmUp);
            }
            NetEngine.Machine machine = new NetEngine.Machine(k.kernel(), initrd, cpus, memory);
            List<DiskEngine> engines = new ArrayList<>(List.of(
                    new DiskEngine.Viridian(machine, diagnose, true), new DiskEngine.Qemu(machine, qemuPath, false)));
            if (!quick && !noHv) engines.add(new DiskEngine.Qemu(machine, qemuPath, true));
            if (withoutDoorbells) engines.add(new DiskEngine.Viridian(machine, false, false));
            if (withLapicTimer) engines.add(new DiskEngine.Viridian(machine, diagnose, true, true));
            System.out.printf(
                    "peers: %s, fio %d s a job (libaio, direct) after a %d s warm-up, guests %d VP, %d MiB, raw image "
                            + "%d MiB, kernel %s%n",
                    String.join(" vs ", engines.stream().map(DiskEngine::label).toList()),
                    seconds,
                    warmUp,
                    cpus,
                    memory >> 20,
                    diskSize >> 20,
                    k.kernel().getFileName());
            // The Viridian guests run in this JVM: the first one also pays for its start (class loading, the JIT
            // compiler's work). --without-doorbells runs its baseline first, so the doorbells are not measured warmer.
            List<EngineResult> results = new ArrayList<>(java.util.Collections.nCopies(engines.size(), null));
            List<Integer> order = new ArrayList<>(
                    java.util.stream.IntStream.range(0, engines.size()).boxed().toList());
            if (withLapicTimer) order.addFirst(order.removeLast());
            if (withoutDoorbells)
                order.addFirst(order.remove(order.indexOf(engines.size() - (withLapicTimer ? 2 : 1))));
            for (int i : order) results.set(i, measure(engines.get(i), disk, jobs));
            List<Row> rows = rows(jobs, results);
            System.out.print(table(engines.stream().map(DiskEngine::label).toList(), rows));
            if (diagnose)
                for (int i = 0; i < engines.size(); i++)
                    for (String line : results.get(i).guestCounters())
                        System.out.println("DIAG guest on " + engines.get(i).label() + ", " + line);
            if (json != null) {
                Files.writeString(json, json(engines, jobs, rows));
                System.out.println("  written: " + json);
            }
            return 0;
        } finally {
            Files.deleteIfExists(disk);
            Files.deleteIfExists(initrd);
            Files.deleteIfExists(where);
        }
    }

    static Path require(String command, String pkg) {
        return HostProgram.find(command)
                .orElseThrow(() ->
                        new IllegalStateException("bench: " + command + " is missing (Debian package " + pkg + ")"));
    }

    /** The whole image written (not a sparse file): reads then hit data on every engine, as on a used disk. */
    private static void fill(Path disk, long size) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        for (int i = 0; i < chunk.capacity(); i++) chunk.put(i, (byte) (i * 31 + 7));
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < size; at += chunk.capacity()) {
                chunk.clear();
                while (chunk.hasRemaining()) ch.write(chunk, at + chunk.position());
            }
            ch.force(true);
        }
    }

    private Duration guestTimeout(int jobCount) {
        if (guestTimeout != null) return Duration.ofSeconds(guestTimeout);
        // The stock kernel boots in seconds on hardware and in minutes in a nested, emulated host.
        return Duration.ofSeconds(300 + warmUp + (seconds + 30L) * jobCount);
    }

    /** One guest per engine; a guest that reports nothing (a boot that failed) is tried once more. */
    private EngineResult measure(DiskEngine engine, Path disk, List<FioJob> jobs)
            throws IOException, InterruptedException {
        DiskEngine.Run run = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            run = engine.run("peers-" + attempt, disk, CMDLINE, guestTimeout(jobs.size()));
            try {
                return parse(run, jobs);
            } catch (IOException e) {
                System.err.printf("bench peers: %s, try %d: %s%n", engine.label(), attempt, e.getMessage());
            }
        }
        List<String> tail = run.text().lines().toList();
        throw new IOException(engine.label() + " guest reported no results (" + run.end() + "); its console:\n"
                + String.join("\n", tail.subList(Math.max(0, tail.size() - 60), tail.size())));
    }

    /** Boot time, each job's figures and CPU per I/O from a guest's stamped console. */
    static EngineResult parse(DiskEngine.Run run, List<FioJob> jobs) throws IOException {
        double boot = -1, kernel = Double.NaN;
        Map<String, Double> begun = new LinkedHashMap<>();
        Map<String, FioJob.Figures> figures = new LinkedHashMap<>();
        Map<String, Double> cpu = new LinkedHashMap<>();
        // The CPU when fio ended: the guest's counters line right after it, where there is one (printing the JSON
        // report costs an engine two port exits a character; that is not the I/O's cost).
        Map<String, Double> ended = new LinkedHashMap<>();
        for (ConsoleLines.Line l : run.lines()) {
            String t = l.text();
            if (t.startsWith(PeersGuest.DIAG) && t.contains(" after cpu ")) {
                String job = t.substring(PeersGuest.DIAG.length()).split(" ")[0];
                ended.putIfAbsent(job, l.cpuSeconds());
            }
        }
        for (ConsoleLines.Line l : run.lines()) {
            String t = l.text();
            if (boot < 0 && t.equals(PeersGuest.INIT_LINE)) boot = l.seconds();
            else if (t.startsWith(PeersGuest.UPTIME) && Double.isNaN(kernel)) kernel = uptime(t);
            else if (t.startsWith(PeersGuest.FAILED)) throw new IOException("the guest: " + t);
            else if (t.startsWith(PeersGuest.BEGIN)) begun.put(t.substring(PeersGuest.BEGIN.length()), l.cpuSeconds());
            else if (t.startsWith(PeersGuest.REPORT)) {
                String rest = t.substring(PeersGuest.REPORT.length());
                int space = rest.indexOf(' ');
                String name = space < 0 ? rest : rest.substring(0, space);
                FioJob job = jobs.stream()
                        .filter(j -> j.name().equals(name))
                        .findFirst()
                        .orElseThrow(() -> new IOException("a report of an unknown job: " + name));
                FioJob.Figures f = job.parse(space < 0 ? "" : rest.substring(space + 1));
                figures.put(name, f);
                Double before = begun.get(name);
                double end = ended.getOrDefault(name, l.cpuSeconds());
                cpu.put(name, before == null || f.ios() == 0 ? Double.NaN : (end - before) * 1e6 / f.ios());
            }
        }
        if (boot < 0) throw new IOException("/init never printed " + PeersGuest.INIT_LINE + " (" + run.end() + ")");
        for (FioJob j : jobs)
            if (!figures.containsKey(j.name()))
                throw new IOException("no report of fio job " + j.name() + " (" + run.end() + ")");
        return new EngineResult(boot, kernel, figures, cpu, GuestCounters.describe(run.lines(), figures));
    }

    private static double uptime(String line) {
        try {
            return Double.parseDouble(line.substring(PeersGuest.UPTIME.length()).trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static List<Row> rows(List<FioJob> jobs, List<EngineResult> results) {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row(
                "boot to /init",
                "s",
                false,
                results.stream().map(EngineResult::bootSeconds).toList()));
        rows.add(new Row(
                "boot: the kernel's uptime at /init",
                "s",
                false,
                results.stream().map(EngineResult::kernelSeconds).toList()));
        for (FioJob j : jobs) {
            List<FioJob.Figures> f =
                    results.stream().map(r -> r.jobs().get(j.name())).toList();
            if (j.blockSize() >= 1 << 20)
                rows.add(new Row(
                        j.title(),
                        "MB/s",
                        true,
                        f.stream().map(x -> x.bytesPerSecond() / 1e6).toList()));
            else
                rows.add(new Row(
                        j.title(),
                        "IOPS",
                        true,
                        f.stream().map(FioJob.Figures::iops).toList()));
            rows.add(new Row(
                    j.title() + " p50",
                    "us",
                    false,
                    f.stream().map(FioJob.Figures::p50Micros).toList()));
            rows.add(new Row(
                    j.title() + " p99",
                    "us",
                    false,
                    f.stream().map(FioJob.Figures::p99Micros).toList()));
            rows.add(new Row(
                    j.title() + " host CPU",
                    "us/IO",
                    false,
                    results.stream().map(r -> r.cpuMicrosPerIo().get(j.name())).toList()));
        }
        return rows;
    }

    /** The table: a column per engine, then Viridian's ratio to each peer ("better": which way a ratio wins). */
    static String table(List<String> engines, List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append("  %-42s".formatted("test"));
        for (String e : engines) b.append(" %20s".formatted(e));
        for (String e : engines.subList(1, engines.size()))
            b.append(" %20s".formatted("Viridian/" + e.replace("QEMU ", "")));
        b.append("  better\n");
        for (Row r : rows) {
            b.append("  %-42s".formatted(r.test() + " " + r.unit()));
            for (Double v : r.values()) b.append(" %20s".formatted(figure(v)));
            for (Double v : r.values().subList(1, r.values().size()))
                b.append(" %20s".formatted(figure(ratio(r.values().get(0), v))));
            b.append("  ").append(r.higherIsBetter() ? "higher" : "lower").append('\n');
        }
        return b.toString();
    }

    static double ratio(double viridian, double peer) {
        return peer > 0 ? viridian / peer : Double.NaN;
    }

    /** One decimal from 10 up; three significant digits below, so a small figure never reads as 0. */
    private static String figure(double v) {
        if (Double.isNaN(v)) return "n/a";
        return Math.abs(v) >= 10 ? "%.1f".formatted(v) : "%.3g".formatted(v);
    }

    private String json(List<DiskEngine> engines, List<FioJob> jobs, List<Row> rows) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("bench", "peers");
        root.put("time", java.time.Instant.now().toString());
        root.put("host", HostCheck.thisHost().label());
        root.put("kernel", guest.kernel == null ? "running" : guest.kernel.toString());
        root.put("cpus", cpus);
        root.put("memoryMiB", memory >> 20);
        root.put("diskMiB", diskSize >> 20);
        root.put("diskFormat", "raw");
        root.put("secondsPerJob", seconds);
        root.put("warmUpSeconds", warmUp);
        ArrayNode js = root.putArray("fio");
        for (FioJob j : jobs) js.add(String.join(" ", j.arguments("DEVICE", seconds)));
        ArrayNode es = root.putArray("engines");
        for (DiskEngine e : engines) es.add(e.label());
        rowsJson(root.putArray("rows"), engines.stream().map(DiskEngine::label).toList(), rows);
        return m.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    /** The rows as JSON: per row its test, unit, which way is better, each engine's figure and Viridian's ratios. */
    static void rowsJson(ArrayNode rs, List<String> engines, List<Row> rows) {
        for (Row r : rows) {
            ObjectNode o = rs.addObject();
            o.put("test", r.test());
            o.put("unit", r.unit());
            o.put("better", r.higherIsBetter() ? "higher" : "lower");
            ObjectNode values = o.putObject("values"), ratios = o.putObject("viridianRatio");
            for (int i = 0; i < engines.size(); i++) {
                Double v = r.values().get(i);
                if (v == null || v.isNaN()) values.putNull(engines.get(i));
                else values.put(engines.get(i), v);
                if (i > 0) {
                    double q = ratio(r.values().get(0), v == null ? Double.NaN : v);
                    if (Double.isNaN(q)) ratios.putNull(engines.get(i));
                    else ratios.put(engines.get(i), q);
                }
            }
        }
    }
}
