package org.viridian.app;

import org.viridian.app.bench.BenchCommand;
import org.viridian.app.cli.Messages;
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

    /** The configured command line in the environment's language, shared by main and tests. */
    public static CommandLine commandLine() {
        return commandLine(Messages.locale());
    }

    /** The configured command line speaking {@code language} (its usage help and, for this process, its messages). */
    public static CommandLine commandLine(java.util.Locale language) {
        Messages.use(language);
        CommandLine cl = withHandlers(new CommandLine(new Main()));
        cl.setResourceBundle(Messages.bundle(language));
        return cl;
    }

    /** Bad arguments and failures as one line each, for this command line and the lean ones (VhdMain). */
    public static CommandLine withHandlers(CommandLine cl) {
        // Bad arguments get one clear line and the usage, never a stack trace.
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("viridian: " + parameterError(ex));
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("viridian: " + failure(ex));
            return 1;
        });
        return cl;
    }

    /**
     * A bad command line in the user's language where we say it ourselves: an unknown argument, a missing one;
     * picocli's English otherwise (and in English, where its words are the most precise).
     */
    static String parameterError(CommandLine.ParameterException ex) {
        if (Messages.locale().getLanguage().equals("en")) return ex.getMessage();
        if (ex instanceof CommandLine.UnmatchedArgumentException u)
            return Messages.get("error.unknownArgument", String.join(" ", u.getUnmatched()));
        if (ex instanceof CommandLine.MissingParameterException m)
            return Messages.get(
                    "error.missingParameter",
                    String.join(
                            ", ",
                            m.getMissing().stream()
                                    .map(a -> a instanceof CommandLine.Model.OptionSpec o
                                            ? o.longestName()
                                            : a.paramLabel())
                                    .toList()));
        return ex.getMessage();
    }

    /**
     * A failed command. The service's messages are English with a stable code: another language says what the code
     * means, the service's words (which name the VM, the field, the value) after it.
     */
    static String failure(Exception ex) {
        String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        if (ex instanceof org.viridian.app.vm.ServiceClient.ServiceError e
                && !Messages.locale().getLanguage().equals("en")) {
            String meaning = Messages.get("service." + e.code);
            if (!meaning.equals("service." + e.code)) return Messages.get("error.detail", meaning, message);
        }
        return message;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
