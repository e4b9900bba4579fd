package org.viridian.app.vhd;

import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.ResourceBundle;
import java.util.Set;
import org.viridian.app.LogSetup;
import org.viridian.app.Main;
import org.viridian.app.cli.Messages;
import picocli.CommandLine;

/**
 * `viridian vhd ...` started directly (the launcher does so for the vhd commands): the same commands, options and
 * messages as through {@link Main}, but picocli builds the model of the vhd commands only, not of every subcommand of
 * viridian, which took most of a short conversion's start (about half a second, interpreted reflection).
 */
public final class VhdMain {
    private VhdMain() {}

    public static void main(String[] args) {
        int status = execute(args);
        // A plain conversion that succeeded ends by returning (its threads are daemons): System.exit logs the exit
        // (Runtime.exit asks System.Logger, JDK 17+), which looks for a logger service in every jar of the class path,
        // the full jar included, and sets up java.util.logging, ~40 ms of a short conversion.
        if (status != 0 || !isPlainConvert(args)) System.exit(status);
    }

    private static boolean isPlainConvert(String[] args) {
        return args.length > 0
                && args[0].equals("convert")
                && VhdConvert.parseSimple(Arrays.copyOfRange(args, 1, args.length)) != null;
    }

    /**
     * Runs one vhd command line; returns its exit status. A plain convert line logs nothing (the storage library has
     * no loggers; errors go to stderr here), so it also skips java.util.logging's set-up, a tenth of its start.
     */
    static int execute(String[] args) {
        if (isPlainConvert(args)) return run(VhdConvert.parseSimple(Arrays.copyOfRange(args, 1, args.length)));
        LogSetup.configure();
        return commandLine().execute(args);
    }

    /** As picocli runs the command, with Main's execution exception handler's message. */
    static int run(VhdConvert convert) {
        try {
            return convert.call();
        } catch (Exception e) {
            System.err.println("viridian: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    static CommandLine commandLine() {
        CommandLine cl = Main.withHandlers(new CommandLine(new VhdCommand()).setCommandName("viridian vhd"));
        cl.setResourceBundle(asUnderMain(Messages.bundle(Messages.locale())));
        return cl;
    }

    /**
     * The bundle as picocli looks it up here: this root command is named "viridian vhd", so its usage keys read
     * "viridian vhd.create.size" where the bundle (written for Main's tree) has "viridian.vhd.create.size".
     */
    static ResourceBundle asUnderMain(ResourceBundle bundle) {
        return new ResourceBundle() {
            @Override
            protected Object handleGetObject(String key) {
                String k = key.startsWith(ROOT) ? "viridian.vhd" + key.substring(ROOT.length()) : key;
                return bundle.containsKey(k) ? bundle.getObject(k) : null;
            }

            @Override
            public Enumeration<String> getKeys() {
                Set<String> keys = new HashSet<>(bundle.keySet());
                for (String k : bundle.keySet())
                    if (k.startsWith("viridian.vhd")) keys.add(ROOT + k.substring("viridian.vhd".length()));
                return Collections.enumeration(keys);
            }
        };
    }

    private static final String ROOT = "viridian vhd";
}
