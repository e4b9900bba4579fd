package org.viridian.app.host;

import java.util.concurrent.Callable;
import org.viridian.machine.host.HostCheck;
import picocli.CommandLine.Command;

/** `viridian host check`: can this host run VMs, and if not, why. */
@Command(
        name = "host",
        mixinStandardHelpOptions = true,
        description = "Host information.",
        subcommands = HostCommand.Check.class)
public final class HostCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = "Check that this host can run VMs (x86-64, /dev/kvm, virtualization, NX, KVM capabilities). "
                    + "Exits 1 when it cannot.")
    static final class Check implements Callable<Integer> {
        @Override
        public Integer call() {
            HostCheck.Report r = HostCheck.run();
            System.out.print(HostReport.render(r));
            return r.canRunVms() ? 0 : 1;
        }
    }
}
