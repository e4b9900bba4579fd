package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.viridian.devices.storvsp.DiskCounters;
import org.viridian.machine.MachineMetrics;
import org.viridian.machine.VirtualMachine;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.partition.vp.VpMetrics;

/**
 * `bench peers --diagnose`: where a Viridian guest's I/O costs go, per fio job. Over each job: user-space exits by
 * reason, hypercalls and VMBus signals per disk command, and this process's CPU per command by thread (VPs, StorVSP's
 * workers, channel pumps, GC, compiler); in the middle of each job, the exits and host actions of the VPs' flight
 * recorders over half a second, counted per kind (port, MSR, hypercall, interrupt vector) per command; over the whole
 * guest, a JFR profile of the Java code that burnt CPU (hot methods, by thread). The guest's own time shows as the VP
 * threads' CPU beyond their exits.
 */
final class PeersDiagnosis {
    private final VirtualMachine vm;
    private final ConsoleLines console;
    private final Recording recording = new Recording();
    private final Thread watcher;

    private PeersDiagnosis(VirtualMachine vm, ConsoleLines console) {
        this.vm = vm;
        this.console = console;
        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
        recording.start();
        watcher = Thread.ofPlatform().daemon().name("peers-diagnosis").start(this::watch);
    }

    static PeersDiagnosis start(VirtualMachine vm, ConsoleLines console) {
        return new PeersDiagnosis(vm, console);
    }

    /** What was measured from the start of a job. */
    private record Mark(long nanos, MachineMetrics metrics, Map<String, Long> threadTicks) {}

