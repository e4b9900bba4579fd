package org.viridian.app.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.viridian.app.cli.ByteSize;
import org.viridian.machine.boot.Initramfs;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.VmRequest;
import org.viridian.management.jobs.Job;
import org.viridian.management.jobs.JobManager;
import org.viridian.management.service.VmMetrics;
import org.viridian.management.service.VmService;
import org.viridian.management.worker.RuntimeDir;
import org.viridian.management.worker.WorkerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian bench start`: what starting and keeping a VM costs the host, Viridian next to QEMU/KVM in turns in one run:
 * a host service in this process starts each Viridian VM as a user's request does (its own worker process: the one the
 * service keeps started ahead, as `viridian serve` does), QEMU is started as a process; both boot the same stock kernel and tiny initramfs. Start latency is the time from the
 * request to the guest's first console line and to /init's line; memory overhead is the resident memory of the VM's
 * process beyond the guest RAM it touched (Viridian: the worker's resident set less its guest pages by mincore; QEMU:
 * its resident set less its RAM block's resident pages), taken a few seconds after /init.
 */
@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        description = "VM start latency (request to first console line and to /init) and memory overhead per running "
                + "VM: Viridian's worker processes vs QEMU/KVM, same guest, same run (needs /dev/kvm, QEMU, "
                + "busybox-static).")
final class StartBench implements Callable<Integer> {
    /** The kernel's own log on the console (as a user boots it): its first line is the first console line. */
    static final String CMDLINE = "console=ttyS0 panic=-1 reboot=k";

    static final String INIT_LINE = "START-INIT";

    @Option(names = "--kernel", description = "Guest kernel (default: /boot/vmlinuz-RELEASE of the running kernel).")
    Path kernel;

    @Option(
            names = "--rounds",
            defaultValue = "3",
            description = "VMs per engine, in turns (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--cpus", defaultValue = "1", description = "Processors per guest (default ${DEFAULT-VALUE}).")
    int cpus;

    @Option(
            names = "--memory",
            defaultValue = "256M",
            converter = ByteSize.class,
            description = "Memory per guest (default ${DEFAULT-VALUE}).")
    long memory;

    @Option(
            names = "--settle",
            defaultValue = "3",
            description = "Seconds after /init before the memory is taken (default ${DEFAULT-VALUE}).")
    int settle;

    @Option(
            names = "--baseline",
            description = "Also start Viridian's workers as before their start-up cache, standby and memory options "
                    + "(-Dviridian.worker.startupCache=false -Dviridian.worker.standby=false "
                    + "-Dviridian.worker.lean=false): the baseline column.")
    boolean baseline;

    @Option(
            names = "--qemu",
            defaultValue = "qemu-system-x86_64",
            description = "QEMU for the peer column (default ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--json", description = "Also write the table, with each VM's figures, as JSON to this file.")
    Path json;

    /** One VM's figures: seconds from the request; resident bytes of its process and of its guest RAM. */
    record Sample(double firstLine, double init, long processResident, long guestResident, double kernelStart) {
        long overhead() {
            return processResident - guestResident;
        }
    }

    /** What starts one VM and measures it. */
    private interface Engine {
        String label();

        Sample start(String name) throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || rounds > 50) throw new IllegalArgumentException("--rounds must be 1..50");
        if (cpus < 1 || cpus > 64) throw new IllegalArgumentException("--cpus must be 1..64");
        if (settle < 0 || settle > 600) throw new IllegalArgumentException("--settle must be 0..600");
        BenchCommand.requireKvm();
        Path busybox = PeersBench.require("busybox", "busybox-static");
        Path qemuPath = PeersBench.require(qemu, "qemu-system-x86");
        Path kernel = BenchKernel.kernel(this.kernel);
        Path where = Files.createTempDirectory("viridian-start");
        Path initrd = where.resolve("initrd.cpio");
        try (OutputStream out = Files.newOutputStream(initrd)) {
            Initramfs.busybox(
                            busybox,
                            "#!/bin/busybox sh\n/bin/busybox echo " + INIT_LINE + "\nexec /bin/busybox sleep 1000000\n")
                    .writeTo(out);
        }
        Path state = where.resolve("state");
        try (ManagementService service =
                ManagementService.start(new ServiceOptions(state, "127.0.0.1", 0, null, false))) {
            NetEngine.Machine machine = new NetEngine.Machine(kernel, initrd, cpus, memory);
            List<Engine> engines =
                    new ArrayList<>(List.of(viridian(service, state, machine, true), qemu(machine, qemuPath)));
            if (baseline) engines.add(viridian(service, state, machine, false));
            System.out.printf(
                    "start: %s, %d VMs each in turns, guests %d VP, %d MiB, kernel %s%n",
                    String.join(" vs ", engines.stream().map(Engine::label).toList()),
                    rounds,
                    cpus,
                    memory >> 20,
                    kernel.getFileName());
            // A host's first VM of a build records the workers' start-up cache, and the standby started meanwhile has
            // none: the bench measures the steady state after both.
            long t0 = System.nanoTime();
            int[] failures = new int[engines.size()];
            measure(engines, 0, "start-training", state, failures, false);
            boolean cached = awaitCache(state.resolve("cache"), Duration.ofMinutes(6));
            measure(engines, 0, "start-warm", state, failures, false);
            System.out.printf(
                    "  first VMs (the first records the workers' start-up cache, the second takes the standby started "
                            + "before it was made): %.1f s, cache %s%n",
                    (System.nanoTime() - t0) / 1e9, cached ? "made" : "NOT made");
            List<List<Sample>> samples = new ArrayList<>();
            for (Engine e : engines) samples.add(new ArrayList<>());
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < engines.size(); i++) {
                    Sample s = measure(engines, i, "start-" + r + "-" + i, state, failures, true);
                    samples.get(i).add(s);
                }
            List<String> labels = engines.stream().map(Engine::label).toList();
            List<PeersBench.Row> rows = List.of(
                    row("start to first console line", "s", samples, Sample::firstLine),
                    row("start to the kernel's start (estimate)", "s", samples, Sample::kernelStart),
                    row("start to /init", "s", samples, Sample::init),
                    row("memory overhead per VM", "MiB", samples, s -> s.overhead() / 1048576.0),
                    row("process resident", "MiB", samples, s -> s.processResident() / 1048576.0),
                    row("guest RAM resident", "MiB", samples, s -> s.guestResident() / 1048576.0));
            System.out.print(PeersBench.table(labels, rows));
            for (int i = 0; i < engines.size(); i++)
                if (failures[i] > 0)
                    System.out.printf("  %s: %d boot(s) failed and were retried%n", labels.get(i), failures[i]);
            if (json != null) {
                Files.writeString(json, json(labels, rows, samples, failures));
                System.out.println("  written: " + json);
            }
            return 0;
        } finally {
            System.clearProperty("viridian.worker.startupCache");
            System.clearProperty("viridian.worker.lean");
            System.clearProperty("viridian.worker.standby");
            try (var s = Files.walk(where)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /**
     * One VM of engine {@code i}, from a quiet host (the standby a Viridian start leaves behind is ready); a boot that
     * never reaches /init (the nested host loses one now and then) is counted in {@code failures} and tried again, at
     * most three times in all.
     */
    private static Sample measure(List<Engine> engines, int i, String name, Path state, int[] failures, boolean print)
            throws Exception {
        Engine e = engines.get(i);
        for (int attempt = 0; ; attempt++) {
            try {
                awaitStandby(state);
                Sample s = e.start(name + "-" + attempt);
                if (print)
                    System.out.printf(
                            "  %-32s first line %.2f s, /init %.2f s, resident %.1f MiB (guest RAM %.1f MiB), kernel "
                                    + "started ~%.2f s after the request%n",
                            e.label(),
                            s.firstLine(),
                            s.init(),
                            s.processResident() / 1048576.0,
                            s.guestResident() / 1048576.0,
                            s.kernelStart());
                return s;
            } catch (IOException x) {
                failures[i]++;
                System.out.printf("  %-32s FAILED: %s%n", e.label(), x.getMessage());
                if (attempt == 2) throw x;
            }
        }
    }

    /** The median of each engine's samples ("lower" is better in every row). */
    private static PeersBench.Row row(
            String test, String unit, List<List<Sample>> samples, java.util.function.ToDoubleFunction<Sample> f) {
        return new PeersBench.Row(
                test,
                unit,
                false,
                samples.stream()
                        .map(l -> median(l.stream().mapToDouble(f).sorted().toArray()))
                        .toList());
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Waits (at most 3 minutes) until a standby worker is there and ready, where one is expected. */
    private static void awaitStandby(Path state) throws IOException, InterruptedException {
        Path run = state.resolve("run");
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < end && Files.isDirectory(run)) {
            try (var dirs = Files.list(run)) {
                for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("standby-"))
                        .toList()) {
                    Path log = d.resolve("worker.log");
                    if (Files.exists(log) && Files.readString(log).contains("standby: ready")) return;
                }
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
                // a standby handed over or going away as it was listed
            }
            Thread.sleep(200);
        }
    }

    private static boolean awaitCache(Path dir, Duration timeout) throws InterruptedException, IOException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.isDirectory(dir))
                try (var s = Files.list(dir)) {
                    if (s.anyMatch(p -> p.getFileName().toString().endsWith(".aot"))) return true;
                }
            Thread.sleep(500);
        }
        return false;
    }

    private Duration bootTimeout() {
        return Duration.ofMinutes(4); // the stock kernel boots in seconds on hardware, in a minute in a nested host
    }

    /**
     * A VM of the host service: created, started by request, measured, powered off and deleted; {@code tuned} false:
     * its worker as before the start-up cache, the standby and the memory options (the baseline).
     */
    private Engine viridian(ManagementService service, Path state, NetEngine.Machine m, boolean tuned) {
        VmService vms = service.vms();
        JobManager jobs = service.jobs();
        return new Engine() {
            @Override
            public String label() {
                return tuned ? "Viridian worker" : "Viridian before";
            }

            @Override
            public Sample start(String name) throws Exception {
                System.setProperty("viridian.worker.startupCache", Boolean.toString(tuned));
                System.setProperty("viridian.worker.lean", Boolean.toString(tuned));
                System.setProperty("viridian.worker.standby", Boolean.toString(tuned));
                vms.create(new VmRequest(
                        name,
                        m.cpus(),
                        TextNode.valueOf((m.memoryBytes() >> 20) + "M"),
                        new BootSource.Kernel(
                                m.kernel().toAbsolutePath().toString(),
                                m.initrd().toAbsolutePath().toString(),
                                CMDLINE),
                        List.of(),
                        List.of(),
                        null,
                        null));
                ConsoleLines console = new ConsoleLines(INIT_LINE);
                Consumer<byte[]> feed = b -> console.write(b, 0, b.length);
                vms.console(name).subscribe(feed);
                try {
                    Job started = vms.start(name);
                    ConsoleLines.Line init;
                    try {
                        init = awaitInit(console, () -> {
                            Job j = jobs.get(started.id()).orElse(null);
                            if (j != null && j.status() == Job.Status.FAILED) return "start failed: " + j.message();
                            var status = vms.get(name).status();
                            if (j != null && j.done() && !status.state().isActive()) {
                                var exit = status.lastExit();
                                return "the VM is " + status.state().wire() + ": "
                                        + (exit == null ? "?" : exit.reason())
                                        + (exit == null || exit.crashReport() == null ? "" : "\n" + exit.crashReport());
                            }
                            return null;
                        });
                    } catch (IOException e) {
                        throw new IOException(e.getMessage() + recorderTail(vms, name), e);
                    }
                    Thread.sleep(settle * 1000L);
                    VmMetrics.Memory mem = vms.metrics(name).memory();
                    workerTiming(state, vms, name);
                    RuntimeDir.of(state, vms.get(name).config().id().toString())
                            .pid()
                            .ifPresent(StartBench::printMappings);
                    return new Sample(
                            console.lines().getFirst().seconds(),
                            init.seconds(),
                            mem.processResidentBytes(),
                            mem.residentBytes(),
                            kernelStart(console));
                } finally {
                    vms.console(name).unsubscribe(feed);
                    powerOff(vms, jobs, name);
                }
            }
        };
    }

    /** The last exits of a VM that did not boot (where it still runs), for the failure's message. */
    private static String recorderTail(VmService vms, String name) {
        try {
            List<org.viridian.management.service.RecorderEntry> r = vms.flightRecorder(name);
            StringBuilder b = new StringBuilder("\n  its flight recorder's last entries:");
            for (var e : r.subList(Math.max(0, r.size() - 25), r.size()))
                b.append("\n    vp")
                        .append(e.vp())
                        .append(' ')
                        .append(e.event())
                        .append(' ')
                        .append(e.rip())
                        .append(' ')
                        .append(e.text());
            return b.toString();
        } catch (RuntimeException e) {
            return "\n  (no flight recorder: " + e.getMessage() + ")";
        }
    }

    /** The process's largest resident mappings, on one line. */
    private static void printMappings(long pid) {
        try {
            StringBuilder b = new StringBuilder("    resident by mapping (MiB):");
            ProcessFootprint.byMapping(pid).entrySet().stream()
                    .limit(10)
                    .forEach(e -> b.append(String.format(
                            " %s %.1f;",
                            e.getKey().substring(e.getKey().lastIndexOf('/') + 1), e.getValue() / 1048576.0)));
            System.out.println(b);
        } catch (IOException e) {
            System.out.println("    (no mappings: " + e.getMessage() + ")");
        }
    }

    /** The worker's own account of its start (its JVM, the launch file, the VM's build), printed. */
    private static void workerTiming(Path state, VmService vms, String name) {
        Path log = RuntimeDir.of(state, vms.get(name).config().id().toString()).log();
        try (var lines = Files.lines(log)) {
            lines.filter(l -> l.startsWith(WorkerMain.TIMING)).forEach(l -> System.out.println("    " + l));
        } catch (IOException | java.io.UncheckedIOException e) {
            System.out.println("    (no worker log: " + e.getMessage() + ")");
        }
    }

    private static void powerOff(VmService vms, JobManager jobs, String name) throws Exception {
        try {
            Job stop = vms.stop(name, false);
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (System.nanoTime() < end
                    && !jobs.get(stop.id()).map(Job::done).orElse(true)) Thread.sleep(100);
        } catch (RuntimeException e) {
            // not running (it failed to start): nothing to stop
        }
        vms.delete(name);
    }

    /** QEMU started as a process, its serial console on stdout; killed after the measurement. */
    private Engine qemu(NetEngine.Machine m, Path qemuPath) {
        return new Engine() {
            @Override
            public String label() {
                return "QEMU/KVM";
            }

            @Override
            public Sample start(String name) throws Exception {
                List<String> command = new ArrayList<>(m.qemu(qemuPath, "host", CMDLINE));
                command.addAll(List.of("-name", name));
                ConsoleLines console = new ConsoleLines(INIT_LINE);
                Process p =
                        new ProcessBuilder(command).redirectErrorStream(true).start();
                Thread pump = Thread.ofPlatform()
                        .daemon()
                        .name("console-" + name)
                        .start(() -> {
                            try (InputStream in = p.getInputStream()) {
                                in.transferTo(console);
                            } catch (IOException ignored) {
                                // QEMU went away: the console is what came
                            }
                        });
                try {
                    ConsoleLines.Line init =
                            awaitInit(console, () -> p.isAlive() ? null : "QEMU exited with " + p.exitValue());
                    Thread.sleep(settle * 1000L);
                    ProcessFootprint f = ProcessFootprint.of(p.pid(), m.memoryBytes());
                    printMappings(p.pid());
                    return new Sample(
                            console.lines().getFirst().seconds(),
                            init.seconds(),
                            f.resident(),
                            f.guestResident(),
                            kernelStart(console));
                } finally {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    pump.join(5000);
                }
            }
        };
    }

    private static final java.util.regex.Pattern CONSOLE_ON =
            java.util.regex.Pattern.compile("^\\[\\s*(\\d+\\.\\d+)\\].*console \\[ttyS0\\] enabled");

    /**
     * When the guest's kernel began, seconds after the request: the line where its serial console came on arrives at
     * that time, stamped with the kernel's own clock (which starts early in the kernel, after decompression). The rest
     * of the first line's time is the engine's start and the guest's firmware and decompression. NaN: no such line.
     */
    static double kernelStart(ConsoleLines console) {
        for (ConsoleLines.Line l : console.lines()) {
            var m = CONSOLE_ON.matcher(l.text());
            if (m.find()) return l.seconds() - Double.parseDouble(m.group(1));
        }
        return Double.NaN;
    }

    /** Waits for /init's line; {@code failure} says why there will be none (null: keep waiting). */
    private ConsoleLines.Line awaitInit(ConsoleLines console, java.util.function.Supplier<String> failure)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + bootTimeout().toNanos();
        while (System.nanoTime() < end) {
            for (ConsoleLines.Line l : console.lines()) if (l.text().equals(INIT_LINE)) return l;
            String why = failure.get();
            if (why != null) throw new IOException(why + "; console:\n" + tail(console.text()));
            Thread.sleep(20);
        }
        throw new IOException(
                "no " + INIT_LINE + " in " + bootTimeout().toSeconds() + " s; console:\n" + tail(console.text()));
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private String json(List<String> labels, List<PeersBench.Row> rows, List<List<Sample>> samples, int[] failures)
            throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("bench", "start");
        root.put("time", java.time.Instant.now().toString());
        root.put("host", HostCheck.thisHost().label());
        root.put("kernel", kernel == null ? "running" : kernel.toString());
        root.put("cmdline", CMDLINE);
        root.put("cpus", cpus);
        root.put("memoryMiB", memory >> 20);
        root.put("settleSeconds", settle);
        var es = root.putArray("engines");
        labels.forEach(es::add);
        PeersBench.rowsJson(root.putArray("rows"), labels, rows);
        ObjectNode failed = root.putObject("failedBoots");
        for (int i = 0; i < labels.size(); i++) failed.put(labels.get(i), failures[i]);
        ObjectNode each = root.putObject("vms");
        for (int i = 0; i < labels.size(); i++) {
            var a = each.putArray(labels.get(i));
            for (Sample s : samples.get(i)) {
                ObjectNode o = a.addObject();
                o.put("firstLineSeconds", s.firstLine());
                o.put("initSeconds", s.init());
                o.put("processResidentBytes", s.processResident());
                o.put("guestResidentBytes", s.guestResident());
                o.put("kernelStartSeconds", s.kernelStart());
            }
        }
        return m.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }
}
