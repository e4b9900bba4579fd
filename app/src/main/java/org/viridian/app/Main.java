package org.viridian.app;

import org.viridian.app.bench.BenchCommand;
import org.viridian.app.host.HostCommand;
import org.viridian.app.run.DemoCommand;
import org.viridian.app.run.RunCommand;
import org.viridian.app.vhd.VhdCommand;
import org.viridian.app.vm.ClusterCommand;
import org.viridian.app.vm.ServeCommand;
import org.viridian.app.vm.SwitchCommand;
import org.viridian.app.vm.UpCommand;
import org.viridian.app.vm.VmCommand;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `viridian` command: one entry point, one subcommand per job. */
@Command(
        name = "viridian",
        mixinStandardHelpOptions = true,
        version = "Viridian 0.1.0",
        description = "Hyper-V architecture on Linux KVM.",
        subcommands = {
            UpCommand.class,
            DemoCommand.class,
            HostCommand.class,
            RunCommand.class,
            BenchCommand.class,
            VhdCommand.class,
            VmCommand.class,
            SwitchCommand.class,
            ClusterCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class,
            AutoComplete.GenerateCompletion.class
        })
public final class Main implements Runnable {
    public static void main(String[] args) {
        LogSetup.configure();
        // The main job: with no arguments, the host service with the demo VM booting on this terminal (UpCommand).
        System.exit(commandLine().execute(args.length == 0 ? new String[] {"up"} : args));
    }

    /** The configured command line, shared by main and tests. */
    public static CommandLine commandLine() {
        return withHandlers(new CommandLine(new Main()));
    }

    /** Bad arguments and failures as one line each, for this command line and the lean ones (VhdMain). */
    public static CommandLine withHandlers(CommandLine cl) {
        // Bad arguments get one clear line and the usage, never a stack trace.
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("viridian: " + ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("viridian: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
