package org.viridian.app.run;

import org.viridian.app.cli.ByteSize;
import org.viridian.machine.VirtualMachine;
import org.viridian.hv.diag.EchoConnection;
import org.viridian.vmbus.diag.EchoDevice;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.machine.host.HostCheck;
import org.viridian.partition.PartitionExit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** `viridian run`: boot one VM without the host service; its console on the terminal; exit with the guest's status. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Boot a VM from a kernel (Multiboot ELF, Linux bzImage or vmlinux) with its console here. "
                + "Exits with the guest's status (isa-debug-exit: (v<<1)|1; power-off: 0; crash: 125).")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", required = true, description = "Kernel file.")
    Path kernel;

    @Option(names = "--initrd", description = "Initial ramdisk (Linux).")
    Path initrd;

    @Option(names = "--cmdline", description = "Kernel command line.", defaultValue = "")
    String cmdline;

    @Option(names = "--memory", description = "Guest memory (default ${DEFAULT-VALUE}).", defaultValue = "512M",
            converter = ByteSize.class)
    long memory;

    @Option(names = "--cpus", description = "Virtual processors (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int cpus;

    @Option(names = "--console", description = "stdio, none, file:PATH or tcp:PORT (default ${DEFAULT-VALUE}).",
            defaultValue = "stdio")
    String console;

    @Option(names = "--no-hyperv", description = "Run without the Hyper-V interface (plain x86: no synthetic CPUID/MSRs, hypercalls, SynIC).")
    boolean noHyperV;

    @Option(names = "--hv-echo", description = "Diagnostics: echo HvPostMessage/HvSignalEvent on connection 0x7E57 "
            + "back to the guest on SINT 2 (the hyperv test guest uses it).")
    boolean hvEcho;

    @Option(names = "--vmbus-echo", description = "Diagnostics: offer a VMBus echo channel (the vmbus test guests use it).")
    boolean vmbusEcho;

    @Option(names = "--shutdown-after", paramLabel = "SECONDS",
            description = "Ask the guest to shut down gracefully (shutdown integration service) after this many seconds.")
    Integer shutdownAfter;

    @Option(names = "--name", description = "VM name (default: the kernel's file name).")
    String name;

    @Override
    public Integer call() throws Exception {
        for (Path p : initrd == null ? new Path[] {kernel} : new Path[] {kernel, initrd}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no such file: " + p);
        }
        VmSpec spec = new VmSpec(name != null ? name : kernel.getFileName().toString(), cpus, memory, kernel, initrd,
                cmdline, !noHyperV);
        if (shutdownAfter != null && shutdownAfter < 0) throw new IllegalArgumentException("--shutdown-after must not be negative");
        return boot(spec, console, new Diagnostics(hvEcho, vmbusEcho), shutdownAfter);
    }

    /** The diagnostic partners a test guest may ask for. */
    record Diagnostics(boolean hvEcho, boolean vmbusEcho) {
        static final Diagnostics NONE = new Diagnostics(false, false);
    }

    /** Boots {@code spec} with its console at {@code console} and returns the exit status `viridian run` reports. */
    public static int boot(VmSpec spec, String console) throws Exception {
        return boot(spec, console, Diagnostics.NONE, null);
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
                        System.err.println("viridian: asked the guest to shut down gracefully (shutdown integration service)");
                        return;
                    }
                    Thread.sleep(500);
                }
                if (!vm.exit().isDone()) System.err.println("viridian: the guest never opened its shutdown service; not shut down");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static int boot(VmSpec spec, String console, Diagnostics diagnostics, Integer shutdownAfter) throws Exception {
        HostCheck.Report host = HostCheck.run();
        if (!host.canRunVms()) {
            System.err.print(host.render());
            throw new IllegalStateException("this host cannot run VMs (see above, or run 'viridian host check')");
        }
        try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.parse(console))) {
            if (diagnostics.hvEcho()) {
                if (vm.hypervisor() == null) throw new IllegalArgumentException("--hv-echo needs the Hyper-V interface (drop --no-hyperv)");
                EchoConnection.install(vm.hypervisor());
            }
            if (diagnostics.vmbusEcho()) {
                if (vm.vmbus() == null) throw new IllegalArgumentException("--vmbus-echo needs VMBus (drop --no-hyperv)");
                vm.vmbus().addDevice(new EchoDevice());
            }
            Runtime.getRuntime().addShutdownHook(new Thread(vm::powerOff));
            if (shutdownAfter != null) askToShutDown(vm, shutdownAfter);
            vm.start();
            PartitionExit exit = vm.exit().join();
            System.out.flush();
            if (vm.heartbeat() != null && vm.heartbeat().state().lastAnswer() != null) {
                var hb = vm.heartbeat().state();
                System.err.printf("viridian: heartbeat: the guest answered heartbeat %d (IC version %d.%d), last at %s%n",
                        hb.lastSequence() - 1, hb.version() >>> 16, hb.version() & 0xFFFF, hb.lastAnswer());
            }
            if (exit instanceof PartitionExit.Crashed c) System.err.print(c.report().render());
            else if (!(exit instanceof PartitionExit.DebugExit)) System.err.println("viridian: VM ended: " + exit);
            return exit.exitStatus();
        }
    }
}
