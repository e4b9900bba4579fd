package org.viridian.app.vm;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.viridian.app.cli.Messages;
import org.viridian.app.host.HostReport;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.DefaultSetup;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.SwitchService;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;
import org.viridian.management.state.LastExit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian up` (also `viridian` alone): the host service with its default setup. It starts the service on the default
 * state directory and port, makes sure the demo VM exists, prints the web manager's URL, starts the demo VM and shows
 * its serial console here. On a terminal the service then keeps running (Ctrl-C stops it); without one (scripts, CI)
 * it ends with the demo guest, exiting with the guest's status as `viridian run` does.
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description =
                "Start the host service with the demo VM, show the demo guest's console and the web manager's URL "
                        + "(what 'viridian' alone does).")
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
            description = "Keep serving after the demo guest ends " + "(default: when attached to a terminal).")
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
        VmView demo = DefaultSetup.ensureDemoVm(vms);
        System.out.println(Messages.get("up.serving", service.url(), ServeCommand.dir(stateDir)));
        int status = 0;
        if (!host.canRunVms()) {
            System.err.print(HostReport.render(host));
            System.out.println(Messages.get("up.cannotRunVms"));
        } else if (demo.status().state().isActive()) {
            System.out.println(Messages.get(
                    "up.alreadyActive",
                    Messages.get("state." + demo.status().state().wire())));
        } else {
            status = bootDemo(vms, demo);
        }
        if (serveOn) {
            System.out.println(Messages.get("up.servingUntil", service.url()));
            ServeCommand.awaitShutdown(service);
            return 0;
        }
        service.close();
        return status;
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
