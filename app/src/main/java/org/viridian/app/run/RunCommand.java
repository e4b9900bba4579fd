package org.viridian.app.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
import org.viridian.app.host.HostReport;
import org.viridian.devices.ic.Kvp;
import org.viridian.devices.ic.protocol.KvpPool;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.IntegrationService;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.machine.host.HostCheck;
import org.viridian.partition.PartitionExit;
import org.viridian.vswitch.NetworkConfigException;
import org.viridian.vswitch.SwitchHost;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `viridian run`: boot one VM without the host service; its console on the terminal; exit with the guest's status. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Boot a VM from a kernel (Multiboot ELF, Linux bzImage or vmlinux) with its console here. "
                + "Exits with the guest's status (isa-debug-exit: (v<<1)|1; power-off: 0; crash: 125).")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", required = true, description = "Kernel file.")
    Path kernel;

    @Option(names = "--initrd", description = "Initial ramdisk (Linux).")
    Path initrd;

    @Option(names = "--cmdline", description = "Kernel command line.", defaultValue = "")
    String cmdline;

    @Option(
            names = "--memory",
            description = "Guest memory (default ${DEFAULT-VALUE}).",
            defaultValue = "512M",
            converter = ByteSize.class)
    long memory;

    @Option(names = "--cpus", description = "Virtual processors (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int cpus;

    @Option(
            names = "--console",
            description = "stdio, none, file:PATH or tcp:PORT (default ${DEFAULT-VALUE}).",
            defaultValue = "stdio")
    String console;

    @Option(
            names = "--no-hyperv",
            description = "Run without the Hyper-V interface (plain x86: no synthetic CPUID/MSRs, hypercalls, SynIC).")
    boolean noHyperV;

    @Option(
            names = "--hv-echo",
            description = "Diagnostics: echo HvPostMessage/HvSignalEvent on connection 0x7E57 "
                    + "back to the guest on SINT 2 (the hyperv test guest uses it).")
    boolean hvEcho;

    @Option(
            names = "--hv-testdev",
            description = "Diagnostics: QEMU's Hyper-V test device at port 0x3000 (SINT routes, message and "
                    + "event connections), which kvm-unit-tests' hyperv_synic and hyperv_connections drive.")
    boolean hvTestDevice;

    @Option(
            names = "--hv-no-smp-hypercalls",
            description = "Do not recommend the TLB-flush and IPI hypercalls (KVM answers them where it can; "
                    + "this leaves the guest on IPIs, to measure what they save).")
    boolean hvNoSmpHypercalls;

    @Option(
            names = "--hv-no-stimer-direct",
            description = "Offer the synthetic timers in message mode only (the guest's timer interrupts come as "
                    + "SynIC messages), to compare the timer paths.")
    boolean hvNoStimerDirect;

    @Option(
            names = "--hv-no-doorbells",
            description = "Make every fast HvSignalEvent exit to user space, as without KVM's eventfds (to measure "
                    + "what the doorbells save).")
    boolean hvNoDoorbells;

    @Option(
            names = "--hv-no-stimer",
            description =
                    "Offer no synthetic timers: the guest runs on its LAPIC timer, which KVM keeps in the " + "kernel.")
    boolean hvNoStimer;

    @Option(
            names = "--vmbus-echo",
            description = "Diagnostics: offer a VMBus echo channel (the vmbus test guests use it).")
    boolean vmbusEcho;

    @Option(
            names = "--shutdown-after",
            paramLabel = "SECONDS",
            description =
                    "Ask the guest to shut down gracefully (shutdown integration service) after this many seconds.")
    Integer shutdownAfter;

    @Option(
            names = "--disk",
            paramLabel = "FILE[,ro][,iops=N][,bps=SIZE]",
            description = "A virtual disk (VHD, VHDX or raw) on the synthetic SCSI controller; repeat for more (LUN 0, "
                    + "1, …).")
    List<String> disks = new ArrayList<>();

    @Option(
            names = "--nic",
            paramLabel = "SWITCH[,mac=M][,vlan=N][,spoof-guard][,max-bandwidth=R]",
            description =
                    "A synthetic network adapter on a virtual switch (repeatable): nat (the default NAT switch with "
                            + "DHCP, made on first use), private:NAME or internal:NAME (made on demand, shared by every VM "
                            + "naming it), or an existing switch's name. Needs CAP_NET_ADMIN.")
    List<String> nics = new ArrayList<>();

    @Option(names = "--name", description = "VM name (default: the kernel's file name).")
    String name;

    @Option(
            names = "--integration-services",
            split = ",",
            paramLabel = "NAME",
            description = "Integration services to offer over VMBus, comma-separated: heartbeat, shutdown, timeSync, "
                    + "keyValueExchange (kvp) (default: all).")
    List<String> integrationServices;

    @Option(names = "--no-ic", paramLabel = "NAME", description = "Do not offer this integration service (repeatable).")
    List<String> noIc = new ArrayList<>();

    @Option(
            names = "--kvp-push",
            paramLabel = "KEY=VALUE",
            description = "Put this key into the guest's external KVP pool once its KVP service is up (repeatable).")
    List<String> kvpPush = new ArrayList<>();

    @Option(
            names = "--kvp-dump",
            description = "When the VM ends, print what the guest's KVP auto pool said (OSName, "
                    + "FullyQualifiedDomainName, NetworkAddressIPv4, ...).")
    boolean kvpDump;

    @Option(
            names = "--type",
            paramLabel = "TEXT",
            description =
                    "Type this text (US layout, \\n for Enter) on the synthetic keyboard once its driver is ready (and again every 5 s, 12 times).")
    String type;

    @Option(
            names = "--click",
            paramLabel = "X,Y",
            description =
                    "Click the synthetic mouse's left button at X,Y (0..32767 each) once its driver is ready (and again every 5 s, 12 times).")
    String click;

    @Option(
            names = "--screenshot",
            paramLabel = "FILE",
            description = "Keep FILE a PNG of the guest's synthetic video screen while the VM runs.")
    Path screenshot;

    @Override
    public Integer call() throws Exception {
        for (Path p : initrd == null ? new Path[] {kernel} : new Path[] {kernel, initrd}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no such file: " + p);
        }
        VmSpec spec = new VmSpec(
                        name != null ? name : kernel.getFileName().toString(),
                        cpus,
                        memory,
                        kernel,
                        initrd,
                        cmdline,
                        !noHyperV)
                .withIntegrationServices(integrationServices(integrationServices, noIc))
                .withDisks(disks.stream().map(RunCommand::disk).toList())
                .withNetworkAdapters(networkAdapters(nics));
        if (shutdownAfter != null && shutdownAfter < 0)
            throw new IllegalArgumentException("--shutdown-after must not be negative");
        for (String kv : kvpPush) {
            if (kv.indexOf('=') < 1) throw new IllegalArgumentException("--kvp-push wants KEY=VALUE, not '" + kv + "'");
        }
        return boot(
                spec.withDiagnostics(diagnostics()),
                console,
                new Extras(
                        shutdownAfter,
                        kvpPush,
                        kvpDump,
                        ConsoleInput.keys(type),
                        ConsoleInput.click(click),
                        screenshot));
    }

    /** The diagnostic devices the options ask for. */
    Diagnostics diagnostics() {
        Diagnostics diag = Diagnostics.NONE;
        if (hvEcho) diag = diag.withHvEcho();
        if (vmbusEcho) diag = diag.withVmbusEcho();
        if (hvNoSmpHypercalls) diag = diag.withoutSmpHypercalls();
        if (hvNoDoorbells) diag = diag.withoutDoorbells();
        if (hvNoStimer) diag = diag.withTimers(Diagnostics.TimerOffer.NONE);
        else if (hvNoStimerDirect) diag = diag.withTimers(Diagnostics.TimerOffer.MESSAGE);
        if (hvTestDevice) diag = diag.withHvTestDevice();
        return diag;
    }

    /** The adapters {@code --nic} asks for; the switches they name are made here when they are made on demand. */
    static List<VmSpec.NetworkAdapter> networkAdapters(List<String> nics) throws NetworkConfigException {
        if (nics.isEmpty()) return List.of();
        List<NicOption> parsed = nics.stream().map(NicOption::parse).toList();
        String why = SwitchHost.unavailable().orElse(null);
        if (why != null) throw new IllegalStateException("--nic: " + why);
        SwitchHost switches = SwitchHost.system();
        for (NicOption n : parsed) {
            if (n.create().isPresent()) {
                if (!switches.present().containsKey(n.switchName()))
                    switches.ensure(n.create().get());
            } else if (!switches.present().containsKey(n.switchName())) {
                throw new IllegalArgumentException("--nic: no virtual switch named " + n.switchName()
                        + " (use nat, private:NAME or internal:NAME, or create it with 'viridian switch create')");
            }
        }
        return parsed.stream().map(NicOption::adapter).toList();
    }

    /** {@code FILE[,ro][,iops=N][,bps=SIZE]} → a disk; the file must exist. */
    static VmSpec.Disk disk(String arg) {
        String[] parts = arg.split(",");
        Path path = Path.of(parts[0]);
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("--disk: no such file: " + path);
        boolean readOnly = false;
        long iops = 0, bps = 0;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.equals("ro")) readOnly = true;
            else if (p.startsWith("iops=")) iops = Long.parseLong(p.substring(5));
            else if (p.startsWith("bps=")) bps = new ByteSize().convert(p.substring(4));
            else throw new IllegalArgumentException("--disk: unknown option '" + p + "' (ro, iops=N, bps=SIZE)");
        }
        return new VmSpec.Disk(path, readOnly, iops, bps);
    }

    /** The services {@code --integration-services} names (all when absent), less those {@code --no-ic} names. */
    static Set<IntegrationService> integrationServices(List<String> offered, List<String> withheld) {
        Set<IntegrationService> s = EnumSet.allOf(IntegrationService.class);
        if (offered != null) {
            s.clear();
            offered.stream()
                    .filter(n -> !n.isBlank())
                    .map(IntegrationService::named)
                    .forEach(s::add);
        }
        withheld.stream().map(IntegrationService::named).forEach(s::remove);
        return s;
    }

    /** What `viridian run` does around the VM besides booting it. */
    record Extras(
            Integer shutdownAfter,
            List<String> kvpPush,
            boolean kvpDump,
            List<org.viridian.devices.input.KeyEvent> keys,
            org.viridian.devices.input.PointerEvent click,
            Path screenshot) {
        static final Extras NONE = new Extras(null, List.of(), false, List.of(), null, null);
    }

    /** Boots {@code spec} with its console at {@code console} and returns the exit status `viridian run` reports. */
    public static int boot(VmSpec spec, String console) throws Exception {
        return boot(spec, console, Extras.NONE);
    }

    /**
     * Pushes the keys once the guest's KVP service has negotiated (Linux does when its hv_kvp_daemon registers), and
     * reports each outcome.
     */
    private static void pushKeys(VirtualMachine vm, List<String> keyValues) {
        Kvp kvp = vm.kvp().orElse(null);
        if (kvp == null) {
            System.err.println("viridian: --kvp-push: this VM offers no KVP integration service");
            return;
        }
        Thread.ofVirtual().start(() -> {
            try {
                while (!kvp.negotiatedWithGuest() && !vm.exit().isDone()) Thread.sleep(200);
                for (String kv : keyValues) {
                    int eq = kv.indexOf('=');
                    String key = kv.substring(0, eq);
                    kvp.push(key, kv.substring(eq + 1))
                            .whenComplete((v, t) -> System.err.println(
                                    t == null
                                            ? "viridian: kvp: pushed " + key + " into the guest's external pool"
                                            : "viridian: kvp: pushing " + key + " failed: " + t.getMessage()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * After the delay, asks the guest to shut down; while its shutdown service is not open yet (driver still loading),
     * tries again every half second for a minute.
     */
    private static void askToShutDown(VirtualMachine vm, int seconds) {
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(seconds * 1000L);
                for (int tries = 0; tries < 120 && !vm.exit().isDone(); tries++) {
                    if (vm.requestGracefulShutdown(false)) {
                        System.err.println(
                                "viridian: asked the guest to shut down gracefully (shutdown integration service)");
                        return;
                    }
                    Thread.sleep(500);
                }
                if (!vm.exit().isDone())
                    System.err.println("viridian: the guest never opened its shutdown service; not shut down");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static final int HANG_ENTRIES_PER_VP = 48;

    private static void printLastExits(VirtualMachine vm) {
        var recorded = vm.partition().recorded();
        if (recorded.isEmpty()) return;
        java.util.Map<Integer, Integer> shown = new java.util.HashMap<>();
        java.util.List<String> lines = new java.util.ArrayList<>();
        for (int i = recorded.size() - 1; i >= 0; i--) {
            var e = recorded.get(i);
            if (shown.merge(e.vp(), 1, Integer::sum) <= HANG_ENTRIES_PER_VP) lines.add("  " + e.render());
        }
        java.util.Collections.reverse(lines);
        System.err.println("viridian: stopped while the guest ran; flight recorder, last " + HANG_ENTRIES_PER_VP
                + " per VP (s since the partition was made):");
        lines.forEach(System.err::println);
    }

    static int boot(VmSpec spec, String console, Extras extras) throws Exception {
        HostCheck.Report host = HostCheck.run();
        if (!host.canRunVms()) {
            System.err.print(HostReport.render(host));
            throw new IllegalStateException(Messages.get("up.cannotRunVmsError"));
        }
        try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.parse(console))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // Stopped from outside while the guest still ran (a timeout, ^C): what each VP did last is the only
                // record of a hang, as the crash report's recorder is of a crash.
                if (!vm.exit().isDone()) printLastExits(vm);
                vm.powerOff();
                // Every VP out of KVM_RUN before the JVM halts, as QEMU pauses its vCPUs before it exits: a process
                // that exits with vCPUs still in the kernel leaves their tear-down to the exit path (bounded wait:
                // a VP that never answers its kick must not keep the process alive).
                try {
                    vm.exit().get(2, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception notStopped) {
                    System.err.println("viridian: a virtual processor did not stop within 2 s of its kick");
                }
            }));
            if (extras.shutdownAfter() != null) askToShutDown(vm, extras.shutdownAfter());
            if (!extras.kvpPush().isEmpty()) pushKeys(vm, extras.kvpPush());
            ConsoleInput.start(vm, extras.keys(), extras.click());
            ConsoleInput.screenshots(vm, extras.screenshot());
            vm.start();
            PartitionExit exit = vm.exit().join();
            System.out.flush();
            vm.heartbeat()
                    .map(h -> h.state())
                    .filter(hb -> hb.lastAnswer() != null)
                    .ifPresent(hb -> System.err.printf(
                            "viridian: heartbeat: the guest answered heartbeat %d (IC version %d.%d), last at %s%n",
                            hb.lastSequence() - 1, hb.version() >>> 16, hb.version() & 0xFFFF, hb.lastAnswer()));
            reportIntegration(vm, extras.kvpDump());
            ConsoleInput.report(vm);
            for (var a : vm.networkAdapters()) {
                var c = a.netVsp().counters();
                System.err.printf(
                        "viridian: network adapter %s on switch %s (%s): guest sent %d frames (%d bytes), received %d"
                                + " (%d bytes), dropped %d %s%n",
                        a.spec().port().mac(),
                        a.spec().switchName(),
                        a.tap(),
                        c.txFrames(),
                        c.txBytes(),
                        c.rxFrames(),
                        c.rxBytes(),
                        c.totalDrops(),
                        c.totalDrops() == 0 ? "" : c.drops());
            }
            if (exit instanceof PartitionExit.Crashed c)
                System.err.print(c.report().render());
            else if (!(exit instanceof PartitionExit.DebugExit)) System.err.println("viridian: VM ended: " + exit);
            return exit.exitStatus();
        }
    }

    /** What the time sync and KVP services saw, for the person (and the acceptance test) reading stderr. */
    private static void reportIntegration(VirtualMachine vm, boolean kvpDump) {
        vm.timeSync()
                .filter(t -> t.negotiatedVersion() != 0)
                .ifPresent(t -> System.err.printf(
                        "viridian: time sync: %d time samples sent (IC version %d.%d)%n",
                        t.samplesSent(), t.negotiatedVersion() >>> 16, t.negotiatedVersion() & 0xFFFF));
        if (!kvpDump) return;
        Kvp kvp = vm.kvp().orElse(null);
        if (kvp == null) {
            System.err.println("viridian: kvp: not offered");
        } else if (kvp.lastRead(KvpPool.AUTO).isEmpty()) {
            System.err.println("viridian: kvp: the guest never answered (is hv_kvp_daemon running?)");
        } else {
            kvp.lastRead(KvpPool.AUTO)
                    .get()
                    .forEach((k, v) -> System.err.println("viridian: kvp: auto " + k + "=" + v));
        }
    }
}