    private void watch() {
        Map<String, Mark> begun = new HashMap<>();
        int seen = 0;
        try {
            Mark start = mark(); // the boot's costs: from before the VM starts to its /init
            // The boot's exits by kind (port, MSR): the recorders keep the last 512 a VP, so they are read as it goes.
            Map<String, Long> bootKinds = new HashMap<>();
            long bootSeen = Long.MIN_VALUE;
            boolean booted = false;
            while (!vm.exit().isDone()) {
                if (!booted) {
                    long newest = bootSeen;
                    for (FlightRecorder.Entry e : vm.partition().recorded()) {
                        if (e.nanos() <= bootSeen) continue;
                        bootKinds.merge(kind(e), 1L, Long::sum);
                        newest = Math.max(newest, e.nanos());
                    }
                    bootSeen = newest;
                }
                List<ConsoleLines.Line> lines = console.lines();
                for (; seen < lines.size(); seen++) {
                    String t = lines.get(seen).text();
                    if (t.equals(PeersGuest.INIT_LINE)) {
                        booted = true;
                        System.out.print(overBoot(start, mark()));
                        System.out.printf(
                                "DIAG boot: recorded exits and actions by kind (the 20 most): %s%n",
                                bootKinds.entrySet().stream()
                                        .sorted(Map.Entry.<String, Long>comparingByValue()
                                                .reversed())
                                        .limit(20)
                                        .map(e -> e.getKey() + " " + e.getValue())
                                        .collect(Collectors.joining(", ")));
                    } else if (t.startsWith(PeersGuest.BEGIN)) {
                        String job = t.substring(PeersGuest.BEGIN.length());
                        begun.put(job, mark());
                        Thread.sleep(2000); // into the job's steady state
                        System.out.print(recorderWindow(job, Duration.ofMillis(500)));
                    } else if (t.startsWith(PeersGuest.DIAG) && t.contains(" after cpu ")) {
                        // fio has ended (its report, printed next, costs port exits that are not the I/O's)
                        String job = t.substring(PeersGuest.DIAG.length()).split(" ")[0];
                        Mark m = begun.remove(job);
                        if (m != null) System.out.print(overJob(job, m, mark()));
                    }
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | IOException e) {
            System.out.println("DIAG failed: " + e);
        }
    }

    private Mark mark() throws IOException {
        return new Mark(System.nanoTime(), vm.metrics(), threadTicks());
    }

    /** This process's threads' utime + stime in ticks, summed per name with its numbering dropped (vp-0 stays). */
    private static Map<String, Long> threadTicks() throws IOException {
        Map<String, Long> ticks = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                String group = comm.startsWith("vp-") ? comm : comm.replaceAll("[-#]?\\d+$", "");
                ticks.merge(group, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            }
        }
        return ticks;
    }

    private static long commands(MachineMetrics m) {
        long n = 0;
        for (DiskCounters.Snapshot d : m.disks().values())
            n += d.read().requests() + d.write().requests();
        return n;
    }

    private static Map<String, Long> exits(MachineMetrics m) {
        Map<String, Long> all = new TreeMap<>();
        for (VpMetrics v : m.vps()) v.exits().forEach((k, n) -> all.merge(k, n, Long::sum));
        return all;
    }

    private static <K> Map<K, Long> delta(Map<K, Long> after, Map<K, Long> before) {
        Map<K, Long> d = new LinkedHashMap<>();
        after.forEach((k, v) -> {
            long x = v - before.getOrDefault(k, 0L);
            if (x != 0) d.put(k, x);
        });
        return d;
    }

    private static String perCommand(Map<String, Long> counts, double commands, double scale, String unit) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> "%s %.2f%s".formatted(e.getKey(), e.getValue() * scale / commands, unit))
                .collect(Collectors.joining(", "));
    }

    String overJob(String job, Mark a, Mark b) {
        double commands = Math.max(1, commands(b.metrics()) - commands(a.metrics()));
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        StringBuilder s = new StringBuilder();
        s.append("DIAG %s: %.0f disk commands in %.1f s (%.0f/s)%n"
                .formatted(job, commands, seconds, commands / seconds));
        s.append("DIAG %s: user-space exits per command: %s%n"
                .formatted(job, perCommand(delta(exits(b.metrics()), exits(a.metrics())), commands, 1, "")));
        s.append("DIAG %s: hypercalls per command: %s%n"
                .formatted(
                        job,
                        perCommand(delta(b.metrics().hypercalls(), a.metrics().hypercalls()), commands, 1, "")));
        s.append("DIAG %s: VMBus signals per command: guest->host %.2f, host->guest %.2f%n"
                .formatted(
                        job,
                        (b.metrics().vmbusSignalsFromGuest() - a.metrics().vmbusSignalsFromGuest()) / commands,
                        (b.metrics().vmbusSignalsToGuest() - a.metrics().vmbusSignalsToGuest()) / commands));
        // Ticks are 10 ms: per command in µs.
        s.append("DIAG %s: this process's CPU per command by thread: %s%n"
                .formatted(job, perCommand(delta(b.threadTicks(), a.threadTicks()), commands, 10_000, " us")));
        return s.toString();
    }

    /** The boot's user-space exits, hypercalls and signals (totals), and this process's CPU by thread (ms). */
    String overBoot(Mark a, Mark b) {
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        return "DIAG boot: %.1f s to /init; user-space exits: %s%n"
                        .formatted(seconds, perCommand(delta(exits(b.metrics()), exits(a.metrics())), 1, 1, ""))
                + "DIAG boot: hypercalls: %s; VMBus signals guest->host %d, host->guest %d%n"
                        .formatted(
                                perCommand(
                                        delta(
                                                b.metrics().hypercalls(),
                                                a.metrics().hypercalls()),
                                        1,
                                        1,
                                        ""),
                                b.metrics().vmbusSignalsFromGuest()
                                        - a.metrics().vmbusSignalsFromGuest(),
                                b.metrics().vmbusSignalsToGuest() - a.metrics().vmbusSignalsToGuest())
                + "DIAG boot: this process's CPU by thread: %s%n"
                        .formatted(perCommand(delta(b.threadTicks(), a.threadTicks()), 1, 10, " ms"));
    }

    /** The recorders' entries of the last {@code window}, counted per kind, per disk command of that window. */
    private String recorderWindow(String job, Duration window) throws IOException, InterruptedException {
        MachineMetrics before = vm.metrics();
        Thread.sleep(window.toMillis());
        MachineMetrics after = vm.metrics();
        double commands = Math.max(1, commands(after) - commands(before));
        List<FlightRecorder.Entry> entries = vm.partition().recorded();
        if (entries.isEmpty()) return "";
        long last =
                entries.stream().mapToLong(FlightRecorder.Entry::nanos).max().orElse(0);
        long from = last - window.toNanos();
        List<FlightRecorder.Entry> in =
                entries.stream().filter(e -> e.nanos() >= from).toList();
        long covered =
                last - in.stream().mapToLong(FlightRecorder.Entry::nanos).min().orElse(last);
        Map<String, Long> kinds =
                in.stream().collect(Collectors.groupingBy(PeersDiagnosis::kind, Collectors.counting()));
        StringBuilder s = new StringBuilder();
        s.append("DIAG %s: recorder, %d entries over %.0f ms (%.0f disk commands in %d ms), per command: %s%n"
                .formatted(
                        job,
                        in.size(),
                        covered / 1e6,
                        commands,
                        window.toMillis(),
                        perCommand(kinds, commands * covered / (double) window.toNanos(), 1, "")));
        for (FlightRecorder.Entry e : in.subList(Math.max(0, in.size() - 40), in.size()))
            s.append("DIAG %s: %s%n".formatted(job, e.render()));
        return s.toString();
    }

    /** An entry's kind: the event with its port, MSR, hypercall code or vector (not its data). */
    private static String kind(FlightRecorder.Entry e) {
        return switch (e.event()) {
            case IO_IN, IO_OUT, MMIO_READ, MMIO_WRITE, RDMSR, WRMSR ->
                "%s 0x%x".formatted(e.event().name().toLowerCase(), e.a());
            case HYPERCALL -> "hypercall 0x%x".formatted(e.a() & 0xFFFF);
            case INTERRUPT_SENT -> "interrupt 0x%x".formatted(e.a());
            default -> e.event().name().toLowerCase();
        };
    }

    /** Stops the profile and prints its hot methods: by top frame, and by first Viridian frame with its thread. */
    void finish() throws IOException {
        watcher.interrupt();
        recording.stop();
        Path file = Files.createTempFile("viridian-peers", ".jfr");
        try {
            recording.dump(file);
            recording.close();
            Map<String, Long> top = new HashMap<>(), ours = new HashMap<>();
            long samples = 0;
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) continue;
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                String thread = e.getThread("sampledThread") == null
                        ? "?"
                        : e.getThread("sampledThread").getJavaName().replaceAll("[-#]?\\d+$", "");
                samples++;
                top.merge(name(frames.getFirst()), 1L, Long::sum);
                frames.stream()
                        .filter(f -> f.getMethod().getType().getName().startsWith("org.viridian."))
                        .findFirst()
                        .ifPresent(f -> ours.merge(thread + " " + name(f), 1L, Long::sum));
            }
            System.out.print(hot("top frames", top, samples) + hot("first Viridian frames by thread", ours, samples));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String name(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
    }

    private static String hot(String title, Map<String, Long> counts, long samples) {
        StringBuilder s = new StringBuilder(
                "DIAG profile, %s (%d CPU samples in Java, 10 ms apart):%n".formatted(title, samples));
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(25)
                .forEach(e -> s.append("DIAG   %5.1f%%  %s%n".formatted(100.0 * e.getValue() / samples, e.getKey())));
        return s.toString();
    }
}
