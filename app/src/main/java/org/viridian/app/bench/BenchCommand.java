package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.viridian.app.host.HostReport;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.machine.host.HostCheck;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.vp.FlightRecorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian bench exits`: the VM-exit round trip. The bench-pio guest does N port writes from CPL3; each is an exit
 * that
 * the VMM answers. The same guest runs under Viridian (KVM_RUN in Java, dispatch through the I/O bus) and under a
 * minimal C loop on the same KVM, alternately, and the best rate of each is compared.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks.",
        subcommands = {
            BenchCommand.Exits.class,
            HypercallBench.class,
            VmbusBench.class,
            StorvspBench.class,
            NetvspBench.class,
            PeersBench.class,
            StartBench.class
        })
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static void requireKvm() {
        HostCheck.Report host = HostCheck.run();
        if (!host.canRunVms()) {
            System.err.print(HostReport.render(host));
            throw new IllegalStateException("this host cannot run VMs, so there is nothing to measure");
        }
        // Figures mean different things on each kind (PVM emulates guest kernel code): say which one made them.
        System.out.println("host: " + HostCheck.thisHost().label());
    }

    @Command(
            name = "exits",
            mixinStandardHelpOptions = true,
            description = "Port-I/O exit round trips from a CPL3 guest: Viridian's Java path against a C KVM loop, "
                    + "same guest, same run.")
    static final class Exits implements Callable<Integer> {
        private static final Pattern C_RESULT = Pattern.compile("c: (\\d+) exits in ([\\d.]+) s: (\\d+) exits/s");

        @Option(names = "--count", defaultValue = "100000", description = "Exits per run (default ${DEFAULT-VALUE}).")
        long count;

        @Option(names = "--rounds", defaultValue = "3", description = "Alternating rounds (default ${DEFAULT-VALUE}).")
        int rounds;

        record Result(String path, long exits, double seconds, double rate) {}

        @Override
        public Integer call() throws Exception {
            if (count < 2 || rounds < 1)
                throw new IllegalArgumentException("--count must be at least 2 and --rounds at least 1");
            requireKvm();
            try (BenchGuests files = BenchGuests.extract("bench-pio.elf")) {
                Path guest = files.path("bench-pio.elf");
                Path loop = files.copy("/bench/kvm-pio-loop", "kvm-pio-loop");
                Files.setPosixFilePermissions(loop, PosixFilePermissions.fromString("rwx------"));
                List<Result> viridian = new ArrayList<>(), c = new ArrayList<>(), bare = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    c.add(runC(loop, guest));
                    viridian.add(runViridian(guest, FlightRecorder.DEFAULT_CAPACITY));
                    bare.add(runViridian(guest, 0));
                }
                Result bestV = best(viridian), bestC = best(c), bestBare = best(bare);
                System.out.printf("exit round trips, CPL3 port I/O, %d exits a run, best of %d%n", count, rounds);
                for (Result r : List.of(bestC, bestV, bestBare)) {
                    System.out.printf("  %-30s %10.0f exits/s  (%.1f us each)%n", r.path(), r.rate(), 1e6 / r.rate());
                }
                System.out.printf("  ratio viridian/c               %10.3f%n", bestV.rate() / bestC.rate());
                // What the flight recorder costs: the same Java path with and without it.
                System.out.printf("  ratio recorder on/off          %10.3f%n", bestV.rate() / bestBare.rate());
                return 0;
            }
        }

        private static Result best(List<Result> rs) {
            return rs.stream().max(Comparator.comparingDouble(Result::rate)).orElseThrow();
        }

        private Result runViridian(Path guest, int recorderEntries) throws Exception {
            PingCounter pings = new PingCounter();
            VmSpec spec = new VmSpec("bench", 1, 32L << 20, guest, null, "n=" + count)
                    .withFlightRecorder(recorderEntries)
                    .withDiagnostics(Diagnostics.NONE.withPort(PingCounter.PORT, 4, pings));
            try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.to(new ByteArrayOutputStream()))) {
                vm.start();
                PartitionExit exit = vm.exit().join();
                if (exit.exitStatus() != 33 || pings.count() != count) {
                    throw new IllegalStateException(
                            "bench guest under Viridian ended " + exit + " after " + pings.count() + " exits");
                }
            }
            return new Result(
                    recorderEntries > 0 ? "viridian (java)" : "viridian (java, no recorder)",
                    pings.count(),
                    pings.seconds(),
                    pings.rate());
        }

        private Result runC(Path loop, Path guest) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(loop.toString(), guest.toString(), Long.toString(count))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            int rc = p.waitFor();
            Matcher m = C_RESULT.matcher(out);
            if (rc != 33 || !m.find())
                throw new IllegalStateException("C loop failed (exit " + rc + "): " + out.strip());
            return new Result(
                    "c loop (kvm-pio-loop)",
                    Long.parseLong(m.group(1)),
                    Double.parseDouble(m.group(2)),
                    Double.parseDouble(m.group(3)));
        }
    }
}
