package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.partition.PartitionExit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian bench hypercalls`: fast HvSignalEvent hypercalls from a CPL3 loop (bench-hv) against the bare port-I/O
 * exit round trip (bench-pio), both through Viridian, alternating in one run. The difference is the hypercall path's
 * own cost: reading the VP's registers and segments, decoding, dispatching, writing the result back.
 */
@Command(
        name = "hypercalls",
        mixinStandardHelpOptions = true,
        description = "Hypercall round trips from CPL3 against bare exit round trips, same run, as a ratio.")
final class HypercallBench implements Callable<Integer> {
    static final int SINK = 0x7E58;

    @Option(names = "--count", defaultValue = "100000", description = "Round trips per run (default ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "--rounds", defaultValue = "3", description = "Alternating rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    private record Result(String path, double rate) {}

    @Override
    public Integer call() throws Exception {
        if (count < 2 || rounds < 1)
            throw new IllegalArgumentException("--count must be at least 2 and --rounds at least 1");
        BenchCommand.requireKvm();
        try (BenchGuests guests = BenchGuests.extract("bench-pio.elf", "bench-hv.elf")) {
            List<Result> exits = new ArrayList<>(), calls = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                exits.add(run(guests.path("bench-pio.elf"), false));
                calls.add(run(guests.path("bench-hv.elf"), true));
            }
            Result e = best(exits), h = best(calls);
            System.out.printf("hypercall round trips from CPL3, %d a run, best of %d%n", count, rounds);
            for (Result r : List.of(e, h))
                System.out.printf("  %-26s %10.0f /s  (%.1f us each)%n", r.path(), r.rate(), 1e6 / r.rate());
            System.out.printf("  ratio hypercall/exit       %10.3f%n", h.rate() / e.rate());
            return 0;
        }
    }

    private static Result best(List<Result> rs) {
        return rs.stream().max(Comparator.comparingDouble(Result::rate)).orElseThrow();
    }

    private Result run(Path guest, boolean hypercalls) throws Exception {
        PingCounter ticks = new PingCounter();
        Diagnostics diag = Diagnostics.NONE.withUserHypercalls();
        diag = hypercalls
                ? diag.withSignalHandler(SINK, vp -> ticks.tick())
                : diag.withPort(PingCounter.PORT, 4, ticks);
        VmSpec spec = new VmSpec("bench", 1, 32L << 20, guest, null, "n=" + count).withDiagnostics(diag);
        try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.to(new ByteArrayOutputStream()))) {
            vm.start();
            PartitionExit exit = vm.exit().join();
            if (exit.exitStatus() != 33 || ticks.count() != count) {
                throw new IllegalStateException(
                        guest.getFileName() + " ended " + exit + " after " + ticks.count() + " round trips");
            }
        }
        return new Result(hypercalls ? "HvSignalEvent (fast)" : "port I/O exit", ticks.rate());
    }
}
