package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.partition.PartitionExit;
import org.viridian.vmbus.diag.EchoDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian bench vmbus`: ring-buffer round trips between a CPL3 guest loop (bench-vmbus) and the host's echo channel,
 * small packets for round trips/s and large ones for MB/s. Baselines from the same run: the bare CPL3 HvSignalEvent
 * round trip (bench-hv; every VMBus round trip needs one, so it is the ceiling for round trips/s) and the host copying
 * the same bytes in and out of memory (the ceiling for MB/s).
 */
@Command(
        name = "vmbus",
        mixinStandardHelpOptions = true,
        description = "VMBus ring round trips/s and MB/s from CPL3 against an echo channel, with same-run baselines.")
final class VmbusBench implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "20000", description = "Round trips per run (default ${DEFAULT-VALUE}).")
    long count;

    @Option(
            names = "--sizes",
            split = ",",
            defaultValue = "64,16384",
            description = "Packet payload sizes in bytes, 1..16384 (default ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Override
    public Integer call() throws Exception {
        if (count < 2) throw new IllegalArgumentException("--count must be at least 2");
        for (int s : sizes)
            if (s < 1 || s > 16384) throw new IllegalArgumentException("--sizes must be within 1..16384, not " + s);
        BenchCommand.requireKvm();
        try (BenchGuests guests = BenchGuests.extract("bench-hv.elf", "bench-vmbus.elf")) {
            // Best of two: the first VM of a run also pays for warming up the JIT.
            double hypercalls =
                    Math.max(hypercallRate(guests.path("bench-hv.elf")), hypercallRate(guests.path("bench-hv.elf")));
            System.out.printf("VMBus ring round trips from CPL3 to the host's echo channel, %d a run%n", count);
            System.out.printf("  baseline: bare HvSignalEvent from CPL3      %10.0f /s%n", hypercalls);
            for (int size : sizes) {
                EchoDevice.Stats s = echo(guests.path("bench-vmbus.elf"), size);
                double rate = (s.packets() - 1) / (s.nanos() / 1e9);
                double mbs = rate * size * 2 / 1e6; // each round trip carries the payload both ways
                double copy = hostCopyMBs(size);
                System.out.printf(
                        "  %5d-byte packets: %10.0f round trips/s (%.1f us), %8.1f MB/s both ways%n",
                        size, rate, 1e6 / rate, mbs);
                System.out.printf("      ratio round trips / bare hypercalls      %8.3f%n", rate / hypercalls);
                System.out.printf("      ratio MB/s / host memory copy (%6.0f MB/s) %8.4f%n", copy, mbs / copy);
            }
            return 0;
        }
    }

    /** A one-VP benchmark VM whose CPL3 code may make hypercalls, with {@code extra} devices, its console discarded. */
    static VirtualMachine benchVm(Path guest, String cmdline, List<VmSpec.Disk> disks, Diagnostics extra)
            throws Exception {
        VmSpec spec = new VmSpec("bench", 1, 32L << 20, guest, null, cmdline)
                .withDisks(disks)
                .withDiagnostics(extra.withUserHypercalls());
        return VirtualMachine.create(spec, ConsoleEndpoint.to(new ByteArrayOutputStream()));
    }

    private double hypercallRate(Path guest) throws Exception {
        PingCounter ticks = new PingCounter();
        Diagnostics counter = Diagnostics.NONE.withSignalHandler(HypercallBench.SINK, vp -> ticks.tick());
        try (VirtualMachine vm = benchVm(guest, "n=" + count, List.of(), counter)) {
            vm.start();
            requirePass(vm.exit().join(), guest, ticks.count());
        }
        return ticks.rate();
    }

    private EchoDevice.Stats echo(Path guest, int size) throws Exception {
        try (VirtualMachine vm =
                benchVm(guest, "n=" + count + " size=" + size, List.of(), Diagnostics.NONE.withVmbusEcho())) {
            EchoDevice echo = vm.echo().orElseThrow();
            vm.start();
            requirePass(vm.exit().join(), guest, echo.stats().packets());
            return echo.stats();
        }
    }

    private void requirePass(PartitionExit exit, Path guest, long done) {
        if (exit.exitStatus() != 33 || done != count) {
            throw new IllegalStateException(guest.getFileName() + " ended " + exit + " after " + done + " round trips");
        }
    }

    /** MB/s of the host copying {@code size} bytes into memory and back out, as the echo does per packet. */
    private double hostCopyMBs(int size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(size), b = arena.allocate(size);
            long rounds = Math.max(count, 1_000_000_000L / size / 20);
            for (int warm = 0; warm < 2; warm++) {
                long t0 = System.nanoTime();
                for (long i = 0; i < rounds; i++) {
                    MemorySegment.copy(a, 0, b, 0, size);
                    MemorySegment.copy(b, 0, a, 0, size);
                }
                if (warm == 1) return rounds * size * 2.0 / ((System.nanoTime() - t0) / 1e3);
            }
            throw new AssertionError();
        }
    }
}
