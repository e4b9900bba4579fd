package org.viridian.app.run;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.guests.TestGuests;
import org.viridian.machine.VmSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian demo`: boots the built-in demo guest alone (no service) with its console on this terminal; `viridian` alone
 * runs it in the host service ({@link org.viridian.app.vm.UpCommand}).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Boot the built-in demo guest (a Multiboot test kernel) with its console here.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--cpus", defaultValue = "2", description = "Virtual processors (default ${DEFAULT-VALUE}).")
    int cpus;

    @Override
    public Integer call() throws Exception {
        Path kernel = TestGuests.extract(cpus > 1 ? TestGuests.SMP : TestGuests.HELLO);
        System.out.println(
                "viridian: booting the demo guest " + kernel.getFileName() + " with " + cpus + " processor(s)");
        return RunCommand.boot(new VmSpec("demo", cpus, 64L << 20, kernel, null, "demo"), "stdio");
    }
}
