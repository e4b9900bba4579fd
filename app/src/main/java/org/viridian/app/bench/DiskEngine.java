package org.viridian.app.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;

/**
 * What runs a bench guest with one disk, the same raw image for every engine: Viridian (StorVSP, the guest's stock
 * hv_storvsc) or QEMU with KVM (virtio-blk, QEMU's default cache and AIO, optionally with its Hyper-V enlightenments),
 * with the same kernel, initramfs, memory and processors. The guest powers off when it is done.
 */
sealed interface DiskEngine permits DiskEngine.Viridian, DiskEngine.Qemu {
    /** The column this engine fills. */
    String label();

    /** Boots the guest and waits until it ends (at most {@code timeout}); its console, line by line, stamped. */
    Run run(String name, Path disk, String cmdline, Duration timeout) throws IOException, InterruptedException;

    /** A guest's console and how it ended. */
    record Run(List<ConsoleLines.Line> lines, String text, String end) {}

    /**
     * {@code diagnose}: where the guest's I/O costs go, printed per job (see PeersDiagnosis); {@code doorbells} false:
     * every guest signal exits to user space (the baseline of the signal doorbells).
     */
    record Viridian(NetEngine.Machine machine, boolean diagnose, boolean doorbells, boolean lapicTimer)
            implements DiskEngine {
        Viridian(NetEngine.Machine machine, boolean diagnose, boolean doorbells) {
            this(machine, diagnose, doorbells, false);
        }

        @Override
        public String label() {
            if (lapicTimer) return "Viridian LAPIC timer";
            return doorbells ? "Viridian StorVSP" : "Viridian signals exit";
        }

        @Override
        public Run run(String name, Path disk, String cmdline, Duration timeout) throws IOException {
            ConsoleLines console = new ConsoleLines(PeersGuest.MARKER);
            // The VM runs in this process: its CPU is this JVM's (VPs, StorVSP's workers, GC and compiler alike).
            console.engineProcess(ProcessHandle.current().pid());
            VmSpec spec = new VmSpec(
                            name, machine.cpus(), machine.memoryBytes(), machine.kernel(), machine.initrd(), cmdline)
                    .withDisks(List.of(new VmSpec.Disk(disk, false)));
            if (!doorbells) spec = spec.withDiagnostics(spec.diagnostics().withoutDoorbells());
            // No synthetic timers offered: the guest's clock events go to its LAPIC timer, which KVM runs in its
            // kernel.
            if (lapicTimer) spec = spec.withDiagnostics(spec.diagnostics().withTimers(Diagnostics.TimerOffer.NONE));
            String end;
            long asked = System.nanoTime();
            try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.to(console))) {
                if (diagnose) System.out.printf("DIAG engine: %s%n", label());
                if (diagnose)
                    System.out.printf(
                            "DIAG boot: the VM made (memory, kernel, initramfs, devices) in %.2f s%n",
                            (System.nanoTime() - asked) / 1e9);
                PeersDiagnosis diagnosis = diagnose ? PeersDiagnosis.start(vm, console) : null;
                vm.start();
                try {
                    end = vm.exit()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                            .toString();
                } catch (TimeoutException e) {
                    vm.powerOff();
                    end = "no end in " + timeout.toSeconds() + " s, powered off";
                } catch (ExecutionException e) {
                    end = "failed: " + e.getCause();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    vm.powerOff();
                    end = "interrupted";
                }
                if (diagnosis != null) {
                    try {
                        diagnosis.finish();
                    } catch (IOException | RuntimeException e) { // the diagnosis must not cost the run its figures
                        System.out.println("DIAG profile failed: " + e);
                    }
                }
            }
            return new Run(console.lines(), console.text(), "viridian: " + end);
        }
    }

    /** {@code hv}: QEMU's Hyper-V enlightenments on ({@link #HV_CPU}), as a Windows guest would get them. */
    record Qemu(NetEngine.Machine machine, Path qemu, boolean hv) implements DiskEngine {
        /** The enlightenments that need no VMBus: relaxed timing, APIC assist, reference time, VP index, spinlocks. */
        static final String HV_CPU = "host,hv-relaxed,hv-vapic,hv-time,hv-vpindex,hv-spinlocks=0x1fff";

        @Override
        public String label() {
            return hv ? "QEMU virtio-blk hv-*" : "QEMU virtio-blk";
        }

        @Override
        public Run run(String name, Path disk, String cmdline, Duration timeout)
                throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(machine.qemu(qemu, hv ? HV_CPU : "host", cmdline));
            command.addAll(List.of(
                    "-drive",
                    "file=" + disk + ",format=raw,if=none,id=d0",
                    "-device",
                    "virtio-blk-pci,drive=d0",
                    "-name",
                    name));
            ConsoleLines console = new ConsoleLines(PeersGuest.MARKER);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            console.engineProcess(p.pid());
            Thread pump = Thread.ofPlatform().daemon().name("console-" + name).start(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(console);
                } catch (IOException ignored) {
                    // QEMU went away: the console is what came.
                }
            });
            String end;
            try {
                if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) end = "exit " + p.exitValue();
                else end = "no end in " + timeout.toSeconds() + " s, killed";
            } finally {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                pump.join(5000);
            }
            return new Run(console.lines(), console.text(), "qemu: " + end);
        }
    }
}
