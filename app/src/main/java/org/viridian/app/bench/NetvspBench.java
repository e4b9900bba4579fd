package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.viridian.machine.boot.HostProgram;
import org.viridian.vswitch.Ipv4Network;
import org.viridian.vswitch.SwitchHost;
import org.viridian.vswitch.SwitchSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * `viridian bench netvsp`: iperf3 TCP throughput and 64-byte UDP packet rate through NetVSP (stock Linux's
 * hv_netvsc), guest to host on an internal switch and VM to VM on a private switch, next to QEMU's virtio-net with
 * its user-space back-end (tap, vhost=off) on the same switches with the same kernel, initramfs, memory and
 * processors, and next to a veth pair between two namespaces (the kernel's own path, no VM), all in one run.
 */
@Command(
        name = "netvsp",
        mixinStandardHelpOptions = true,
        description = "NetVSP iperf3 TCP and 64-byte UDP rates, guest to host and VM to VM, vs QEMU virtio-net and "
                + "a veth pair, same run (needs root, /dev/kvm, iperf3, busybox-static; QEMU optional).")
final class NetvspBench implements Callable<Integer> {
    private static final long MEMORY = 256L << 20;
    private static final Ipv4Network HOST_SIDE = Ipv4Network.parse("10.231.0.1/24"),
            VM_SIDE = Ipv4Network.parse("10.231.1.0/24");
    private static final String INTERNAL = "netbench-host", PRIVATE = "netbench-vms";

    @Mixin
    GuestKernelOptions guest;

    @Option(
            names = "--seconds",
            defaultValue = "10",
            description = "Length of each iperf3 test (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--cpus", defaultValue = "1", description = "Processors per guest (default ${DEFAULT-VALUE}).")
    int cpus;

    @Option(
            names = "--qemu",
            defaultValue = "qemu-system-x86_64",
            description = "QEMU for the virtio-net column (default ${DEFAULT-VALUE}; missing: that column is n/a).")
    String qemu;

    @Option(
            names = "--diagnose",
            description = "Instead of the table: one Viridian guest to the host, with its adapter counters and flight"
                    + " recorder during its UDP test and the guest's interrupt and interface counters.")
    boolean diagnose;

    /** The line a Viridian guest's console ends with per adapter: its NetVSP counters ({@link NetEngine.Viridian}). */
    static final String ADAPTER_PREFIX = "NETVSP-ADAPTER ";

    /** Per test and engine, what tells a stalling TCP from a slow one; printed under the table. */
    private final List<String> tcpHealth = new ArrayList<>();

    private record Row(String test, String unit, double scale, double veth, Double qemu, double viridian) {}

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || seconds > 600) throw new IllegalArgumentException("--seconds must be 1..600");
        BenchCommand.requireKvm();
        String why = SwitchHost.unavailable().orElse(null);
        if (why != null) throw new IllegalStateException("bench netvsp: " + why);
        Path iperf3 = HostProgram.find("iperf3")
                .orElseThrow(
                        () -> new IllegalStateException("bench netvsp: iperf3 is missing (Debian package iperf3)"));
        Path busybox = HostProgram.find("busybox")
                .orElseThrow(() ->
                        new IllegalStateException("bench netvsp: busybox is missing (Debian package busybox-static)"));
        Optional<Path> qemuPath = HostProgram.find(qemu);
        BenchKernel guestKernel = guest.resolve();
        Path k = guestKernel.kernel(), mods = guestKernel.modules();

        Path initrd = Files.createTempFile("viridian-bench-net", ".gz");
        SwitchHost switches = SwitchHost.system();
        Process hostServer = null;
        try {
            Files.write(initrd, NetGuest.initramfs(busybox, iperf3, mods, seconds));
            NetEngine.Machine machine = new NetEngine.Machine(k, initrd, cpus, MEMORY);
            NetEngine viridian = new NetEngine.Viridian(machine, diagnose);
            NetEngine qemuEngine = qemuPath.<NetEngine>map(q -> new NetEngine.Qemu(machine, q, switches))
                    .orElse(null);
            switches.ensure(SwitchSpec.internal(INTERNAL, HOST_SIDE));
            switches.ensure(SwitchSpec.privateSwitch(PRIVATE));
            System.out.printf(
                    "network: NetVSP vs QEMU virtio-net (tap, vhost=off) vs veth, iperf3 %d s a test, guests %d VP,"
                            + " %d MiB, kernel %s%n",
                    seconds, cpus, MEMORY >> 20, k.getFileName());
            if (qemuEngine == null) System.out.println("  (no " + qemu + ": the QEMU column is n/a)");

            Iperf3.Figures veth = diagnose ? null : VethBaseline.measure(iperf3.toString(), seconds);
            hostServer = new ProcessBuilder(iperf3.toString(), "-s", "-B", HOST_SIDE.addressText())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            Iperf3.Figures vG2h = guestToHost(viridian, 2);
            if (diagnose) {
                // A diagnosis wants one short look at NetVSP, not the whole table.
                System.out.printf(
                        "  Viridian NetVSP guest->host: TCP %.1f Mbit/s, UDP 64 B %.1f pkt/s%n",
                        vG2h.tcpBitsPerSecond() * 1e-6, vG2h.udpPacketsPerSecond());
                printTcpHealth();
                return 0;
            }
            Iperf3.Figures qG2h = qemuEngine == null ? null : guestToHost(qemuEngine, 3);
            hostServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Iperf3.Figures vVm = vmToVm(viridian, 1);
            Iperf3.Figures qVm = qemuEngine == null ? null : vmToVm(qemuEngine, 11);

            List<Row> rows = new ArrayList<>();
            for (String path : List.of("guest->host", "VM->VM")) {
                Iperf3.Figures v = path.equals("VM->VM") ? vVm : vG2h, q = path.equals("VM->VM") ? qVm : qG2h;
                rows.add(new Row(
                        path + " TCP",
                        "Mbit/s",
                        1e-6,
                        veth.tcpBitsPerSecond(),
                        q == null ? null : q.tcpBitsPerSecond(),
                        v.tcpBitsPerSecond()));
                rows.add(new Row(
                        path + " UDP " + Iperf3.UDP_PAYLOAD + " B",
                        "pkt/s",
                        1,
                        veth.udpPacketsPerSecond(),
                        q == null ? null : q.udpPacketsPerSecond(),
                        v.udpPacketsPerSecond()));
            }
            print(rows);
            printTcpHealth();
            return 0;
        } finally {
            if (hostServer != null) hostServer.destroyForcibly();
            switches.remove(INTERNAL);
            switches.remove(PRIVATE);
            Files.deleteIfExists(initrd);
        }
    }

    private Duration guestTimeout() {
        // Booting the stock kernel takes a few seconds on hardware and a few minutes in a nested emulated host.
        return Duration.ofSeconds(300 + 4L * seconds);
    }

    /** One guest on the internal switch against the host's iperf3 server on the switch's host address. */
    private Iperf3.Figures guestToHost(NetEngine engine, int host) throws IOException, InterruptedException {
        TcpCounters[] receiver = new TcpCounters[1];
        Iperf3.Figures f = twice(engine, "guest->host", () -> {
            TcpCounters before = TcpCounters.host();
            try (NetEngine.Guest g = engine.start(
                    "netbench-g" + host,
                    INTERNAL,
                    NetGuest.cmdline(HOST_SIDE.host(host) + "/24", HOST_SIDE.addressText()))) {
                String console = g.awaitConsole(guestTimeout());
                receiver[0] = TcpCounters.host().since(before);
                return console;
            }
        });
        tcpHealth.add("    host (receiver) during it: " + receiver[0].summary());
        return f;
    }

    /** Two guests on the private switch: a server at host {@code first}, its client at the next. */
    private Iperf3.Figures vmToVm(NetEngine engine, int first) throws IOException, InterruptedException {
        String server = VM_SIDE.host(first);
        return twice(engine, "VM->VM", () -> {
            try (NetEngine.Guest s =
                            engine.start("netbench-s" + first, PRIVATE, NetGuest.cmdline(server + "/24", null));
                    NetEngine.Guest c = engine.start(
                            "netbench-c" + first, PRIVATE, NetGuest.cmdline(VM_SIDE.host(first + 1) + "/24", server))) {
                String out = c.awaitConsole(guestTimeout());
                s.awaitConsole(Duration.ofSeconds(30));
                return out;
            }
        });
    }

    private interface GuestRun {
        String console() throws IOException, InterruptedException;
    }

    /** A run whose guest reports nothing (a boot that failed) is tried once more; then its console is the error. */
    private Iperf3.Figures twice(NetEngine engine, String path, GuestRun run) throws IOException, InterruptedException {
        String console = "";
        for (int attempt = 1; attempt <= 2; attempt++) {
            console = run.console();
            if (diagnose)
                console.lines()
                        .filter(l -> l.startsWith("NETDIAG"))
                        .forEach(l -> System.out.println(engine.getClass().getSimpleName() + " " + l));
            try {
                Iperf3.Figures f = Iperf3.fromConsole(console);
                tcpHealth.add(tcpHealth(engine, path, f, console));
                return f;
            } catch (IOException e) {
                System.err.printf(
                        "bench netvsp: %s guest, try %d: %s%n",
                        engine.getClass().getSimpleName(), attempt, e.getMessage());
            }
        }
        throw new IOException(engine.getClass().getSimpleName() + " guest reported no results; its console:\n"
                + console.lines()
                        .skip(Math.max(0, console.lines().count() - 60))
                        .reduce("", (a, b) -> a + b + "\n"));
    }

    /**
     * One engine's TCP test on one path: the sender's retransmits (iperf3's count and the guest's own counters:
     * timeouts mean segments or their acknowledgements were lost, InCsumErrors that checksums arrived wrong) and, for
     * Viridian, what NetVSP dropped.
     */
    private static String tcpHealth(NetEngine engine, String path, Iperf3.Figures f, String console) {
        StringBuilder b = new StringBuilder("  %-12s %-15s TCP %.1f Mbit/s, iperf3 retransmits %d; sending guest: %s"
                .formatted(
                        path,
                        engine instanceof NetEngine.Viridian ? "Viridian NetVSP" : "QEMU virtio-net",
                        f.tcpBitsPerSecond() * 1e-6,
                        f.tcpRetransmits(),
                        f.guest().summary()));
        b.append("\n    sender: ").append(f.tcpSender());
        console.lines().filter(l -> l.startsWith(ADAPTER_PREFIX)).forEach(l -> b.append("\n    netvsp: ")
                .append(l.substring(ADAPTER_PREFIX.length())));
        return b.toString();
    }

    private void printTcpHealth() {
        System.out.println(
                "  TCP senders' counters (both tests; retransmits and timeouts mean a stall, not a slow path):");
        tcpHealth.forEach(System.out::println);
    }

    private static void print(List<Row> rows) {
        System.out.printf(
                "  %-26s %14s %16s %16s %14s %14s%n",
                "test", "veth", "QEMU virtio-net", "Viridian NetVSP", "Viridian/QEMU", "Viridian/veth");
        int met = 0, compared = 0;
        for (Row r : rows) {
            String name = r.test() + " " + r.unit();
            System.out.printf(
                    "  %-26s %14s %16s %16s %14s %14s%n",
                    name,
                    figure(r.veth() * r.scale()),
                    r.qemu() == null ? "n/a" : figure(r.qemu() * r.scale()),
                    figure(r.viridian() * r.scale()),
                    r.qemu() == null ? "n/a" : "%.3g".formatted(r.viridian() / r.qemu()),
                    "%.3g".formatted(r.viridian() / r.veth()));
            if (r.qemu() != null) {
                compared++;
                if (r.viridian() >= r.qemu()) met++;
            }
        }
        System.out.println("  (veth: one namespace-to-namespace measurement, the baseline of both paths)");
        System.out.printf(
                "  target (Viridian NetVSP at least QEMU virtio-net): %s%n",
                compared == 0 ? "not compared (no QEMU)" : "met in " + met + " of " + compared + " tests");
    }

    /** One decimal from 1 up; three significant digits below, so a small figure never reads as 0. */
    private static String figure(double v) {
        return v >= 1 ? "%.1f".formatted(v) : "%.3g".formatted(v);
    }
}
