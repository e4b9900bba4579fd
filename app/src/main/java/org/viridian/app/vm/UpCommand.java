package org.viridian.app.vm;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.viridian.app.cli.Messages;
import org.viridian.app.host.HostReport;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.DefaultSetup;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.demo.LinuxDemo;
import org.viridian.management.jobs.Job;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.SwitchService;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;
import org.viridian.management.state.LastExit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian up` (also `viridian` alone): the host service with its default setup. It starts the service on the default
 * state directory and port, makes sure the demo VM exists (see {@link DefaultSetup}: a small Linux on hardware KVM, the
 * built-in test guest elsewhere, and says why), prints the web manager's URL, starts the demo VM and shows its serial
 * console here. The Linux demo's console is shown until its shells are ready; then the URL of its page (serial and
 * graphical console) is printed. On a terminal the service then keeps running (Ctrl-C stops it); without one (scripts,
 * CI) it ends: the Linux demo is turned off once its shells were ready (status 0, else 1), the built-in guest is run to
 * its end (exit status: the guest's, as `viridian run` has it).
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = "Start the host service with the demo VM (a small Linux on hardware KVM, the built-in test guest "
                + "elsewhere), boot it showing its console and the web manager's URL (what 'viridian' alone "
                + "does). Without a terminal it ends once the Linux demo's shells are ready (the VM is turned "
                + "off again) or the built-in guest ends.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--state-dir", description = "State directory (default: $VIRIDIAN_HOME or ~/.viridian).")
    Path stateDir;

    @Option(
            names = "--listen",
            defaultValue = "127.0.0.1:" + ServiceOptions.DEFAULT_PORT,
            description = "ADDR:PORT (default ${DEFAULT-VALUE}; another free port if that one is taken).")
    String listen;

    @Option(
            names = "--keep-serving",
            negatable = true,
            description = "Keep serving (and the Linux demo running) once the demo guest is ready or ends "
                    + "(default: when attached to a terminal).")
    Boolean keepServing;

    @Override
    public Integer call() throws Exception {
        boolean serveOn = keepServing != null
                ? keepServing
                : System.console() != null && System.console().isTerminal();
        HostCheck.Report host = HostCheck.run();
        if (!host.canRunVms() && !serveOn) {
            System.err.print(HostReport.render(host));
            throw new IllegalStateException(Messages.get("up.cannotRunVmsError"));
        }
        ManagementService service = startService();
        VmService vms = service.vms();
        Path state = ServeCommand.dir(stateDir);
        DefaultSetup.Demo demo = DefaultSetup.ensureDemoVm(
                vms,
                state,
                HostCheck.thisHost(),
                service.switches().unavailable(),
                step -> System.out.println(Messages.get("up.assembling", step)));
        System.out.println(Messages.get("up.serving", service.url(), state));
        for (DefaultSetup.Note n : demo.notes())
            System.out.println(Messages.get("up.note." + n.reason().name().toLowerCase(Locale.ROOT), n.detail()));
        int status = 0;
        VmView vm = demo.vm();
        if (!host.canRunVms()) {
            System.err.print(HostReport.render(host));
            System.out.println(Messages.get("up.cannotRunVms"));
        } else if (vm.status().state().isActive()) {
            System.out.println(Messages.get(
                    "up.alreadyActive",
                    Messages.get("state." + vm.status().state().wire())));
        } else if (demo.guest() == DefaultSetup.Guest.LINUX) {
            // An existing Linux demo whose files cannot be assembled again cannot boot (the note said why).
            status = demo.notes().stream().anyMatch(n -> n.reason() == DefaultSetup.Reason.NOT_ASSEMBLED)
                    ? 1
                    : bootLinux(service, vm, serveOn);
        } else {
            status = bootDemo(vms, vm);
        }
        if (serveOn) {
            System.out.println(Messages.get("up.servingUntil", service.url()));
            ServeCommand.awaitShutdown(service);
            return 0;
        }
        service.close();
        return status;
    }

    /**
     * Starts the Linux demo with its console echoed here until the guest says its shells are ready (or it ends, or
     * {@link #LINUX_READY_TIMEOUT} passes), then tells where its shell is. Without a terminal (scripts, CI) the demo
     * is turned off again: reaching the prompt is the success, status 0; anything else is 1.
     */
    private static int bootLinux(ManagementService service, VmView demo, boolean serveOn) throws InterruptedException {
        VmService vms = service.vms();
        String url = service.url();
        String id = demo.config().id().toString();
        System.out.println(Messages.get(
                "up.bootingLinux", demo.config().cpus(), demo.config().name()));
        long t0 = System.nanoTime();
        StringBuilder seen = new StringBuilder();
        boolean ready;
        try (Echo echo = new Echo(vms.console(id), seen)) {
            Job start = vms.start(id);
            ready = awaitReady(vms, () -> service.jobs().get(start.id()).orElse(start), id, seen);
        }
        if (ready)
            System.out.println(Messages.get(
                    "up.linuxReady",
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9),
                    url + "#/vm/" + id,
                    demo.config().name()));
        else
            System.out.println(Messages.get(
                    "up.linuxNotReady", vms.get(id).status().state().wire()));
        if (serveOn) return ready ? 0 : 1;
        if (vms.get(id).status().state().isActive()) {
            vms.stop(id, false);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (vms.get(id).status().state().isActive() && System.nanoTime() < deadline) Thread.sleep(100);
        }
        return ready ? 0 : 1;
    }

    /** How long the Linux demo may take to reach its shells (seconds on hardware; a nested host is slower). */
    static final Duration LINUX_READY_TIMEOUT = Duration.ofMinutes(5);

    private static boolean awaitReady(VmService vms, Supplier<Job> start, String id, StringBuilder seen)
            throws InterruptedException {
        long deadline = System.nanoTime() + LINUX_READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            synchronized (seen) {
                // The whole line: what is echoed here ends with it, not half-way.
                int at = seen.indexOf(LinuxDemo.READY);
                if (at >= 0 && seen.indexOf("\n", at) >= 0) return true;
            }
            Job job = start.get();
            if (job.status() == Job.Status.FAILED) {
                System.err.println("viridian: " + job.message()); // e.g. the NAT switch could not be made
                return false;
            }
            if (isDone(vms.get(id))) return false;
            Thread.sleep(100);
        }
        return false;
    }

    /** The VM's serial console copied to stdout (and kept in {@code seen}, its tail, to look for a line) while open. */
    private static final class Echo implements AutoCloseable {
        private final ConsoleBuffer console;
        private final Consumer<byte[]> live;

        Echo(ConsoleBuffer console, StringBuilder seen) {
            this.console = console;
            PrintStream out = System.out;
            this.live = b -> {
                out.write(b, 0, b.length);
                out.flush();
                synchronized (seen) {
                    seen.append(new String(b, StandardCharsets.ISO_8859_1));
                    if (seen.length() > 8192) seen.delete(0, seen.length() - 4096);
                }
            };
            // What an earlier boot left in the scrollback is shown, not searched: its ready line is not this boot's.
            byte[] earlier = console.subscribe(live);
            out.write(earlier, 0, earlier.length);
        }

        @Override
        public void close() throws InterruptedException {
            Thread.sleep(100); // the console's last flush
            console.unsubscribe(live);
            System.out.flush();
        }
    }

    private ManagementService startService() throws Exception {
        try {
            // A convenience service next to whatever else runs here: it takes away only the switches it made.
            return ManagementService.start(
                    ServeCommand.options(stateDir, listen, null, null, false), null, SwitchService.HostAccess.shared());
        } catch (IOException | RuntimeException e) {
            if (!portTaken(e)) throw e;
            String[] hp = ServiceOptions.parseListen(listen);
            return ManagementService.start(
                    ServeCommand.options(stateDir, hp[0] + ":0", null, null, false),
                    null,
                    SwitchService.HostAccess.shared());
        }
    }

    private static boolean portTaken(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || t.getClass().getSimpleName().contains("BindException")) return true;
        }
        return false;
    }

    /** Starts the demo VM with its console echoed here; returns its exit status once it ends. */
    private static int bootDemo(VmService vms, VmView demo) throws InterruptedException {
        String id = demo.config().id().toString();
        System.out.println(Messages.get(
                "up.booting",
                DefaultSetup.DEMO_GUEST,
                demo.config().cpus(),
                demo.config().name()));
        PrintStream out = System.out;
        ConsoleBuffer console = vms.console(id);
        Consumer<byte[]> echo = b -> {
            out.write(b, 0, b.length);
            out.flush();
        };
        byte[] earlier = console.subscribe(echo);
        out.write(earlier, 0, earlier.length);
        vms.start(id);
        VmView v = vms.get(id);
        while (!isDone(v)) {
            Thread.sleep(50);
            v = vms.get(id);
        }
        Thread.sleep(100); // the console's last flush
        console.unsubscribe(echo);
        out.flush();
        LastExit exit = v.status().lastExit();
        if (exit != null && exit.crashReport() != null) System.err.print(exit.crashReport());
        System.out.println(
                "viridian: the demo VM is " + v.status().state().wire() + (exit == null ? "" : ": " + exit.reason()));
        return exit == null || exit.exitStatus() == null ? 1 : exit.exitStatus();
    }

    private static boolean isDone(VmView v) {
        return switch (v.status().state()) {
            case OFF, CRASHED -> v.status().lastExit() != null;
            default -> false;
        };
    }
}
