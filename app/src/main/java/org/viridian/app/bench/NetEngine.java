package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.vswitch.HostTool;
import org.viridian.vswitch.PortSpec;
import org.viridian.vswitch.SwitchHost;

/**
 * What runs a bench guest with one network adapter on a switch port: Viridian (NetVSP on its TAP) or QEMU (virtio-net
 * on a TAP of its own, user-space back-end), with the same kernel, initramfs, memory and processors.
 */
sealed interface NetEngine permits NetEngine.Viridian, NetEngine.Qemu {
    /** Starts a guest with {@code cmdline}, its adapter on {@code switchName}. */
    Guest start(String name, String switchName, String cmdline) throws IOException;

    /** A running guest; closing it ends it and frees its port. */
    interface Guest extends AutoCloseable {
        /** Waits until the guest ends (it powers off when done), at most {@code timeout}; returns its console. */
        String awaitConsole(Duration timeout) throws IOException, InterruptedException;

        @Override
        void close() throws IOException;
    }

    /** The guest's machine, alike for both engines. */
    record Machine(Path kernel, Path initrd, int cpus, long memoryBytes) {
        /**
         * QEMU with KVM booting this machine's kernel directly, its console on stdout: no default devices, so the
         * caller adds the one adapter or disk under test. {@code cpu}: "host", or "host,hv-…" with enlightenments.
         */
        List<String> qemu(Path qemu, String cpu, String cmdline) {
            return List.of(
                    qemu.toString(),
                    "-nodefaults",
                    "-machine",
                    "q35,accel=kvm",
                    "-cpu",
                    cpu,
                    "-smp",
                    Integer.toString(cpus),
                    "-m",
                    (memoryBytes >> 20) + "M",
                    "-display",
                    "none",
                    "-serial",
                    "stdio",
                    "-no-reboot",
                    "-kernel",
                    kernel.toString(),
                    "-initrd",
                    initrd.toString(),
                    "-append",
                    cmdline);
        }
    }

    /** Hyper-V's OUI, three random bytes. */
    private static String mac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return "00:15:5d:" + java.util.HexFormat.ofDelimiter(":").formatHex(b);
    }

    /** {@code diagnose}: print the adapter's counters and the flight recorder in the middle of the UDP test. */
    record Viridian(Machine machine, boolean diagnose) implements NetEngine {
        Viridian(Machine machine) {
            this(machine, false);
        }

        @Override
        public Guest start(String name, String switchName, String cmdline) throws IOException {
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            VmSpec spec = new VmSpec(
                            name, machine.cpus(), machine.memoryBytes(), machine.kernel(), machine.initrd(), cmdline)
                    .withNetworkAdapters(List.of(new VmSpec.NetworkAdapter(switchName, PortSpec.plain(mac()))));
            if (diagnose) spec = spec.withFlightRecorder(4096);
            VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.to(console));
            vm.start();
            if (diagnose) BenchDiagnostics.watch(name, vm, console);
            return new Guest() {
                @Override
                public String awaitConsole(Duration timeout) throws InterruptedException {
                    String end;
                    try {
                        end = vm.exit()
                                .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                                .toString();
                    } catch (TimeoutException e) {
                        vm.powerOff();
                        end = "no end in " + timeout.toSeconds() + " s, powered off";
                    } catch (java.util.concurrent.ExecutionException e) {
                        end = "failed: " + e.getCause();
                    }
                    // The adapter's own counters: a frame NetVSP dropped (no receive section, ring full, bad
                    // offload) shows here and not in the guest's.
                    StringBuilder adapters = new StringBuilder();
                    for (var a : vm.networkAdapters())
                        adapters.append(NetvspBench.ADAPTER_PREFIX)
                                .append(a.netVsp().counters())
                                .append(" tap errors ")
                                .append(a.port().errors())
                                .append("; ring ")
                                .append(a.netVsp().ringStatistics())
                                .append('\n');
                    return console.toString(StandardCharsets.UTF_8) + "\n[viridian: " + end + "]\n" + adapters;
                }

                @Override
                public void close() throws IOException {
                    vm.powerOff();
                    vm.close();
                }
            };
        }
    }

    /** {@code qemu}: qemu-system-x86_64 with KVM, on a persistent TAP this engine makes and plugs into the switch. */
    record Qemu(Machine machine, Path qemu, SwitchHost switches) implements NetEngine {
        private static final AtomicInteger TAPS = new AtomicInteger();

        @Override
        public Guest start(String name, String switchName, String cmdline) throws IOException {
            String tap = "nbq" + ProcessHandle.current().pid() % 100000 + "x" + TAPS.getAndIncrement();
            String mac = mac();
            HostTool.run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
            Path log = Files.createTempFile("viridian-bench-qemu", ".log");
            Process p;
            try {
                switches.attach(switchName, tap, PortSpec.plain(mac));
                List<String> command = new java.util.ArrayList<>(machine.qemu(qemu, "host", cmdline));
                command.addAll(List.of(
                        "-netdev",
                        "tap,id=n0,ifname=" + tap + ",script=no,downscript=no,vhost=off",
                        // romfile= : a direct kernel boot needs no PXE option ROM (and may have none).
                        "-device",
                        "virtio-net-pci,netdev=n0,mac=" + mac + ",romfile="));
                p = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException | RuntimeException e) {
                removeTap(switchName, tap);
                Files.deleteIfExists(log);
                throw e;
            }
            return new Guest() {
                @Override
                public String awaitConsole(Duration timeout) throws IOException, InterruptedException {
                    String end;
                    if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) end = "exit " + p.exitValue();
                    else {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                        end = "no end in " + timeout.toSeconds() + " s, killed";
                    }
                    return Files.readString(log, StandardCharsets.ISO_8859_1) + "\n[qemu: " + end + "]\n";
                }

                @Override
                public void close() throws IOException {
                    try {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    removeTap(switchName, tap);
                    Files.deleteIfExists(log);
                }
            };
        }

        private void removeTap(String switchName, String tap) {
            switches.detach(switchName, tap);
            HostTool.quietly("ip", "link", "del", "dev", tap);
        }
    }
}
